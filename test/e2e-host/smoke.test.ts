// Proves the e2e host harness on a throwaway extension (test/e2e-host/smoke/):
// package -> install into code-server -> activate -> status bar -> command -> notification.
// Opt-in: needs scripts/ensure-code-server.sh and takes ~30 s, so it skips unless BLUEPLANE_E2E=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openWorkbench, runCommand, screenshot, startCodeServer, waitForNotification, waitForStatusBarText, type CodeServer, type Workbench } from './codeServer';

const SMOKE_DIR = path.join(__dirname, 'smoke');
const VSCE = path.resolve(__dirname, '../../node_modules/.bin/vsce');

test('smoke extension activates and runs a command in code-server', { timeout: 240_000 }, async (t) => {
  if (process.env.BLUEPLANE_E2E !== '1') {
    t.skip('VS Code host e2e is opt-in: run scripts/ensure-code-server.sh, then set BLUEPLANE_E2E=1');
    return;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bp-e2e-smoke-'));
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    // vsce works offline; the flags stop it prompting about the missing repository/LICENSE.
    const vsix = path.join(tmp, 'smoke.vsix');
    const pack = spawnSync(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix],
      { cwd: SMOKE_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    assert.equal(pack.status, 0, `vsce package failed:\n${pack.stdout}\n${pack.stderr}`);

    const workspace = path.join(tmp, 'workspace');
    const home = path.join(tmp, 'home');
    mkdirSync(workspace);
    mkdirSync(home);
    writeFileSync(path.join(workspace, 'hello.txt'), 'smoke\n');

    // A temp HOME keeps code-server's own logs out of the real ~; the mark checks env pass-through.
    const mark = `m${process.pid}`;
    server = await startCodeServer({ vsixPath: vsix, workspaceDir: workspace, env: { HOME: home, BLUEPLANE_SMOKE_MARK: mark } });
    wb = await openWorkbench(server.url, workspace);
    const { page } = wb;

    await waitForStatusBarText(page, /^smoke-ok$/, 60_000);
    await screenshot(page, 'smoke-statusbar');

    await runCommand(page, 'Smoke: Say Hello');
    const note = await waitForNotification(page, /Hello from smoke/);
    assert.equal(note, `Hello from smoke (mark=${mark})`);
    await screenshot(page, 'smoke-notification');
  } catch (err) {
    if (wb) await screenshot(wb.page, 'smoke-failure').catch(() => {});
    if (server) console.error(`[e2e] code-server log: ${server.logPath} (set BLUEPLANE_E2E_KEEP=1 to keep it)`);
    throw err;
  } finally {
    await wb?.close();
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
