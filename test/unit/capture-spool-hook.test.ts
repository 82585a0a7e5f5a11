// The shell hook, run as Cursor runs it (a child process, payload on stdin), and the spool file
// naming that it shares with spoolFiles.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allowAnswer, CURSOR_HOOK_EVENTS } from '../../src/shared/eventTypes';
import { fireTimeOf, markerCommits, parseSpoolMarker, parseSpoolName, spoolFileName, writeSpoolFile } from '../../src/capture/spoolFiles';

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

/** The spool's data files and markers; fails on any other name (a temp file, a stray). */
function listSpool(spool: string): { data: string[]; markers: string[] } {
  const data: string[] = [];
  const markers: string[] = [];
  for (const name of readdirSync(spool).sort()) {
    if (parseSpoolMarker(name)) markers.push(name);
    else if (parseSpoolName(name)) data.push(name);
    else assert.fail(`unexpected file ${name} in the spool`);
  }
  return { data, markers };
}

/** One complete event written by the shell hook: its data file name, with the marker checked. */
function oneEvent(spool: string): string {
  const { data, markers } = listSpool(spool);
  assert.equal(data.length, 1, `exactly one data file: ${data.join(', ')}`);
  assert.deepEqual(markers, [parseSpoolName(data[0])!.marker], 'and its marker');
  return data[0];
}

test('the answer for every event matches allowAnswer() in eventTypes.ts (the two lists stay in step)', (t) => {
  const spool = path.join(tempDir(t), 'spool');
  for (const event of [...CURSOR_HOOK_EVENTS, 'someFutureEvent', '', 'bad name; rm -rf /']) {
    const r = runHook([event, spool], '{}');
    assert.equal(r.status, 0, event);
    assert.equal(r.stdout, `${allowAnswer(event)}\n`, `answer for "${event}"`);
  }
});

test('stdin lands byte for byte in one owner-only data file, marked complete, whose name carries the event', (t) => {
  const spool = path.join(tempDir(t), 'new', 'spool');
  const payload = Buffer.from('{"prompt":"héllo 日本 \\u0000 😀"}\n\u0000\u00ff', 'utf8');
  const before = Date.now();
  const r = runHook(['beforeSubmitPrompt', spool], payload);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
  const name = oneEvent(spool);
  assert.match(name, /^s\d+-0\.beforeSubmitPrompt\.json$/);
  const parsed = parseSpoolName(name)!;
  assert.equal(parsed.format, 'marked');
  assert.equal(parsed.event, 'beforeSubmitPrompt');
  assert.equal(parsed.pid > 0, true);
  const file = path.join(spool, name);
  const marker = path.join(spool, parsed.marker!);
  const fire = fireTimeOf(parsed, statSync(file).mtimeMs);
  assert.ok(fire >= before - 1000 && fire <= Date.now() + 1000, 'fire time is now');
  assert.ok(markerCommits(statSync(marker).mtimeMs, statSync(file).mtimeMs), 'the marker is not older than the data');
  assert.deepEqual(readFileSync(file), payload);
  assert.equal(readFileSync(marker).length, 0);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(marker).mode & 0o777, 0o600);
  assert.equal(statSync(spool).mode & 0o777, 0o700, 'folders the hook creates are owner-only');
  assert.equal(statSync(path.dirname(spool)).mode & 0o777, 0o700);
});

test('without BLUEPLANE_HOME or a folder argument, the spool is $HOME/.blueplane/spool; BLUEPLANE_HOME wins over HOME', (t) => {
  const root = tempDir(t);
  runHook(['stop'], '{}', { PATH: process.env.PATH, HOME: root });
  oneEvent(path.join(root, '.blueplane', 'spool'));
  runHook(['stop'], '{}', { PATH: process.env.PATH, HOME: root, BLUEPLANE_HOME: path.join(root, 'bp') });
  oneEvent(path.join(root, 'bp', 'spool'));
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
});

