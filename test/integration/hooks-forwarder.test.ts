// SpoolForwarder against a real Redis and real spool files written by the real shell hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Redis } from 'ioredis';
import { ORPHAN_MARKER_MS, SpoolForwarder, STALE_TEMP_MS } from '../../src/capture/spoolForwarder';
import { installHooks, INSTALLED_DIRECT_HOOK, INSTALLED_SPOOL_HOOK } from '../../src/capture/hooksInstaller';
import { parseSpoolName, spoolFileName, writeSpoolFile } from '../../src/capture/spoolFiles';
import { fieldsFromArray, parseStreamEntry, type StreamFields } from '../../src/shared/event';
import { createLogger, type Logger } from '../../src/shared/log';
import { createRedis } from '../../src/shared/redis';
import type { Config } from '../../src/config/config';
import { cursorFixtures } from '../helpers/fixtures';
import { deleteKeys, tempHome, testConfig, testRedis, waitFor } from '../helpers/env';
import { SECRET_SAMPLES, payloadWithSecrets } from '../fixtures/secrets';

const SCRIPT = path.resolve(__dirname, '../../src/capture/spoolHook.sh');

/** The events waiting in a spool: data files, not markers. */
function dataFiles(spool: string): string[] {
  return readdirSync(spool).filter((n) => parseSpoolName(n));
}

/** A short stale window for tests, and passes until `done` holds: the window counts from when the forwarder first saw a file. */
const SHORT_STALE_MS = 50;
async function drainUntil(f: SpoolForwarder, done: () => boolean): Promise<void> {
  await waitFor(async () => {
    await f.drain();
    return done();
  }, { what: 'the forwarder to finish' });
}

interface Ctx {
  config: Config;
  redis: Redis;
  log: Logger;
  lines: string[];
  /** `staleMs` shortens how long unfinished files wait (STALE_TEMP_MS otherwise). */
  forwarder(config?: Config, staleMs?: number): SpoolForwarder;
  /** Run the shell hook; returns the data file it wrote. */
  spool(event: string, input: string): string;
  entries(stream?: string): Promise<StreamFields[]>;
}

async function setup(t: { after(fn: () => Promise<void> | void): void }, tweak: (c: Config) => void = () => {}): Promise<Ctx> {
  const h = tempHome('bp-fwd');
  const config = testConfig(h.home, (c) => {
    c.spool.scan_interval_ms = 50;
    tweak(c);
  });
  const redis = await testRedis();
  const lines: string[] = [];
  const log = createLogger((_l, line) => lines.push(line), 'debug');
  const started: SpoolForwarder[] = [];
  t.after(async () => {
    for (const f of started) await f.stop();
    await deleteKeys(redis, config.streams.events, config.streams.dlq);
    redis.disconnect();
    h.cleanup();
  });
  return {
    config,
    redis,
    log,
    lines,
    forwarder(c = config, staleMs?: number) {
      const f = new SpoolForwarder({ config: c, redis, log, staleMs });
      started.push(f);
      return f;
    },
    spool(event, input) {
      const before = existsSync(config.paths.spool) ? new Set(readdirSync(config.paths.spool)) : new Set<string>();
      const r = spawnSync('sh', [SCRIPT, event, config.paths.spool], { input });
      assert.equal(r.status, 0);
      const added = readdirSync(config.paths.spool).filter((n) => !before.has(n) && parseSpoolName(n));
      assert.equal(added.length, 1, `one data file per hook run: ${added.join(', ')}`);
      return path.join(config.paths.spool, added[0]);
    },
    async entries(stream = config.streams.events) {
      const raw = (await redis.xrange(stream, '-', '+')) as Array<[string, string[]]>;
      return raw.map(([, flat]) => fieldsFromArray(flat));
    },
  };
}

