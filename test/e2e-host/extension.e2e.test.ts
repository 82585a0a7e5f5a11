// The packaged extension in a real VS Code host (code-server, driven by Playwright in Chromium;
// recipes/vscode-host-e2e.md): npm run package → install the .vsix → the first-run hooks offer →
// events fed through dist/hook.js raise the status bar counter → a poisoned entry in Show Dead
// Letter Queue (inspect, retry, delete) → Verify Pipeline all green → CDC Stream Health shows the
// consumer groups → a second window relays the first, and takes over writing when it closes.
// Screenshots of every step go to test-artifacts/e2e/extension-*.png.
//
// Opt-in (about 2 minutes, needs scripts/ensure-code-server.sh and Redis on 127.0.0.1:6379):
//   BLUEPLANE_E2E=1 node --import tsx --test test/e2e-host/extension.e2e.test.ts
// Everything lives in a temp HOME / BLUEPLANE_HOME with unique stream names; only those Redis keys
// are deleted at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Redis } from 'ioredis';
import type { Frame, Page } from 'playwright-core';
import { toStreamFields } from '../../src/shared/event';
import { createRedis } from '../../src/shared/redis';
import { cursorFixtures } from '../helpers/fixtures';
import { openWorkbench, poll, runCommand, screenshot, startCodeServer, waitForNotification, type CodeServer, type Workbench } from './codeServer';

const ROOT = path.resolve(__dirname, '../..');
const REDIS_URL = process.env.BLUEPLANE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const STATUS_ITEM = '[id="blueplane.blueplane-telemetry.blueplane.status"]';
/** What `npm run package` must ship (at least): the bundles, the sql.js wasm, the spool hook and media. */
const EXPECTED_VSIX_FILES = [
  'dist/cli.js', 'dist/extension.js', 'dist/hook.js', 'dist/spool-hook.sh', 'dist/sql-wasm.wasm',
  'media/cdcHealth.js', 'media/deadLetters.js', 'media/dom.js', 'media/icon.png', 'media/panel.css', 'media/verify.js', 'package.json',
];

const shot = (page: Page, name: string) => screenshot(page, `extension-${name}`);

/** The Blueplane status bar item: its visible text (icons are glyphs, so only the words) and aria-label. */
async function statusItem(page: Page): Promise<{ text: string; label: string; warning: boolean }> {
  const item = page.locator(STATUS_ITEM);
  return {
    text: ((await item.textContent({ timeout: 2000 })) ?? '').trim(),
    label: (await item.getAttribute('aria-label', { timeout: 2000 })) ?? '',
    warning: /warning-kind|error-kind/.test((await item.getAttribute('class', { timeout: 2000 })) ?? ''),
  };
}

function waitForStatus(page: Page, ok: (s: { text: string; label: string; warning: boolean }) => boolean, what: string, timeoutMs = 30_000) {
  let last = { text: '', label: '', warning: false };
  return poll(async () => {
    last = await statusItem(page);
    return ok(last) ? last : undefined;
  }, timeoutMs, what, () => `status item: ${JSON.stringify(last)}`);
}

/** The frame of the webview panel whose heading is `heading` (webviews are nested iframes). */
function panelFrame(page: Page, heading: string, timeoutMs = 20_000): Promise<Frame> {
  return poll(async () => {
    for (const frame of page.frames()) {
      const h1 = await frame.locator('h1').first().textContent({ timeout: 200 }).catch(() => null);
      if (h1 === heading) return frame;
    }
    return undefined;
  }, timeoutMs, `the "${heading}" panel`);
}

/** Hover the status item until its tooltip shows `text` (the tooltip is rendered on hover). */
async function hoverStatus(page: Page, text: string): Promise<void> {
  // Away first: a pointer already on the item (after a click) fires no new hover.
  await page.mouse.move(700, 300);
  await page.locator(STATUS_ITEM).hover();
  await page.locator('.monaco-hover', { hasText: text }).waitFor({ state: 'visible', timeout: 10_000 });
}

