// The shell hook, run as Cursor runs it (a child process, payload on stdin), and the spool file
// naming that it shares with spoolFiles.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allowAnswer, CURSOR_HOOK_EVENTS } from '../../src/shared/eventTypes';
import { fireTimeOf, parseSpoolName, spoolFileName, writeSpoolFile } from '../../src/capture/spoolFiles';

const SCRIPT = path.resolve(__dirname, '../../src/capture/spoolHook.sh');

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runHook(args: string[], input: string | Buffer, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync('sh', [SCRIPT, ...args], { input, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the answer for every event matches allowAnswer() in eventTypes.ts (the two lists stay in step)', (t) => {
  const spool = path.join(tempDir(t), 'spool');
  for (const event of [...CURSOR_HOOK_EVENTS, 'someFutureEvent', '', 'bad name; rm -rf /']) {
    const r = runHook([event, spool], '{}');
    assert.equal(r.status, 0, event);
    assert.equal(r.stdout, `${allowAnswer(event)}\n`, `answer for "${event}"`);
  }
});

test('stdin lands byte for byte in one owner-only file whose name carries the fire time and event', (t) => {
  const spool = path.join(tempDir(t), 'new', 'spool');
  const payload = Buffer.from('{"prompt":"héllo 日本 \\u0000 😀"}\n\u0000\u00ff', 'utf8');
  const before = Date.now();
  const r = runHook(['beforeSubmitPrompt', spool], payload);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
  const names = readdirSync(spool);
  assert.equal(names.length, 1, 'exactly one file, no temp file left');
  const parsed = parseSpoolName(names[0]);
  assert.ok(parsed, names[0]);
  assert.equal(parsed.event, 'beforeSubmitPrompt');
  assert.equal(parsed.pid > 0, true);
  const file = path.join(spool, names[0]);
  const fire = fireTimeOf(parsed, statSync(file).mtimeMs);
  assert.ok(fire >= before - 1000 && fire <= Date.now() + 1000, 'fire time is now');
  assert.deepEqual(readFileSync(file), payload);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(spool).mode & 0o777, 0o700, 'folders the hook creates are owner-only');
  assert.equal(statSync(path.dirname(spool)).mode & 0o777, 0o700);
});

test('without BLUEPLANE_HOME or a folder argument, the spool is $HOME/.blueplane/spool; BLUEPLANE_HOME wins over HOME', (t) => {
  const root = tempDir(t);
  runHook(['stop'], '{}', { PATH: process.env.PATH, HOME: root });
  assert.equal(readdirSync(path.join(root, '.blueplane', 'spool')).length, 1);
  runHook(['stop'], '{}', { PATH: process.env.PATH, HOME: root, BLUEPLANE_HOME: path.join(root, 'bp') });
  assert.equal(readdirSync(path.join(root, 'bp', 'spool')).length, 1);
});

test('an unwritable spool still gets the answer, exit 0 and one sentence on stderr', (t) => {
  const dir = tempDir(t);
  // A regular file where the folder should be: unwritable even for root.
  const blocked = path.join(dir, 'spool');
  writeFileSync(blocked, 'not a folder');
  const r = runHook(['preToolUse', blocked], '{"big":"' + 'x'.repeat(1_000_000) + '"}');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '{"permission":"allow"}\n');
  assert.match(r.stderr, /could not write the preToolUse event/);
  const nested = runHook(['beforeSubmitPrompt', path.join(blocked, 'deeper')], '{}');
  assert.equal(nested.stdout, '{"continue":true}\n');
  if (process.getuid?.() !== 0) {
    const ro = path.join(dir, 'readonly');
    mkdirSync(ro, { mode: 0o500 });
    chmodSync(ro, 0o500);
    const r2 = runHook(['stop', ro], '{}');
    assert.equal(r2.stdout, '{}\n');
    assert.equal(r2.status, 0);
  }
});

test('empty stdin is still spooled (the forwarder reports it) and answered', (t) => {
  const spool = path.join(tempDir(t), 'spool');
  const r = runHook(['afterAgentResponse', spool], '');
  assert.equal(r.stdout, '{}\n');
  const [name] = readdirSync(spool);
  assert.equal(readFileSync(path.join(spool, name), 'utf8'), '');
});

test('on macOS, whose date has no %N, the name carries seconds and the mtime refines it', (t) => {
  const dir = tempDir(t);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  // A `date` like BSD's: prints a literal N for %N.
  writeFileSync(path.join(bin, 'date'), '#!/bin/sh\nprintf "%s N\\n" "$(/bin/date +%s)"\n', { mode: 0o755 });
  const spool = path.join(dir, 'spool');
  const r = runHook(['stop', spool], '{}', { ...process.env, PATH: `${bin}:${process.env.PATH}` });
  assert.equal(r.status, 0);
  const [name] = readdirSync(spool);
  assert.match(name, /^\d{10}-\d+-0\.stop\.json$/);
  const parsed = parseSpoolName(name)!;
  assert.equal(parsed.secondsOnly, true);
  const mtime = statSync(path.join(spool, name)).mtimeMs;
  const fire = fireTimeOf(parsed, mtime);
  assert.ok(Math.abs(fire - mtime) < 1000);
});

test('concurrent hooks never share a file', async (t) => {
  const spool = path.join(tempDir(t), 'spool');
  const runs = Array.from({ length: 24 }, (_, i) =>
    new Promise<number | null>((resolve) => {
      const child = spawn('sh', [SCRIPT, 'postToolUse', spool], { stdio: ['pipe', 'ignore', 'ignore'] });
      child.on('exit', resolve);
      child.stdin.end(`{"n":${i}}`);
    }),
  );
  assert.deepEqual(await Promise.all(runs), Array(24).fill(0));
  const contents = readdirSync(spool).map((n) => readFileSync(path.join(spool, n), 'utf8')).sort();
  assert.equal(contents.length, 24);
  assert.equal(new Set(contents).size, 24);
});

test('spool names written from Node parse back with millisecond fire times', (t) => {
  const dir = tempDir(t);
  const name = spoolFileName(1_790_000_000_123, 'preToolUse', 42);
  const parsed = parseSpoolName(name)!;
  assert.equal(parsed.fireTimeMs, 1_790_000_000_123);
  assert.equal(parsed.secondsOnly, false);
  assert.equal(parsed.pid, 42);
  assert.equal(parseSpoolName(spoolFileName(1, 'weird name!'))?.event, 'unknown');
  assert.equal(parseSpoolName('.tmp-123-1-0.stop'), undefined);
  assert.equal(parseSpoolName('notes.txt'), undefined);
  const file = writeSpoolFile(path.join(dir, 's'), 'stop', 1_790_000_000_123, '{}');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(fireTimeOf(parseSpoolName(path.basename(file))!, 0), 1_790_000_000_123);
  assert.equal(fireTimeOf(parseSpoolName('0-1-0.stop.json')!, 1_790_000_000_999), 1_790_000_000_999, 'no date at all: mtime');
});