test('every fixture the shell hook spools reaches the stream once, as a parseable wire-format entry', async (t) => {
  const c = await setup(t);
  const fixtures = cursorFixtures();
  for (const f of fixtures) c.spool(f.hook_event_name, JSON.stringify(f));
  const forwarder = c.forwarder();
  await forwarder.start();
  await waitFor(async () => (await c.redis.xlen(c.config.streams.events)) === fixtures.length, { what: 'all fixtures forwarded' });
  await waitFor(() => readdirSync(c.config.paths.spool).length === 0, { what: 'spool emptied' });
  const entries = await c.entries();
  assert.deepEqual(entries.map((e) => e.hook_type), fixtures.map((f) => f.hook_event_name), 'oldest first');
  for (const [i, fields] of entries.entries()) {
    const parsed = parseStreamEntry(fields, `${i}-0`);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.event.payload, fixtures[i]);
    assert.equal(parsed.event.platform, 'cursor');
    assert.equal(parsed.event.metadata.capture, 'spool');
  }
  assert.equal(new Set(entries.map((e) => e.event_id)).size, fixtures.length);
  assert.deepEqual(forwarder.stats(), { forwarded: fixtures.length, failed: 0, dropped: 0, parseFailures: 0, backlog: 0 });
});

test('secrets in prompts, commands and outputs never reach Redis', async (t) => {
  const c = await setup(t);
  const [pre] = cursorFixtures().filter((f) => f.hook_event_name === 'preToolUse');
  c.spool('preToolUse', JSON.stringify(payloadWithSecrets(pre)));
  c.spool('afterShellExecution', `{"hook_event_name":"afterShellExecution","output":${JSON.stringify(SECRET_SAMPLES.map((s) => s.text).join('\n'))}}`);
  c.spool('stop', `not json but ${SECRET_SAMPLES[0].text}`);
  const forwarder = c.forwarder();
  await forwarder.start();
  await forwarder.drain();
  const stored = JSON.stringify([...(await c.entries()), ...(await c.entries(c.config.streams.dlq))]);
  assert.equal((await c.entries()).length, 2);
  assert.equal((await c.entries(c.config.streams.dlq)).length, 1);
  for (const s of SECRET_SAMPLES) assert.ok(!stored.includes(s.secret), `${s.kind} reached Redis`);
});

test('a crash between XADD and delete forwards the file again with the same event_id (one row)', async (t) => {
  const c = await setup(t);
  const [post] = cursorFixtures().filter((f) => f.hook_event_name === 'postToolUse');
  const [shell] = cursorFixtures().filter((f) => f.hook_event_name === 'beforeShellExecution');
  c.spool('postToolUse', JSON.stringify(post));
  c.spool('beforeShellExecution', JSON.stringify(shell));
  const saved = path.join(c.config.paths.home, 'saved');
  mkdirSync(saved);
  const names = readdirSync(c.config.paths.spool);
  const times = names.map((n) => statSync(path.join(c.config.paths.spool, n)).mtime);
  for (const n of names) copyFileSync(path.join(c.config.paths.spool, n), path.join(saved, n));

  const first = c.forwarder();
  await first.start();
  await first.drain();
  await first.stop();
  // The "crash": the entries are in Redis, the files are back as if the delete never happened.
  names.forEach((n, i) => {
    copyFileSync(path.join(saved, n), path.join(c.config.paths.spool, n));
    utimesSync(path.join(c.config.paths.spool, n), times[i], times[i]);
  });
  const second = c.forwarder();
  await second.start();
  await second.drain();

  const ids = (await c.entries()).map((e) => e.event_id);
  assert.equal(ids.length, 4, 'each file was XADDed twice');
  assert.equal(new Set(ids).size, 2, 'but with the same two event_ids, so raw_traces keeps two rows');
});

test('Cursor delivering a tool event twice (or two hooks.json files) gives one event_id', async (t) => {
  const c = await setup(t);
  const [pre] = cursorFixtures().filter((f) => f.hook_event_name === 'preToolUse');
  const [prompt] = cursorFixtures().filter((f) => f.hook_event_name === 'beforeSubmitPrompt');
  for (let i = 0; i < 2; i++) {
    c.spool('preToolUse', JSON.stringify(pre));
    c.spool('beforeSubmitPrompt', JSON.stringify(prompt));
  }
  c.spool('beforeSubmitPrompt', JSON.stringify({ ...prompt, generation_id: 'a-new-generation' }));
  const f = c.forwarder();
  await f.start();
  await f.drain();
  const entries = await c.entries();
  assert.equal(entries.length, 5);
  assert.equal(new Set(entries.map((e) => e.event_id)).size, 3, 'two duplicates merged; the same prompt in a new generation kept');
});

