// Blueplane Telemetry in Cursor / VS Code: thin glue (DESIGN.md §3). Everything is built here
// explicitly and handed its dependencies; everything that needs disposing goes to
// context.subscriptions; deactivate() returns the processor's stop promise so the editor waits
// for the final flush (lsp-sample's habit).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../shared/log';
import { installHooksNow, offerRestartOnConfigSave, registerCommands } from './commands';
import { makeConfigSource } from './configSource';
import { DeadLetterDocuments } from './deadLetterDocuments';
import { offerHooksInstall } from './hooksOffer';
import { readHooksState } from './hooksService';
import { appendProcessorLine, channelLogger } from './logChannel';
import { ProcessSupervisor, type SupervisorSnapshot } from './processSupervisor';
import { readSettings, SETTINGS_SECTION, type ExtensionSettings } from './settings';
import { StatusBarController } from './statusBar';
import type { StatusView } from './statusView';

/** What activate() returns: read-only views for the extension-host tests. */
export interface BlueplaneApi {
  status(): StatusView;
  processor(): SupervisorSnapshot;
}

/** hooks.json can change behind our back (the CLI, another editor); re-check this often. */
const HOOKS_RECHECK_MS = 30_000;

let stopProcessor: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): BlueplaneApi {
  // The log first, so everything after it can report (gitlens' habit).
  const channel = vscode.window.createOutputChannel('Blueplane', { log: true });
  context.subscriptions.push(channel);
  const log = channelLogger(channel);
  log.info(`Blueplane Telemetry ${String(context.extension.packageJSON.version ?? '')} activating (pid ${process.pid}).`);

  const loadSettings = (): ExtensionSettings => {
    const { settings, problems } = readSettings(vscode.workspace.getConfiguration(SETTINGS_SECTION));
    for (const p of problems) log.warn(p);
    return settings;
  };
  const config = makeConfigSource(log, (m) => void vscode.window.showErrorMessage(m));

  const settings = loadSettings();
  const statusBar = new StatusBarController(settings);
  context.subscriptions.push(statusBar);

  const cliPath = path.join(context.extensionPath, 'dist', 'cli.js');
  const supervisor = new ProcessSupervisor({
    cliPath,
    onStatus: (status) => statusBar.setProcessorStatus(status),
    onLog: (line, stream) => appendProcessorLine(channel, line, stream),
    onState: (snapshot) => statusBar.setSupervisor(snapshot),
  });
  stopProcessor = () => supervisor.stop();
  // deactivate() normally stops it first; this covers a disable without a deactivate call.
  context.subscriptions.push({ dispose: () => void supervisor.stop() });

  const refreshHooks = () => {
    const state = readHooksState(config());
    statusBar.setHooks(state);
    return state;
  };
  const hooksTimer = setInterval(refreshHooks, HOOKS_RECHECK_MS);
  context.subscriptions.push({ dispose: () => clearInterval(hooksTimer) });

  const deps = { extensionUri: context.extensionUri, config, cliPath, supervisor, statusBar, channel, log, refreshHooks };
  context.subscriptions.push(
    ...registerCommands(deps),
    vscode.workspace.registerTextDocumentContentProvider(DeadLetterDocuments.scheme, new DeadLetterDocuments(config)),
    offerRestartOnConfigSave(deps),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS_SECTION)) statusBar.setSettings(loadSettings());
    }),
  );

  supervisor.start();
  const hooks = refreshHooks();
  void offerHooksInstall({
    globalState: context.globalState,
    mode: settings.hooksAutoInstall,
    state: hooks,
    install: () => installHooksNow(deps),
    log,
  }).catch((err: unknown) => {
    log.error(`Installing Cursor hooks failed: ${errorMessage(err)}`);
    void vscode.window.showErrorMessage(errorMessage(err));
  });

  return { status: () => statusBar.current(), processor: () => supervisor.snapshot() };
}

/** The editor waits for this promise: the processor finishes its batch, flushes and acks. */
export function deactivate(): Promise<void> | undefined {
  return stopProcessor?.();
}
