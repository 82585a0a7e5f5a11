import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CURSOR_HOOK_EVENTS } from '../../src/shared/eventTypes';
import {
  BACKUP_SUFFIX,
  hooksFilePath,
  hooksStatus,
  HooksFileError,
  HooksInstallError,
  installHooks,
  shellQuote,
  uninstallHooks,
} from '../../src/capture/hooksInstaller';
import { isOwnEntry } from '../../src/capture/hooksJson';
import { readHookSettings } from '../../src/capture/hookSettings';
import { tempHome, testConfig } from '../helpers/env';

function setup(t: { after(fn: () => void): void }, label = 'bp-inst') {
  const h = tempHome(label);
  t.after(() => h.cleanup());
  const config = testConfig(h.home);
  const hooksFile = path.join(h.userHome, '.cursor', 'hooks.json');
  return { ...h, config, hooksFile };
}

function readJson(file: string): { version: number; hooks: Record<string, Array<Record<string, unknown>>>; [k: string]: unknown } {
  return JSON.parse(readFileSync(file, 'utf8'));
}

const USER_FILE = {
  version: 1,
  $schema: 'https://example.com/hooks.schema.json',
  hooks: {
    preToolUse: [
      { command: './hooks/audit.sh', matcher: 'Shell' },
      { command: 'node /opt/guard.js', timeout: 3 },
    ],
    stop: [{ command: './hooks/notify.sh', loop_limit: 3 }],
    someFutureEvent: [{ command: './hooks/future.sh' }],
  },
};

test('install writes version 1, every known event, absolute quoted commands and a timeout, under HOME', (t) => {
  const s = setup(t);
  const result = installHooks({ config: s.config, env: s.env });
  assert.equal(result.hooksFile, s.hooksFile);
  assert.equal(hooksFilePath({ env: s.env }), s.hooksFile);
  assert.equal(result.changed, true);
  assert.equal(result.backupFile, undefined, 'nothing to back up');
  const doc = readJson(s.hooksFile);
  assert.equal(doc.version, 1);
  assert.deepEqual(Object.keys(doc.hooks).sort(), [...CURSOR_HOOK_EVENTS].sort());
  const script = path.join(s.home, 'hooks', 'blueplane-spool-hook.sh');
  for (const event of CURSOR_HOOK_EVENTS) {
    const [entry] = doc.hooks[event];
    assert.equal(entry.command, `sh ${shellQuote(script)} ${event} ${shellQuote(s.config.paths.spool)}`);
    assert.equal(entry.timeout, 5);
  }
  assert.equal(statSync(script).mode & 0o777, 0o700);
  assert.equal(statSync(path.join(s.home, 'hooks')).mode & 0o777, 0o700);
  const settingsFile = path.join(s.home, 'hooks', 'hook-settings.json');
  assert.equal(statSync(settingsFile).mode & 0o777, 0o600, 'the settings may hold a Redis password');
  const { settings, problems } = readHookSettings(settingsFile, {});
  assert.deepEqual(problems, []);
  assert.equal(settings.events_stream, s.config.streams.events);
  assert.equal(settings.spool_dir, s.config.paths.spool);
});

test("install merges with the user's hooks: theirs stay first, unchanged and in order; a backup is made once", (t) => {
  const s = setup(t);
  mkdirSync(path.dirname(s.hooksFile), { recursive: true });
  const original = JSON.stringify(USER_FILE, null, 4);
  writeFileSync(s.hooksFile, original);

  const first = installHooks({ config: s.config, env: s.env });
  assert.equal(first.backupFile, s.hooksFile + BACKUP_SUFFIX);
  assert.equal(readFileSync(first.backupFile!, 'utf8'), original, 'the backup is the file as it was');
  const doc = readJson(s.hooksFile);
  assert.equal(doc.$schema, USER_FILE.$schema, 'unknown top-level keys are kept');
  assert.deepEqual(doc.hooks.preToolUse.slice(0, 2), USER_FILE.hooks.preToolUse);
  assert.ok(isOwnEntry(doc.hooks.preToolUse[2]));
  assert.deepEqual(doc.hooks.stop.slice(0, 1), USER_FILE.hooks.stop);
  assert.deepEqual(doc.hooks.someFutureEvent, USER_FILE.hooks.someFutureEvent, 'their unknown events are theirs to keep');
  assert.deepEqual(Object.keys(doc.hooks).slice(0, 3), ['preToolUse', 'stop', 'someFutureEvent'], 'key order kept');

  // Idempotent: same bytes, no second backup.
  const bytes = readFileSync(s.hooksFile, 'utf8');
  writeFileSync(first.backupFile!, 'marker');
  const second = installHooks({ config: s.config, env: s.env });
  assert.equal(second.changed, false);
  assert.equal(second.backupFile, undefined);
  assert.equal(readFileSync(s.hooksFile, 'utf8'), bytes);
  assert.equal(readFileSync(first.backupFile!, 'utf8'), 'marker', 'the first backup is never overwritten');
});