test('unparseable and empty spool files go to the DLQ as parse_error, with their content, and are deleted', async (t) => {
  const c = await setup(t);
  c.spool('preToolUse', '{"conversation_id": "c1", "tool_use_id": ');
  c.spool('stop', '');
  const f = c.forwarder();
  await f.start();
  await f.drain();
  assert.equal(await c.redis.xlen(c.config.streams.events), 0);
  const dlq = await c.entries(c.config.streams.dlq);
  assert.equal(dlq.length, 2);
  for (const letter of dlq) {
    assert.equal(letter.error_type, 'parse_error');
    assert.match(letter.original_message_id, /^spool:s\d+-\d+\.(preToolUse|stop)\.json$/);
    assert.equal(letter.source_stream, c.config.streams.events);
    for (const key of ['original_event_id', 'original_data', 'error_message', 'deliveries', 'first_seen_at', 'dlq_queued_at', 'can_retry']) assert.ok(key in letter, key);
  }
  const original = JSON.parse(dlq[0].original_data) as StreamFields;
  assert.equal(JSON.parse(original.payload).raw_input, '{"conversation_id": "c1", "tool_use_id": ');
  assert.deepEqual(readdirSync(c.config.paths.spool), []);
  assert.equal(f.stats().parseFailures, 2);
  assert.ok(c.lines.some((l) => /could not be parsed/.test(l)));
});

test('past spool.max_files the oldest events are dropped, counted and logged', async (t) => {
  const c = await setup(t, (cfg) => {
    cfg.spool.max_files = 3;
  });
  mkdirSync(c.config.paths.spool, { recursive: true });
  const base = Date.now() - 10_000;
  for (let i = 0; i < 6; i++) writeFileSync(path.join(c.config.paths.spool, spoolFileName(base + i, 'stop', 1000 + i)), JSON.stringify({ hook_event_name: 'stop', conversation_id: 'c', n: i }));
  const f = c.forwarder();
  await f.start();
  await f.drain();
  const kept = (await c.entries()).map((e) => JSON.parse(e.payload).n);
  assert.deepEqual(kept, [3, 4, 5]);
  assert.equal(f.stats().dropped, 3);
  assert.ok(c.lines.some((l) => /dropped the 3 oldest events/.test(l)));
});

test('the bounds count the shell hook\'s data files, not markers, and drop a data file with its marker', async (t) => {
  const c = await setup(t, (cfg) => {
    cfg.spool.max_files = 3;
  });
  const base = Date.now() - 30_000;
  for (let i = 0; i < 6; i++) {
    const data = c.spool('stop', JSON.stringify({ hook_event_name: 'stop', conversation_id: 'c', n: i }));
    // Fire times a second apart, marker as new as its data: complete, in a known order.
    const when = new Date(base + i * 1000);
    utimesSync(data, when, when);
    utimesSync(data.replace(/\.json$/, '.ready'), when, when);
  }
  assert.equal(readdirSync(c.config.paths.spool).length, 12);
  const f = c.forwarder();
  await f.start();
  await f.drain();
  assert.deepEqual((await c.entries()).map((e) => JSON.parse(e.payload).n), [3, 4, 5], '6 data files over a bound of 3: the 3 oldest dropped');
  assert.equal(f.stats().dropped, 3);
  assert.deepEqual(readdirSync(c.config.paths.spool), [], 'no marker outlived its data file');
});