test('an existing folder where no file can be created still gets the answer, exit 0 and one sentence on stderr', (t) => {
  // A failed redirection of the special builtin `:` makes dash and POSIX-mode bash exit at once,
  // without an answer: the claim must not fail that way. Root writes anywhere, except in /proc.
  let ro: string;
  if (process.getuid?.() !== 0) {
    ro = path.join(tempDir(t), 'readonly');
    mkdirSync(ro, { mode: 0o500 });
    chmodSync(ro, 0o500);
  } else if (existsSync('/proc/self')) {
    ro = '/proc';
  } else {
    t.skip('running as root without /proc: no folder refuses new files');
    return;
  }
  const r = runHook(['preToolUse', ro], '{"big":"' + 'x'.repeat(1_000_000) + '"}');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '{"permission":"allow"}\n');
  assert.match(r.stderr, /^blueplane spool hook: could not write the preToolUse event to .*; the event was not captured, fix the folder's permissions or free disk space\.\n$/);
});

test('empty stdin is still spooled (the forwarder reports it) and answered', (t) => {
  const spool = path.join(tempDir(t), 'spool');
  const r = runHook(['afterAgentResponse', spool], '');
  assert.equal(r.stdout, '{}\n');
  assert.equal(readFileSync(path.join(spool, oneEvent(spool)), 'utf8'), '');
});