async function closeEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
}

test('Blueplane Telemetry in code-server: counter, DLQ, verify, CDC health, two windows', { timeout: 600_000 }, async (t) => {
  if (process.env.BLUEPLANE_E2E !== '1') {
    t.skip('VS Code host e2e is opt-in: run scripts/ensure-code-server.sh, then set BLUEPLANE_E2E=1');
    return;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bp-e2e-ext-'));
  const home = path.join(tmp, 'home');
  const blueplaneHome = path.join(home, '.blueplane');
  const workspace = path.join(tmp, 'workspace');
  const prefix = `bptest:e2e:${randomUUID().slice(0, 8)}`;
  const streams = { events: `${prefix}:events`, dlq: `${prefix}:dlq`, cdc: `${prefix}:cdc` };
  const redis = createRedis({ url: REDIS_URL, name: 'bp-e2e-ext' });
  let server: CodeServer | undefined;
  const windows: Workbench[] = [];
  const step = (name: string) => console.log(`[e2e] ${new Date().toISOString()} ${name}`);
  try {
    await redis.connect();

    step('package the .vsix');
    const pack = spawnSync('npm', ['run', 'package'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    assert.equal(pack.status, 0, `npm run package failed:\n${pack.stdout}\n${pack.stderr}`);
    const vsix = path.join(tmp, 'blueplane-telemetry.vsix');
    copyFileSync(path.join(ROOT, 'blueplane-telemetry.vsix'), vsix);
    const listed = spawnSync(path.join(ROOT, 'node_modules/.bin/vsce'), ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
    const files = listed.stdout.trim().split('\n').map((f) => f.trim()).filter(Boolean);
    for (const f of EXPECTED_VSIX_FILES) assert.ok(files.includes(f), `${f} is in the vsix`);
    const stray = files.filter((f) => !/^(dist\/[\w.-]+\.(js|wasm|sh)|media\/.+|package\.json|README\.md|LICENSE(\.\w+)?)$/.test(f));
    assert.deepEqual(stray, [], 'only bundles, the wasm, the spool hook, media and the manifest ship');
    const size = statSync(vsix).size;
    console.log(`[e2e] vsix: ${(size / 1024).toFixed(0)} KB`);
    assert.ok(size < 3 * 1024 * 1024, `the vsix is small (${size} bytes)`);

    // A temp HOME (so ~/.cursor/hooks.json is ours) and BLUEPLANE_HOME with unique streams.
    mkdirSync(blueplaneHome, { recursive: true, mode: 0o700 });
    mkdirSync(workspace);
    writeFileSync(path.join(workspace, 'README.md'), '# e2e workspace\n');
    writeFileSync(path.join(blueplaneHome, 'config.yaml'), `redis:\n  url: ${REDIS_URL}\nstreams:\n  events: ${streams.events}\n  dlq: ${streams.dlq}\n  cdc: ${streams.cdc}\n`);
    const env = { HOME: home, BLUEPLANE_HOME: blueplaneHome, BLUEPLANE_REDIS_URL: REDIS_URL };

    step('start code-server with the packaged extension');
    server = await startCodeServer({ vsixPath: vsix, workspaceDir: workspace, env });
    const a = await openWorkbench(server.url, workspace);
    windows.push(a);

    step('the status bar item appears; this window writes; hooks are offered');
    await waitForStatus(a.page, (s) => /this window writes the database/.test(s.label) && /^0 events$/.test(s.text), 'window A to lead with 0 events', 60_000);
    await waitForNotification(a.page, /Install them now\?/, 30_000);
    await shot(a.page, '01-first-run-offer');
    await a.page.locator('.notification-toast .monaco-button', { hasText: 'Install Hooks' }).click();
    await waitForNotification(a.page, /Blueplane hooks installed in .*hooks\.json/);
    const hooksJson = readFileSync(path.join(home, '.cursor', 'hooks.json'), 'utf8');
    assert.match(hooksJson, new RegExp(`${blueplaneHome.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/hooks/blueplane-spool-hook\\.sh`));
    await waitForStatus(a.page, (s) => !s.warning && /^0 events$/.test(s.text), 'no warning once hooks are installed');

    step('events fed through dist/hook.js raise the counter');
    // A copy of the bundle, so it reads the hook-settings.json the installer just wrote under our
    // BLUEPLANE_HOME (our unique stream) and never a stray one next to dist/hook.js.
    const settings = JSON.parse(readFileSync(path.join(blueplaneHome, 'hooks', 'hook-settings.json'), 'utf8'));
    assert.equal(settings.events_stream, streams.events, 'the hook writes to this test\'s stream');
    const hookDir = path.join(tmp, 'direct-hook');
    mkdirSync(hookDir);
    const hook = path.join(hookDir, 'hook.js');
    copyFileSync(path.join(ROOT, 'dist/hook.js'), hook);
    // Agent events only: Tab events carry no conversation id, which Verify reports as a warning.
    const fixtures = cursorFixtures().filter((f) => !/Tab|workspaceOpen/.test(f.hook_event_name));
    // Each call is a new agent session: the hook derives event ids from the conversation, so the
    // same payloads fed twice would (rightly) be stored once.
    const feed = (list: typeof fixtures) => {
      const conversation = randomUUID();
      for (const f of list) {
        const input = typeof f.conversation_id === 'string' ? JSON.stringify(f).split(f.conversation_id).join(conversation) : JSON.stringify(f);
        const run = spawnSync(process.execPath, [hook, f.hook_event_name], { input, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000 });
        assert.equal(run.status, 0, run.stderr);
        assert.doesNotThrow(() => JSON.parse(run.stdout), `one JSON answer for ${f.hook_event_name}: ${run.stdout}`);
      }
    };
    feed(fixtures.slice(0, 5));
    await waitForStatus(a.page, (s) => s.text === '5 events', 'the counter at 5');
    await shot(a.page, '02-counter-5');
    feed(fixtures.slice(5));
    await waitForStatus(a.page, (s) => s.text === `${fixtures.length} events`, `the counter at ${fixtures.length}`);

    step('an event through the installed spool hook (the default path) counts too');
    // The exact command Cursor would run, from the hooks.json the extension wrote.
    const prompt = fixtures.find((f) => f.hook_event_name === 'beforeSubmitPrompt')!;
    const command = (JSON.parse(hooksJson).hooks.beforeSubmitPrompt as Array<{ command: string }>).find((h) => h.command.includes('blueplane-spool-hook'))!.command;
    const spooled = spawnSync('sh', ['-c', command], { input: JSON.stringify({ ...prompt, conversation_id: randomUUID(), generation_id: randomUUID() }), env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(spooled.status, 0, spooled.stderr);
    assert.deepEqual(JSON.parse(spooled.stdout), { continue: true });
    const total = fixtures.length + 1;
    await waitForStatus(a.page, (s) => s.text === `${total} events`, `the counter at ${total}`);
    await hoverStatus(a.page, 'Last durable flush');
    await shot(a.page, '03-counter-tooltip');
    await a.page.mouse.move(700, 400);

    step('a poisoned entry shows in Show Dead Letter Queue; inspect, retry, delete');
    const poison = toStreamFields({ event_id: `poison-${randomUUID()}`, timestamp: new Date().toISOString(), platform: 'cursor', hook_type: 'afterFileEdit', event_type: 'file_edit', session_id: 'e2e-poison', payload: {}, metadata: {} });
    poison.payload = '{"file_path": "/w/a.ts", "edits": [ not json';
    await redis.xadd(streams.events, '*', ...Object.entries(poison).flat());
    await poll(async () => (await redis.xlen(streams.dlq)) === 1, 20_000, 'the poisoned entry in the DLQ');
    await runCommand(a.page, 'Blueplane: Show Dead Letter Queue');
    let dlq = await panelFrame(a.page, 'Dead Letter Queue');
    const firstRow = dlq.locator('#letters tbody tr');
    await firstRow.first().waitFor({ timeout: 15_000 });
    assert.equal(await firstRow.count(), 1);
    const firstId = (await firstRow.first().getAttribute('data-id'))!;
    assert.match((await firstRow.first().textContent()) ?? '', /parse_error.*field "payload" is not valid JSON/);
    await waitForStatus(a.page, (s) => s.warning && /dead letter queue/.test(s.label), 'the DLQ warning in the status bar');
    await shot(a.page, '04-dlq-list');

    await dlq.locator(`button[data-action="inspect"][data-id="${firstId}"]`).click();
    await a.page.locator('.tab', { hasText: `${firstId}.json` }).waitFor({ timeout: 15_000 });
    await a.page.locator('.view-lines', { hasText: 'not json' }).first().waitFor({ timeout: 10_000 });
    await shot(a.page, '05-dlq-inspect');

    dlq = await panelFrame(a.page, 'Dead Letter Queue');
    await dlq.locator(`button[data-action="retry"][data-id="${firstId}"]`).click();
    await waitForNotification(a.page, new RegExp(`Dead letter ${firstId} was put back on its stream as`));
    // Still bad JSON: the processor dead-letters it again, under a new id.
    dlq = await panelFrame(a.page, 'Dead Letter Queue');
    const secondId = await poll(async () => {
      const ids = await dlq.locator('#letters tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
      return ids.length === 1 && ids[0] !== firstId ? ids[0] : undefined;
    }, 20_000, 'the retried entry back in the DLQ under a new id');
    await shot(a.page, '06-dlq-after-retry');

    await dlq.locator(`button[data-action="delete"][data-id="${secondId}"]`).click();
    await a.page.locator('.monaco-dialog-box', { hasText: `Delete dead letter ${secondId}?` }).waitFor({ timeout: 10_000 });
    await shot(a.page, '07-dlq-delete-confirm');
    await a.page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Delete$/ }).click();
    await waitForNotification(a.page, new RegExp(`Dead letter ${secondId} was deleted`));
    await dlq.locator('#empty').waitFor({ timeout: 10_000 });
    assert.equal(await redis.xlen(streams.dlq), 0);
    await shot(a.page, '08-dlq-empty');
    await closeEditors(a.page);

    step('Verify Pipeline: every check passes');
    await runCommand(a.page, 'Blueplane: Verify Pipeline');
    const verify = await panelFrame(a.page, 'Verify Pipeline');
    await verify.locator('#summary').waitFor({ timeout: 60_000 });
    const checks = await verify.locator('#checks tbody tr').evaluateAll((rows) =>
      rows.map((r) => ({ state: r.getAttribute('data-state'), text: (r.textContent ?? '').replace(/\s+/g, ' ').trim() })));
    await shot(a.page, '09-verify');
    assert.deepEqual(checks.filter((c) => c.state !== 'pass'), [], JSON.stringify(checks, null, 2));
    // The hooks line comes from `blueplane verify` ("Cursor hooks in <file>") or, in an older CLI, from the extension.
    for (const name of ['Redis reachable', 'Processor running', 'End-to-end probe', 'Cursor hooks']) {
      assert.ok(checks.some((c) => c.text.includes(name)), `${name} is checked`);
    }
    assert.match((await verify.locator('#summary').textContent()) ?? '', /^Pipeline OK/);
    await closeEditors(a.page);

    step('CDC Stream Health shows the consumer groups');
    // A downstream reader of CDC (as the slow path or any other consumer would be), with 3 entries
    // delivered and not yet acknowledged, so pending and lag have something to show.
    const groups = (await redis.xinfo('GROUPS', streams.cdc)) as unknown[];
    await redis.xgroup('CREATE', streams.cdc, 'e2e-downstream', '0');
    await redis.xreadgroup('GROUP', 'e2e-downstream', 'e2e-reader', 'COUNT', 3, 'STREAMS', streams.cdc, '>');
    await runCommand(a.page, 'Blueplane: CDC Stream Health');
    const cdc = await panelFrame(a.page, 'CDC Stream Health');
    // The slow path's own group (config slow_path.consumer_group, default "workers").
    await cdc.locator('tr[data-group="workers"]').waitFor({ timeout: 15_000 });
    const row = cdc.locator('tr[data-group="e2e-downstream"]');
    await row.waitFor({ timeout: 15_000 });
    assert.match((await row.textContent()) ?? '', /e2e-downstream\s*1\s*3/);
    await cdc.locator('tr[data-consumer="e2e-reader"]').waitFor();
    assert.equal(await cdc.locator('tr[data-group]').count(), groups.length + 1, 'every CDC group is listed');
    assert.match((await cdc.locator('#upstream').textContent()) ?? '', /Upstream processors/);
    assert.match((await cdc.locator('#length').textContent()) ?? '', /^\d+/);
    await shot(a.page, '10-cdc-health');
    await closeEditors(a.page);

    step('the status bar click opens the command menu; Show Logs shows the processor');
    await a.page.locator(STATUS_ITEM).click();
    await a.page.locator('.quick-input-widget .quick-input-list', { hasText: 'Verify Pipeline' }).waitFor({ timeout: 10_000 });
    await shot(a.page, '11-menu');
    await a.page.keyboard.press('Escape');
    await runCommand(a.page, 'Blueplane: Show Logs');
    await a.page.locator('.part.panel .view-lines', { hasText: '[processor]' }).waitFor({ timeout: 15_000 });
    await shot(a.page, '12-logs');
    await runCommand(a.page, 'View: Toggle Panel Visibility');

    step('a second window: one writer, both counters agree');
    const b = await openWorkbench(server.url, workspace);
    windows.push(b);
    const leader = await waitForStatus(b.page, (s) => /another window writes the database \(pid \d+\)/.test(s.label), 'window B to relay window A');
    const leaderPid = /pid (\d+)/.exec(leader.label)![1];
    assert.match((await statusItem(a.page)).label, new RegExp(`this window writes the database \\(processor pid ${leaderPid}\\)`));
    feed(fixtures.slice(0, 3));
    const expected = `${total + 3} events`;
    await waitForStatus(a.page, (s) => s.text === expected, `window A at ${expected}`);
    await waitForStatus(b.page, (s) => s.text === expected, `window B at ${expected}`);
    await hoverStatus(a.page, 'This window writes the database');
    await shot(a.page, '13-two-windows-a');
    await hoverStatus(b.page, 'Another window writes the database');
    await shot(b.page, '14-two-windows-b');
    await b.page.mouse.move(700, 400);

    step('closing the writer\'s window hands over to the other');
    const closedAt = Date.now();
    await a.page.close({ runBeforeUnload: true });
    await a.close();
    windows.splice(windows.indexOf(a), 1);
    await waitForStatus(b.page, (s) => /this window writes the database/.test(s.label), 'window B to take over', 30_000);
    const handoverMs = Date.now() - closedAt;
    console.log(`[e2e] handover took ${handoverMs} ms`);
    feed(fixtures.slice(3, 5));
    await waitForStatus(b.page, (s) => s.text === `${total + 5} events`, 'window B storing new events');
    await hoverStatus(b.page, 'This window writes the database');
    await shot(b.page, '15-handover-b');
  } catch (err) {
    for (const [i, w] of windows.entries()) await shot(w.page, `failure-window-${i}`).catch(() => undefined);
    if (server) console.error(`[e2e] code-server log: ${server.logPath}; extension host logs under ${server.userDataDir}/logs (BLUEPLANE_E2E_KEEP=1 keeps them)`);
    throw err;
  } finally {
    for (const w of windows) await w.close().catch(() => undefined);
    await server?.stop();
    // Only this test's keys (unique prefix); never anything else on a shared Redis.
    const keys = await scanKeys(redis, `${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    if (process.env.BLUEPLANE_E2E_KEEP === '1') console.error(`[e2e] kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
});

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