test('a shell hook data file without its marker is left alone while fresh, and one whose marker is older than it too', async (t) => {
  const c = await setup(t);
  mkdirSync(c.config.paths.spool, { recursive: true });
  const writing = path.join(c.config.paths.spool, 's101-0.stop.json');
  writeFileSync(writing, '{"hook_event_name":"stop","conv');
  // A marker an earlier event left under this name: older than the data being written now.
  const reused = path.join(c.config.paths.spool, 's102-0.stop.json');
  writeFileSync(reused, '{"hook_event_name":"stop","half');
  const oldMarker = path.join(c.config.paths.spool, 's102-0.stop.ready');
  writeFileSync(oldMarker, '');
  const before = new Date(Date.now() - 10_000);
  utimesSync(oldMarker, before, before);
  const f = c.forwarder();
  await f.start();
  await f.drain();
  await f.drain();
  assert.equal(await c.redis.xlen(c.config.streams.events), 0);
  assert.equal(await c.redis.xlen(c.config.streams.dlq), 0);
  assert.deepEqual(readdirSync(c.config.paths.spool).sort(), ['s101-0.stop.json', 's102-0.stop.json', 's102-0.stop.ready']);
  assert.deepEqual(f.stats(), { forwarded: 0, failed: 0, dropped: 0, parseFailures: 0, backlog: 0 });
  // The hook finishes (its last write dated to a whole second, still newer than the old marker),
  // then refreshes the marker: the file is forwarded with its final size and mtime, not the ones
  // seen while it was being written.
  writeFileSync(reused, '{"hook_event_name":"stop","conversation_id":"c"}');
  const lastWrite = new Date(Math.floor((Date.now() - 3_000) / 1000) * 1000);
  utimesSync(reused, lastWrite, lastWrite);
  writeFileSync(oldMarker, '');
  await f.drain();
  const [entry] = await c.entries();
  assert.equal(JSON.parse(entry.payload).conversation_id, 'c', 'read only once complete');
  assert.equal(entry.timestamp, lastWrite.toISOString(), 'the fire time is the last write, not a cached earlier mtime');
  assert.deepEqual(readdirSync(c.config.paths.spool), ['s101-0.stop.json']);
});

