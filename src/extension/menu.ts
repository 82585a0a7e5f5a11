import * as vscode from 'vscode';
import { COMMAND_TITLES, COMMANDS, type CommandId } from './commandIds';
import type { StatusView } from './statusView';

interface MenuItem extends vscode.QuickPickItem {
  command?: CommandId;
}

const ENTRIES: Array<[CommandId, string]> = [
  [COMMANDS.verifyPipeline, 'pass'],
  [COMMANDS.showDeadLetterQueue, 'inbox'],
  [COMMANDS.cdcStreamHealth, 'pulse'],
  [COMMANDS.showLogs, 'output'],
  [COMMANDS.restartProcessor, 'debug-restart'],
  [COMMANDS.installHooks, 'plug'],
  [COMMANDS.uninstallHooks, 'debug-disconnect'],
  [COMMANDS.openDatabaseFolder, 'folder-opened'],
  [COMMANDS.openConfig, 'settings-gear'],
];

/** The status bar click: what is wrong (if anything), then every command. */
export async function showMenu(view: StatusView): Promise<void> {
  const items: MenuItem[] = [];
  if (view.problems.length > 0) {
    items.push({ label: 'Problems', kind: vscode.QuickPickItemKind.Separator });
    for (const p of view.problems) items.push({ label: `$(warning) ${p}` });
    items.push({ label: 'Commands', kind: vscode.QuickPickItemKind.Separator });
  }
  for (const [command, icon] of ENTRIES) items.push({ label: `$(${icon}) ${COMMAND_TITLES[command]}`, command });
  const picked = await vscode.window.showQuickPick(items, {
    title: `Blueplane Telemetry: ${view.text.replace(/\$\([^)]*\)\s*/g, '')}`,
    placeHolder: view.problems.length > 0 ? 'Pick a command to look into it' : 'Everything looks fine; pick a command',
  });
  if (picked?.command) await vscode.commands.executeCommand(picked.command);
}
