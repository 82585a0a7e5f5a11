// Runs inside VS Code's extension host (loaded by @vscode/test-electron through runTest.ts). A
// dozen lines of runner instead of mocha: each test is an async function; a failure rejects
// run(), which makes test-electron exit non-zero.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BlueplaneApi } from '../../../src/extension/extension';

const EXTENSION_ID = 'blueplane.blueplane-telemetry';

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api(): Promise<BlueplaneApi> {
  const ext = vscode.extensions.getExtension<BlueplaneApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext.activate();
}

const tests: Array<[string, () => Promise<void>]> = [
  ['activates on startup and returns its API', async () => {
    const blueplane = await api();
    assert.equal(typeof blueplane.status, 'function');
  }],
  ['registers every contributed command', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed = (ext.packageJSON.contributes.commands as Array<{ command: string }>).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
  }],
  ['forks the processor, which becomes the writer and fills the status bar', async () => {
    const blueplane = await api();
    const view = await until(() => /events$/.test(blueplane.status().text) && blueplane.status(), 'the counter in the status bar', 30_000);
    assert.match(view.ariaLabel, /this window writes the database/);
    assert.equal(blueplane.processor().state, 'running');
  }],
  ['Install Cursor Hooks writes hooks.json under the (temporary) HOME and the status bar notices', async () => {
    const blueplane = await api();
    await vscode.commands.executeCommand('blueplane.installHooks');
    const hooksFile = path.join(process.env.HOME ?? '', '.cursor', 'hooks.json');
    assert.ok(existsSync(hooksFile), hooksFile);
    assert.match(readFileSync(hooksFile, 'utf8'), /blueplane-spool-hook\.sh/);
    await until(() => /Cursor hooks \| installed/.test(blueplane.status().tooltip), 'hooks shown as installed');
  }],
  ['the counter setting switches what the number counts', async () => {
    const blueplane = await api();
    await vscode.workspace.getConfiguration('blueplane').update('statusBar.counter', 'session', vscode.ConfigurationTarget.Global);
    await until(() => /since the processor started/.test(blueplane.status().ariaLabel), 'the session counter');
    await vscode.workspace.getConfiguration('blueplane').update('statusBar.counter', undefined, vscode.ConfigurationTarget.Global);
  }],
  ['Verify Pipeline, the DLQ and CDC panels open without errors', async () => {
    for (const id of ['blueplane.verifyPipeline', 'blueplane.showDeadLetterQueue', 'blueplane.cdcStreamHealth']) await vscode.commands.executeCommand(id);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
    for (const title of ['Blueplane: Verify Pipeline', 'Blueplane: Dead Letter Queue', 'Blueplane: CDC Stream Health']) assert.ok(tabs.includes(title), `${title} in ${tabs.join(', ')}`);
  }],
];

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, fn] of tests) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (err) {
      failures.push(name);
      console.error(`not ok - ${name}\n  ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }
  console.log(`${tests.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length > 0) throw new Error(`${failures.length} extension-host test(s) failed: ${failures.join('; ')}`);
}
