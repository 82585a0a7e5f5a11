import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Config } from '../config/config';
import type { VerifyReport } from '../processing/verify';
import { errorMessage, type Logger } from '../shared/log';
import { runCliJson } from './cliRunner';
import { COMMANDS, type CommandId } from './commandIds';
import { configTemplate } from './configTemplate';
import { DeadLetterDocuments } from './deadLetterDocuments';
import { type HooksState, withHooksCheck } from './hooksState';
import { installCursorHooks, uninstallCursorHooks } from './hooksService';
import { showMenu } from './menu';
import type { ProcessSupervisor } from './processSupervisor';
import type { StatusBarController } from './statusBar';
import { CdcHealthPanel } from './webviews/cdcHealthPanel';
import { DeadLetterPanel } from './webviews/deadLetterPanel';
import { VerifyPanel } from './webviews/verifyPanel';

export interface CommandDeps {
  extensionUri: vscode.Uri;
  /** config.yaml, read afresh on every use so edits apply without a reload. */
  config: () => Config;
  /** dist/cli.js, for `blueplane verify --json` in a child. */
  cliPath: string;
  supervisor: ProcessSupervisor;
  statusBar: StatusBarController;
  channel: vscode.LogOutputChannel;
  log: Logger;
  /** Re-read Cursor's hooks.json and update the status bar; returns the new state. */
  refreshHooks: () => HooksState;
}

/** The probe waits up to max(10 s, 2 flush intervals + 5 s); this covers it and Redis time-outs. */
const VERIFY_TIMEOUT_MS = 90_000;

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const handlers: Record<CommandId, () => Promise<unknown>> = {
    [COMMANDS.verifyPipeline]: async () => VerifyPanel.show({ extensionUri: deps.extensionUri, runVerify: () => verify(deps) }),
    [COMMANDS.showDeadLetterQueue]: async () =>
      DeadLetterPanel.show({
        extensionUri: deps.extensionUri,
        config: deps.config,
        log: deps.log,
        inspect: async (stream, id) => {
          const doc = await vscode.workspace.openTextDocument(DeadLetterDocuments.uri(stream, id));
          await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
        },
      }),
    [COMMANDS.cdcStreamHealth]: async () => CdcHealthPanel.show({ extensionUri: deps.extensionUri, config: deps.config }),
    [COMMANDS.installHooks]: async () => installHooksNow(deps),
    [COMMANDS.uninstallHooks]: async () => uninstallHooksNow(deps),
    [COMMANDS.restartProcessor]: async () => {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Restarting the Blueplane processor' }, () => deps.supervisor.restart());
      void vscode.window.setStatusBarMessage('Blueplane: processor restarted', 3000);
    },
    [COMMANDS.openDatabaseFolder]: async () => openDatabaseFolder(deps.config()),
    [COMMANDS.openConfig]: async () => openConfig(deps.config()),
    [COMMANDS.showLogs]: async () => deps.channel.show(),
    [COMMANDS.showMenu]: async () => showMenu(deps.statusBar.current()),
  };
  return Object.entries(handlers).map(([id, run]) =>
    vscode.commands.registerCommand(id, async () => {
      try {
        await run();
      } catch (err) {
        // One sentence to the user, the same in the log; never an unhandled rejection.
        deps.log.error(`${id} failed: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(errorMessage(err));
      }
    }),
  );
}

async function verify(deps: CommandDeps): Promise<VerifyReport> {
  const report = await runCliJson<VerifyReport>(deps.cliPath, ['verify', '--json'], { timeoutMs: VERIFY_TIMEOUT_MS });
  const withHooks = withHooksCheck(report, deps.refreshHooks());
  deps.log.info(`Verify Pipeline: ${withHooks.ok ? 'OK' : 'failed'} (${withHooks.checks.map((c) => `${c.name}: ${c.state}`).join('; ')}).`);
  return withHooks;
}

export async function installHooksNow(deps: Pick<CommandDeps, 'config' | 'log' | 'refreshHooks'>): Promise<void> {
  const result = installCursorHooks(deps.config());
  deps.refreshHooks();
  const what = `${result.events.length} agent events, ${result.mode} mode`;
  const message = result.changed
    ? `Blueplane hooks installed in ${result.hooksFile} (${what}); Cursor reloads the file, so new agent actions are captured.`
    : `Blueplane hooks were already installed in ${result.hooksFile} (${what}).`;
  deps.log.info(message + (result.backupFile ? ` The previous file was kept as ${result.backupFile}.` : ''));
  for (const w of result.warnings) deps.log.warn(w);
  void vscode.window.showInformationMessage(message);
  for (const w of result.warnings) void vscode.window.showWarningMessage(w);
}

async function uninstallHooksNow(deps: CommandDeps): Promise<void> {
  const answer = await vscode.window.showWarningMessage(
    'Remove the Blueplane hooks from Cursor’s hooks.json? Agent events stop being captured; your own hooks stay.',
    { modal: true },
    'Uninstall',
  );
  if (answer !== 'Uninstall') return;
  const result = uninstallCursorHooks(deps.config());
  deps.refreshHooks();
  const message = result.changed
    ? `Removed ${result.removed.length} Blueplane hooks from ${result.hooksFile}.`
    : `${result.hooksFile} holds no Blueplane hooks; nothing to remove.`;
  deps.log.info(message);
  void vscode.window.showInformationMessage(message);
}

async function openDatabaseFolder(config: Config): Promise<void> {
  const target = existsSync(config.paths.database) ? config.paths.database : config.paths.home;
  // On a remote (SSH, WSL, code-server) the OS file manager is on another machine than the
  // database, so say where it is instead of revealing nothing.
  if (!vscode.env.remoteName && vscode.env.uiKind === vscode.UIKind.Desktop) {
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(target));
    return;
  }
  const folder = path.dirname(config.paths.database);
  const pick = await vscode.window.showInformationMessage(`The Blueplane database is in ${folder} (on the machine running the extension).`, 'Copy Path');
  if (pick === 'Copy Path') await vscode.env.clipboard.writeText(folder);
}

async function openConfig(config: Config): Promise<void> {
  const file = config.paths.configFile;
  if (!existsSync(file)) {
    // A file with every default commented out: the user sees what can be set, nothing changes.
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, configTemplate(), { mode: 0o600, flag: 'wx' });
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)));
}

/** After config.yaml is saved: the processor reads it at start, so offer a restart. */
export function offerRestartOnConfigSave(deps: Pick<CommandDeps, 'config' | 'supervisor'>): vscode.Disposable {
  return vscode.workspace.onDidSaveTextDocument((doc) => {
    if (doc.uri.scheme !== 'file' || path.resolve(doc.uri.fsPath) !== path.resolve(deps.config().paths.configFile)) return;
    void vscode.window.showInformationMessage('config.yaml saved. Restart the Blueplane processor to apply it?', 'Restart').then((pick) => {
      if (pick === 'Restart') return vscode.commands.executeCommand(COMMANDS.restartProcessor);
      return undefined;
    });
  });
}