test('a marker-less data file older than STALE_TEMP_MS is forwarded as it is: valid JSON as an event, a truncated one to the DLQ', async (t) => {
  const c = await setup(t);
  const whole = c.spool('afterAgentResponse', JSON.stringify({ hook_event_name: 'afterAgentResponse', conversation_id: 'c', text: 'done' }));
  const cut = c.spool('preToolUse', '{"hook_event_name":"preToolUse","conversation_id":"c","tool_input":{"comm');
  // As if each hook was killed before it made the marker, long enough ago.
  const old = new Date(Math.floor((Date.now() - STALE_TEMP_MS - 60_000) / 1000) * 1000); // whole seconds: exact as an mtime
  for (const data of [whole, cut]) {
    rmSync(data.replace(/\.json$/, '.ready'));
    utimesSync(data, old, old);
  }
  const f = c.forwarder(c.config, SHORT_STALE_MS);
  await f.start();
  await drainUntil(f, () => dataFiles(c.config.paths.spool).length === 0);
  const [entry] = await c.entries();
  assert.equal(JSON.parse(entry.payload).text, 'done');
  assert.equal(entry.timestamp, old.toISOString(), 'the fire time is the mtime');
  const dlq = await c.entries(c.config.streams.dlq);
  assert.equal(dlq.length, 1);
  assert.equal(dlq[0].error_type, 'parse_error');
  assert.equal(dlq[0].original_message_id, `spool:${path.basename(cut)}`);
  assert.match(JSON.parse(JSON.parse(dlq[0].original_data).payload).raw_input, /"tool_input":\{"comm$/);
  assert.deepEqual(readdirSync(c.config.paths.spool), []);
  assert.deepEqual(f.stats(), { forwarded: 1, failed: 0, dropped: 0, parseFailures: 1, backlog: 0 });
  assert.equal(c.lines.filter((l) => /had no completion marker/.test(l)).length, 2);
});

test('a marker-less data file whose mtime looks old (a skewed NFS clock, a machine that slept) is not forwarded until this forwarder has watched it for the whole window', async (t) => {
  const c = await setup(t);
  const data = c.spool('afterAgentResponse', '{"hook_event_name":"afterAgentResponse","text":"still being wri');
  rmSync(data.replace(/\.json$/, '.ready'));
  const skewed = new Date(Date.now() - 3_600_000);
  utimesSync(data, skewed, skewed);
  const f = c.forwarder();
  await f.start();
  await f.drain();
  await f.drain();
  assert.deepEqual(dataFiles(c.config.paths.spool), [path.basename(data)], 'left for the hook to finish');
  assert.equal(await c.redis.xlen(c.config.streams.events), 0);
  assert.equal(await c.redis.xlen(c.config.streams.dlq), 0);
  // The hook finishes and marks it: forwarded whole.
  writeFileSync(data, '{"hook_event_name":"afterAgentResponse","text":"still being written"}');
  writeFileSync(data.replace(/\.json$/, '.ready'), '');
  await drainUntil(f, () => dataFiles(c.config.paths.spool).length === 0);
  const [entry] = await c.entries();
  assert.equal(JSON.parse(entry.payload).text, 'still being written');
});

test('a marker whose data file is gone is removed once it is a few seconds old, and is never an event', async (t) => {
  const c = await setup(t);
  mkdirSync(c.config.paths.spool, { recursive: true });
  const orphan = path.join(c.config.paths.spool, 's201-0.stop.ready');
  const fresh = path.join(c.config.paths.spool, 's202-0.stop.ready');
  writeFileSync(orphan, '');
  writeFileSync(fresh, '');
  const old = new Date(Date.now() - ORPHAN_MARKER_MS - 10_000);
  utimesSync(orphan, old, old);
  const f = c.forwarder();
  await f.start();
  await f.drain();
  assert.equal(existsSync(orphan), false);
  assert.equal(existsSync(fresh), true, 'a fresh one may belong to a data file the listing missed');
  assert.equal(await c.redis.xlen(c.config.streams.events), 0);
  assert.equal(await c.redis.xlen(c.config.streams.dlq), 0);
  assert.deepEqual(f.stats(), { forwarded: 0, failed: 0, dropped: 0, parseFailures: 0, backlog: 0 });
});

test('a crash between deleting the marker and the data file forwards the data again with the same event_id', async (t) => {
  const c = await setup(t);
  // No tool id and not once per generation: the event_id depends on the fire time (the mtime).
  const text = JSON.stringify({ hook_event_name: 'afterShellExecution', conversation_id: 'c', command: 'ls', output: 'a b' });
  const data = c.spool('afterShellExecution', text);
  const old = new Date(Date.now() - STALE_TEMP_MS - 60_000);
  utimesSync(data, old, old);
  utimesSync(data.replace(/\.json$/, '.ready'), old, old);
  const saved = path.join(c.config.paths.home, 'saved.json');
  copyFileSync(data, saved);
  const first = c.forwarder();
  await first.start();
  await first.drain();
  await first.stop();
  assert.deepEqual(readdirSync(c.config.paths.spool), []);
  // The "crash": the marker was deleted, the data file was not (mtime unchanged).
  copyFileSync(saved, data);
  utimesSync(data, old, old);
  const second = c.forwarder(c.config, SHORT_STALE_MS);
  await second.start();
  await drainUntil(second, () => dataFiles(c.config.paths.spool).length === 0);
  const entries = await c.entries();
  assert.equal(entries.length, 2, 'XADDed twice');
  assert.equal(entries[0].event_id, entries[1].event_id, 'with one event_id, so raw_traces keeps one row');
  assert.equal(readFileSync(saved, 'utf8'), text);
  assert.deepEqual(readdirSync(c.config.paths.spool), []);
});

test('files of earlier shell hooks and of the direct hook (fire time in the name, temp then rename) are still forwarded, oldest first', async (t) => {
  const c = await setup(t);
  mkdirSync(c.config.paths.spool, { recursive: true });
  const now = Date.now();
  const ev = (n: number) => JSON.stringify({ hook_event_name: 'stop', conversation_id: 'c', n });
  // An earlier shell hook on macOS (seconds), one on Linux (nanoseconds), the direct hook's
  // fallback, and today's shell hook, in that fire order.
  const seconds = Math.floor((now - 40_000) / 1000);
  const macFile = path.join(c.config.paths.spool, `${seconds}-11-0.stop.json`);
  writeFileSync(macFile, ev(0));
  const mtime = new Date(seconds * 1000 + 250);
  utimesSync(macFile, mtime, mtime);
  writeFileSync(path.join(c.config.paths.spool, `${now - 30_000}123456-12-0.stop.json`), ev(1));
  writeSpoolFile(c.config.paths.spool, 'stop', now - 20_000, ev(2));
  c.spool('stop', ev(3));
  const f = c.forwarder();
  await f.start();
  await f.drain();
  const entries = await c.entries();
  assert.deepEqual(entries.map((e) => JSON.parse(e.payload).n), [0, 1, 2, 3]);
  assert.deepEqual(
    entries.slice(0, 3).map((e) => e.timestamp),
    [seconds * 1000 + 250, now - 30_000, now - 20_000].map((ms) => new Date(ms).toISOString()),
  );
  assert.deepEqual(readdirSync(c.config.paths.spool), []);
});

test('half-written temp files of dead hooks are removed after a minute; fresh ones are left alone', async (t) => {
  const c = await setup(t);
  mkdirSync(c.config.paths.spool, { recursive: true });
  const stale = path.join(c.config.paths.spool, '.tmp-1-1-0.stop');
  const fresh = path.join(c.config.paths.spool, '.tmp-2-2-0.stop');
  writeFileSync(stale, '{"half');
  writeFileSync(fresh, '{"being written');
  const old = new Date(Date.now() - 120_000);
  utimesSync(stale, old, old);
  const f = c.forwarder(c.config, 60_000);
  await f.start();
  await f.drain();
  assert.equal(existsSync(stale), true, 'not before this forwarder has watched it for the whole window (a clock can lie)');
  assert.equal(existsSync(fresh), true);
  await f.stop();
  rmSync(fresh); // its hook finished; only the abandoned one is left for a forwarder with a short window
  const g = c.forwarder(c.config, SHORT_STALE_MS);
  await g.start();
  await drainUntil(g, () => !existsSync(stale));
  assert.equal(g.stats().dropped, 1);
});

test('with Redis down the files stay, failures are counted once in the log, and a later forwarder sends them', async (t) => {
  const c = await setup(t);
  for (const f of cursorFixtures().slice(0, 3)) c.spool(f.hook_event_name, JSON.stringify(f));
  const deadRedis = createRedis({ url: 'redis://127.0.0.1:1', failFast: true, name: 'bp-test-dead' });
  t.after(() => deadRedis.disconnect());
  const down = new SpoolForwarder({ config: c.config, redis: deadRedis, log: c.log });
  await down.start();
  await down.drain();
  await down.drain();
  await down.stop();
  assert.equal(dataFiles(c.config.paths.spool).length, 3);
  assert.ok(down.stats().failed >= 2);
  assert.equal(down.stats().backlog, 3);
  assert.equal(c.lines.filter((l) => /Cannot forward spooled events/.test(l)).length, 1, 'logged once, not per attempt');
  const up = c.forwarder();
  await up.start();
  await up.drain();
  assert.equal(await c.redis.xlen(c.config.streams.events), 3);
});

test('an entry Redis keeps refusing goes to the DLQ after three tries instead of blocking the spool', async (t) => {
  const c = await setup(t);
  await c.redis.set(c.config.streams.events, 'not a stream'); // every XADD now fails with WRONGTYPE
  c.spool('stop', JSON.stringify({ hook_event_name: 'stop', conversation_id: 'c' }));
  const f = c.forwarder();
  await f.start();
  for (let i = 0; i < 3; i++) await f.drain();
  const dlq = await c.entries(c.config.streams.dlq);
  assert.equal(dlq.length, 1);
  assert.equal(dlq[0].error_type, 'processing_error');
  assert.match(dlq[0].error_message, /WRONGTYPE/);
  assert.deepEqual(readdirSync(c.config.paths.spool), []);
});

test('metadata privacy mode: sizes and hashes only reach Redis', async (t) => {
  const c = await setup(t, (cfg) => {
    cfg.privacy.mode = 'metadata';
  });
  const [prompt] = cursorFixtures().filter((f) => f.hook_event_name === 'beforeSubmitPrompt');
  c.spool('beforeSubmitPrompt', JSON.stringify(prompt));
  const f = c.forwarder();
  await f.start();
  await f.drain();
  const [entry] = await c.entries();
  assert.ok(!entry.payload.includes('health endpoint'));
  assert.equal(JSON.parse(entry.payload).prompt.redacted, 'metadata');
});

test('stop() is idempotent, lets the file in progress finish, and nothing is forwarded after it', async (t) => {
  const c = await setup(t);
  for (let i = 0; i < 50; i++) c.spool('stop', JSON.stringify({ hook_event_name: 'stop', conversation_id: 'c', n: i }));
  const f = c.forwarder();
  await f.start();
  await Promise.all([f.stop(), f.stop()]);
  const forwarded = await c.redis.xlen(c.config.streams.events);
  assert.equal(dataFiles(c.config.paths.spool).length + forwarded, 50, 'every file is either forwarded or still spooled');
  c.spool('stop', JSON.stringify({ hook_event_name: 'stop', conversation_id: 'c', n: 'late' }));
  await f.drain();
  assert.equal(await c.redis.xlen(c.config.streams.events), forwarded);
  await f.stop();
});

test('new spool files are picked up promptly by the folder watch', async (t) => {
  const c = await setup(t, (cfg) => {
    cfg.spool.scan_interval_ms = 60_000; // only the watch can find it in time
  });
  const f = c.forwarder();
  await f.start();
  c.spool('stop', JSON.stringify({ hook_event_name: 'stop', conversation_id: 'c' }));
  await waitFor(async () => (await c.redis.xlen(c.config.streams.events)) === 1, { timeoutMs: 3000, what: 'the watched file forwarded' });
});

test('a spool folder that cannot be created is reported once, and does not stop the forwarder', async (t) => {
  const c = await setup(t, (cfg) => {
    cfg.paths.spool = path.join(cfg.paths.home, 'blocker', 'spool');
  });
  mkdirSync(c.config.paths.home, { recursive: true });
  writeFileSync(path.join(c.config.paths.home, 'blocker'), 'a file where a folder should be');
  const f = c.forwarder();
  await f.start();
  for (let i = 0; i < 3; i++) await f.drain();
  assert.equal(c.lines.filter((l) => /Cannot prepare the spool folder/.test(l)).length, 1);
  assert.equal(c.lines.filter((l) => /Reading the spool .* failed/.test(l)).length, 1, 'logged once, not every scan');
});

test('an installed hook script from an earlier version is brought up to date when the forwarder starts; a hook not installed stays absent', async (t) => {
  const c = await setup(t);
  installHooks({ config: c.config, env: { HOME: path.dirname(c.config.paths.home), PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const spoolHook = path.join(c.config.paths.hooks, INSTALLED_SPOOL_HOOK);
  const current = readFileSync(spoolHook, 'utf8');
  writeFileSync(spoolHook, '#!/bin/sh\n# an earlier version\nprintf "{}\\n"\n', { mode: 0o700 });
  const f = c.forwarder();
  await f.start();
  assert.equal(readFileSync(spoolHook, 'utf8'), current, 'replaced by this version');
  assert.equal(statSync(spoolHook).mode & 0o777, 0o700);
  assert.equal(existsSync(path.join(c.config.paths.hooks, INSTALLED_DIRECT_HOOK)), false, 'the direct hook was not installed, so it is not created');
  assert.ok(c.lines.some((l) => l.includes(`Updated the installed hook ${spoolHook}`)));
  await f.stop();
  // Already current: left alone, nothing logged.
  const before = c.lines.length;
  const g = c.forwarder();
  await g.start();
  assert.ok(!c.lines.slice(before).some((l) => /Updated the installed hook/.test(l)));
});