test('switching to --direct replaces our entries where they stand, never duplicating them', (t) => {
  const s = setup(t);
  mkdirSync(path.dirname(s.hooksFile), { recursive: true });
  writeFileSync(s.hooksFile, JSON.stringify(USER_FILE));
  installHooks({ config: s.config, env: s.env });
  const result = installHooks({ config: s.config, env: s.env, direct: true, nodePath: '/usr/local/bin/node' });
  assert.equal(result.mode, 'direct');
  const doc = readJson(s.hooksFile);
  assert.equal(doc.hooks.preToolUse.length, 3);
  assert.deepEqual(doc.hooks.preToolUse.slice(0, 2), USER_FILE.hooks.preToolUse);
  const script = path.join(s.home, 'hooks', 'blueplane-hook.js');
  assert.equal(doc.hooks.preToolUse[2].command, `/usr/local/bin/node ${shellQuote(script)} preToolUse`);
  assert.equal(doc.hooks.preToolUse[2].timeout, 10);
  assert.equal(hooksStatus({ config: s.config, env: s.env }).mode, 'direct');
});

test("direct mode without Node uses the editor's executable with ELECTRON_RUN_AS_NODE=1", (t) => {
  const s = setup(t);
  const result = installHooks({ config: s.config, env: { ...s.env, PATH: '' }, direct: true, editorExecutable: '/Applications/Cursor.app/Contents/MacOS/Cursor' });
  const [entry] = readJson(result.hooksFile).hooks.stop;
  assert.match(String(entry.command), /^ELECTRON_RUN_AS_NODE=1 \/Applications\/Cursor\.app\/Contents\/MacOS\/Cursor '?\/.*blueplane-hook\.js'? stop$/);
  const onPath = installHooks({ config: s.config, env: { ...s.env, PATH: path.dirname(process.execPath) }, direct: true });
  assert.ok(String(readJson(onPath.hooksFile).hooks.stop[0].command).startsWith(shellQuote(path.join(path.dirname(process.execPath), 'node'))));
});

test('Windows: the spool hook is refused with a way out; direct commands are double-quoted', (t) => {
  const s = setup(t);
  assert.throws(() => installHooks({ config: s.config, env: s.env, platform: 'win32' }), (err: Error) => err instanceof HooksInstallError && /--direct/.test(err.message));
  const result = installHooks({ config: s.config, env: s.env, platform: 'win32', direct: true, nodePath: 'C:\\Program Files\\nodejs\\node.exe' });
  assert.match(String(readJson(result.hooksFile).hooks.stop[0].command), /^"[^"]*node\.exe" "[^"]*blueplane-hook\.js" stop$/);
});

test('a hooks.json that cannot be parsed is left untouched, with one clear sentence', (t) => {
  const s = setup(t);
  mkdirSync(path.dirname(s.hooksFile), { recursive: true });
  for (const bad of ['{ "version": 1, "hooks": { ', '[1, 2]', '{"version":1,"hooks":[]}', '{"version":1,"hooks":{"preToolUse":{"command":"x"}}}']) {
    writeFileSync(s.hooksFile, bad);
    assert.throws(
      () => installHooks({ config: s.config, env: s.env }),
      (err: Error) => err instanceof HooksFileError && err.message.includes(s.hooksFile) && /left untouched/.test(err.message) && !err.message.includes('\n'),
      bad,
    );
    assert.equal(readFileSync(s.hooksFile, 'utf8'), bad);
    assert.equal(existsSync(s.hooksFile + BACKUP_SUFFIX), false);
    assert.equal(existsSync(path.join(s.home, 'hooks')), false, 'nothing else was installed either');
  }
  // Files that are not JSON objects at all stop uninstall and status too.
  for (const bad of ['{ "version": 1, "hooks": { ', '[1, 2]', '{"version":1,"hooks":[]}']) {
    writeFileSync(s.hooksFile, bad);
    assert.throws(() => uninstallHooks({ config: s.config, env: s.env }), HooksFileError);
    assert.equal(readFileSync(s.hooksFile, 'utf8'), bad);
    assert.match(hooksStatus({ config: s.config, env: s.env }).error ?? '', /left untouched/);
  }
});