test('the hook needs no date, mv or mktemp: with only cat on PATH the event is spooled and marked', (t) => {
  const dir = tempDir(t);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const cat = ['/bin/cat', '/usr/bin/cat'].find((c) => existsSync(c));
  assert.ok(cat, 'cat is installed');
  symlinkSync(cat, path.join(bin, 'cat'));
  const spool = path.join(dir, 'spool');
  mkdirSync(spool, { mode: 0o700 }); // mkdir -p runs only for a missing folder
  const payload = Buffer.from('{"hook_event_name":"stop","status":"completed","x":"\u00e9\u65e5"}\n', 'utf8');
  const before = Date.now();
  const r = spawnSync('/bin/sh', [SCRIPT, 'stop', spool], { input: payload, env: { PATH: bin, HOME: dir }, encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '', 'no command was missing');
  assert.equal(r.stdout, '{}\n');
  const file = path.join(spool, oneEvent(spool));
  assert.deepEqual(readFileSync(file), payload);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const fire = fireTimeOf(parseSpoolName(path.basename(file))!, statSync(file).mtimeMs);
  assert.ok(fire >= before - 1000 && fire <= Date.now() + 1000, 'the fire time (the mtime) is now');
});

test('a name a reused pid left in the spool is never overwritten: the hook claims the next one', (t) => {
  const dir = tempDir(t);
  const spool = path.join(dir, 'spool');
  mkdirSync(spool, { mode: 0o700 });
  // exec keeps the pid, so the files the wrapper makes for $$ are the hook's would-be names.
  const wrapper = 'printf old >"$1/s$$-0.stop.json"; exec sh "$2" stop "$1"';
  const r = spawnSync('sh', ['-c', wrapper, 'sh', spool, SCRIPT], { input: '{"new":true}', encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '{}\n');
  assert.equal(r.stderr, '');
  const { data, markers } = listSpool(spool);
  assert.equal(data.length, 2);
  const pid = parseSpoolName(data[0])!.pid;
  assert.deepEqual(data, [`s${pid}-0.stop.json`, `s${pid}-1.stop.json`]);
  assert.deepEqual(markers, [`s${pid}-1.stop.ready`], 'only the new event is marked');
  assert.equal(readFileSync(path.join(spool, data[0]), 'utf8'), 'old', 'the old file is untouched');
  assert.equal(readFileSync(path.join(spool, data[1]), 'utf8'), '{"new":true}');
});

test('a dangling link under the claimed name is skipped like a taken name, not taken for an unwritable folder', (t) => {
  const dir = tempDir(t);
  const spool = path.join(dir, 'spool');
  mkdirSync(spool, { mode: 0o700 });
  const wrapper = 'ln -s "$1/nowhere" "$1/s$$-0.stop.json"; exec sh "$2" stop "$1"';
  const r = spawnSync('sh', ['-c', wrapper, 'sh', spool, SCRIPT], { input: '{"new":true}', encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '{}\n');
  assert.equal(r.stderr, '', 'spooled, no failure reported');
  const { markers } = listSpool(spool);
  assert.equal(markers.length, 1);
  assert.equal(readFileSync(path.join(spool, markers[0].replace(/\.ready$/, '.json')), 'utf8'), '{"new":true}');
});

test('a marker an earlier event left under the claimed name is refreshed, so it never marks the new data early', (t) => {
  const dir = tempDir(t);
  const spool = path.join(dir, 'spool');
  mkdirSync(spool, { mode: 0o700 });
  // touch -t is POSIX: an orphan marker from 2020 for the hook's own pid.
  const wrapper = 'touch -t 202001010000 "$1/s$$-0.stop.ready"; exec sh "$2" stop "$1"';
  const r = spawnSync('sh', ['-c', wrapper, 'sh', spool, SCRIPT], { input: '{}', encoding: 'utf8' });
  assert.equal(r.status, 0);
  const name = oneEvent(spool);
  assert.match(name, /^s\d+-0\.stop\.json$/);
  const data = statSync(path.join(spool, name)).mtimeMs;
  const marker = statSync(path.join(spool, parseSpoolName(name)!.marker!)).mtimeMs;
  assert.ok(markerCommits(marker, data), `marker ${marker} is not older than the data ${data}`);
  assert.ok(!markerCommits(new Date('2020-01-01').getTime(), data), 'the old marker alone would not have counted');
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
  const { data, markers } = listSpool(spool);
  assert.equal(data.length, 24);
  assert.deepEqual(markers, data.map((n) => parseSpoolName(n)!.marker).sort());
  const contents = data.map((n) => readFileSync(path.join(spool, n), 'utf8'));
  assert.deepEqual(contents.sort(), Array.from({ length: 24 }, (_, i) => `{"n":${i}}`).sort());
});

test('the shell hook\'s names: data files parse, markers name their data file, the mtime is the fire time', () => {
  const data = parseSpoolName('s4242-3.preToolUse.json')!;
  assert.equal(data.format, 'marked');
  assert.equal(data.pid, 4242);
  assert.equal(data.event, 'preToolUse');
  assert.equal(data.marker, 's4242-3.preToolUse.ready');
  assert.equal(parseSpoolName('s4242-3.preToolUse.ready'), undefined, 'a marker is not a data file');
  assert.equal(parseSpoolMarker('s4242-3.preToolUse.ready'), 's4242-3.preToolUse.json');
  assert.equal(parseSpoolMarker('s4242-3.preToolUse.json'), undefined);
  assert.equal(parseSpoolMarker('4242-3.preToolUse.ready'), undefined);
  assert.equal(parseSpoolName('s4242-3.bad name.json'), undefined);
  assert.equal(fireTimeOf(data, 1_790_000_000_123.9), 1_790_000_000_123);
  assert.ok(markerCommits(5, 5) && markerCommits(6, 5) && !markerCommits(4, 5));
});

test('spool names written from Node parse back with millisecond fire times', (t) => {
  const dir = tempDir(t);
  const name = spoolFileName(1_790_000_000_123, 'preToolUse', 42);
  const parsed = parseSpoolName(name)!;
  assert.equal(parsed.fireTimeMs, 1_790_000_000_123);
  assert.equal(parsed.secondsOnly, false);
  assert.equal(parsed.pid, 42);
  assert.equal(parsed.format, 'renamed');
  assert.equal(parseSpoolName(spoolFileName(1, 'weird name!'))?.event, 'unknown');
  assert.equal(parseSpoolName('.tmp-123-1-0.stop'), undefined);
  assert.equal(parseSpoolName('notes.txt'), undefined);
  const file = writeSpoolFile(path.join(dir, 's'), 'stop', 1_790_000_000_123, '{}');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(fireTimeOf(parseSpoolName(path.basename(file))!, 0), 1_790_000_000_123);
  assert.equal(fireTimeOf(parseSpoolName('0-1-0.stop.json')!, 1_790_000_000_999), 1_790_000_000_999, 'no date at all: mtime');
  // Earlier shell hooks on macOS (no %N) named files in seconds; the mtime refines them.
  const seconds = parseSpoolName('1790000000-7-0.stop.json')!;
  assert.equal(seconds.secondsOnly, true);
  assert.equal(fireTimeOf(seconds, 1_790_000_000_456.7), 1_790_000_000_456);
  assert.equal(fireTimeOf(seconds, 1_790_000_005_000), 1_790_000_000_000, 'an mtime outside the second is not the fire time');
});
