// Extension-host tests with @vscode/test-electron (DESIGN.md §7): VS Code itself, downloaded by
// test-electron, loads the extension from this checkout and runs test/extension/suite.
//
// test-electron downloads VS Code from update.code.visualstudio.com at test time. Where that is
// unreachable (these build machines reach only npm and Debian), this runner says so in one line
// and exits 0 after a 3-second probe, instead of hanging in the download; the real-host test
// there is test/e2e-host/extension.e2e.test.ts (code-server). BLUEPLANE_VSCODE_EXECUTABLE points
// it at an installed VS Code instead, which needs no network.
//
//   node --import tsx test/extension/runTest.ts
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { runTests } from '@vscode/test-electron';
import { createRedis } from '../../src/shared/redis';

const ROOT = path.resolve(__dirname, '../..');
const UPDATE_URL = 'https://update.code.visualstudio.com/api/releases/stable';
const REDIS_URL = process.env.BLUEPLANE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function skip(reason: string): never {
  console.log(`SKIP extension-host tests (@vscode/test-electron): ${reason}`);
  process.exit(0);
}

/** Can VS Code be downloaded? A short probe: an offline machine must not wait on the download. */
async function canDownload(): Promise<string | undefined> {
  try {
    const res = await fetch(UPDATE_URL, { signal: AbortSignal.timeout(3000) });
    return res.ok ? undefined : `${UPDATE_URL} answered HTTP ${res.status}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return `${UPDATE_URL} is unreachable (${cause ?? (err as Error).name})`;
  }
}

async function main(): Promise<void> {
  // Checked first, so a headless machine (CI) skips without any network request.
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    skip('VS Code needs a display and DISPLAY is not set; run this under `xvfb-run -a`.');
  }
  const executable = process.env.BLUEPLANE_VSCODE_EXECUTABLE;
  if (!executable) {
    const why = await canDownload();
    if (why) skip(`it downloads VS Code, and ${why}. Set BLUEPLANE_VSCODE_EXECUTABLE to a local VS Code to run them offline; the code-server test covers a real host here.`);
  }

  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('`node esbuild.mjs` failed; fix the build first.');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bp-ext-test-'));
  const prefix = `bptest:${randomUUID().slice(0, 8)}`;
  const streams = { events: `${prefix}:events`, dlq: `${prefix}:dlq`, cdc: `${prefix}:cdc` };
  try {
    // The suite runs inside VS Code's extension host: bundle it (vscode stays external).
    const suite = path.join(tmp, 'suite', 'index.js');
    await esbuild.build({ entryPoints: [path.join(__dirname, 'suite/index.ts')], bundle: true, platform: 'node', format: 'cjs', external: ['vscode'], outfile: suite, logLevel: 'warning' });

    // A temp HOME and BLUEPLANE_HOME: the real ~/.blueplane and ~/.cursor are never touched.
    const home = path.join(tmp, 'home');
    const blueplaneHome = path.join(home, '.blueplane');
    const workspace = path.join(tmp, 'workspace');
    mkdirSync(blueplaneHome, { recursive: true, mode: 0o700 });
    mkdirSync(workspace);
    writeFileSync(path.join(blueplaneHome, 'config.yaml'), `streams:\n  events: ${streams.events}\n  dlq: ${streams.dlq}\n  cdc: ${streams.cdc}\n`);

    const code = await runTests({
      vscodeExecutablePath: executable,
      cachePath: process.env.BLUEPLANE_VSCODE_CACHE ?? path.join(os.homedir(), '.cache', 'blueplane-vscode-test'),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: suite,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', `--user-data-dir=${path.join(tmp, 'user-data')}`],
      extensionTestsEnv: { HOME: home, BLUEPLANE_HOME: blueplaneHome, BLUEPLANE_REDIS_URL: REDIS_URL, BLUEPLANE_TEST_STREAMS: JSON.stringify(streams) },
    });
    process.exitCode = code;
  } finally {
    await deleteStreams(streams);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Only our own keys, never anything else on a shared Redis. */
async function deleteStreams(streams: { events: string; dlq: string; cdc: string }): Promise<void> {
  const redis = createRedis({ url: REDIS_URL, failFast: true, name: 'bp-ext-test-cleanup' });
  try {
    await redis.connect();
    await redis.del(streams.events, streams.dlq, streams.cdc, `${streams.events}:failures:processors`, `${streams.cdc}:failures:workers`);
  } catch (err) {
    console.error(`Could not delete the test streams (${(err as Error).message}); they are named ${Object.values(streams).join(', ')}.`);
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