test("uninstall removes only our entries, drops lists it emptied, keeps the user's, and is idempotent", (t) => {
  const s = setup(t);
  mkdirSync(path.dirname(s.hooksFile), { recursive: true });
  writeFileSync(s.hooksFile, JSON.stringify(USER_FILE));
  installHooks({ config: s.config, env: s.env });
  const result = uninstallHooks({ config: s.config, env: s.env });
  assert.equal(result.changed, true);
  assert.equal(result.removed.length, CURSOR_HOOK_EVENTS.length);
  assert.deepEqual(readJson(s.hooksFile), USER_FILE);
  const again = uninstallHooks({ config: s.config, env: s.env });
  assert.equal(again.changed, false);
  assert.equal(hooksStatus({ config: s.config, env: s.env }).mode, 'none');
});

test('status reports hooked events, the user’s own hooks and the spool backlog', (t) => {
  const s = setup(t);
  installHooks({ config: s.config, env: s.env });
  mkdirSync(s.config.paths.spool, { recursive: true });
  writeFileSync(path.join(s.config.paths.spool, `${Date.now() - 5000}000000-1-0.stop.json`), '{}');
  writeFileSync(path.join(s.config.paths.spool, '.tmp-1-1-0.stop'), '');
  // The shell hook's format: a complete event (data and marker), one still being written.
  writeFileSync(path.join(s.config.paths.spool, 's7-0.stop.json'), '{}');
  writeFileSync(path.join(s.config.paths.spool, 's7-0.stop.ready'), '');
  writeFileSync(path.join(s.config.paths.spool, 's8-0.stop.json'), '{"half');
  // ...and one being written under a name whose marker an earlier event left (older than the data).
  writeFileSync(path.join(s.config.paths.spool, 's9-0.stop.ready'), '');
  const earlier = new Date(Date.now() - 10_000);
  utimesSync(path.join(s.config.paths.spool, 's9-0.stop.ready'), earlier, earlier);
  writeFileSync(path.join(s.config.paths.spool, 's9-0.stop.json'), '{"half');
  const status = hooksStatus({ config: s.config, env: s.env });
  assert.equal(status.mode, 'spool');
  assert.equal(status.hooked.length, CURSOR_HOOK_EVENTS.length);
  assert.deepEqual(status.missing, []);
  assert.equal(status.otherHooks, 0);
  assert.deepEqual(status.scripts, { spool: true, direct: false, settings: true });
  assert.equal(status.spool.files, 2);
  assert.equal(status.spool.bytes, 4);
  assert.equal(status.spool.tempFiles, 3);
  assert.ok((status.spool.oldestAgeMs ?? 0) >= 4000);
  assert.deepEqual(status.outdated, []);
  s.config.paths.spool = path.join(s.home, 'elsewhere');
  assert.equal(hooksStatus({ config: s.config, env: s.env }).outdated?.length, CURSOR_HOOK_EVENTS.length, 'spool.dir changed since install');
});

test('--project writes <dir>/.cursor/hooks.json and warns when the user file has our hooks too', (t) => {
  const s = setup(t);
  const project = path.join(s.userHome, 'work', 'acme');
  mkdirSync(project, { recursive: true });
  const alone = installHooks({ config: s.config, env: s.env, project });
  assert.equal(alone.hooksFile, path.join(project, '.cursor', 'hooks.json'));
  assert.deepEqual(alone.warnings, []);
  installHooks({ config: s.config, env: s.env });
  const both = installHooks({ config: s.config, env: s.env, project });
  assert.equal(both.warnings.length, 1);
  assert.match(both.warnings[0], /also installed in .*\.cursor\/hooks\.json/);
  assert.deepEqual(hooksStatus({ config: s.config, env: s.env, project }).alsoInstalledIn, [s.hooksFile]);
});

test('shellQuote survives sh -c with spaces, quotes and dollar signs', () => {
  for (const value of ['/plain/path', "/it's here/x", '/a b/$HOME/`x`', '/semi;colon&amp']) {
    const r = spawnSync('sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, value);
  }
});
