import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { testRedis, waitFor } from '../helpers/env';
import { makeEvent, readStatus, setupHome, startProcessor, waitAllAcked, xaddEvents } from '../helpers/processor';
import { openWithOtherSqlite } from '../helpers/readback';
import { fieldsFromArray } from '../../src/shared/event';

function rowsIn(home: string): { n: number; d: number; ids: Set<string> } {
  const db = openWithOtherSqlite(path.join(home, 'telemetry.db'));
  try {
    const ids = (db.prepare('SELECT event_id FROM raw_traces').all() as Array<{ event_id: string }>).map((r) => r.event_id);
    return { n: ids.length, d: new Set(ids).size, ids: new Set(ids) };
  } finally {
    db.close();
  }
}

test('kill -9 during a load, then restart: nothing lost, nothing duplicated', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  try {
    const events = Array.from({ length: 12_000 }, (_, i) => makeEvent({}, { output: `line ${i}\n`.repeat(60) }));
    await xaddEvents(redis, setup.streams.events, events);
    const first = startProcessor(setup);
    // Kill it mid-way: some batches durable and acked, some written but not flushed, some unread.
    await waitFor(() => (readStatus(setup)?.fastPath.acked ?? 0) > 0, { what: 'first acks', timeoutMs: 30_000 });
    first.child.kill('SIGKILL');
    await first.exited;
    const ackedBeforeCrash = readStatus(setup)?.fastPath.acked ?? 0;
    assert.ok(ackedBeforeCrash < events.length, 'the crash came in the middle of the load');
    const second = startProcessor(setup);
    try {
      // The dead leader's lock goes stale first (10 s); then the new one recovers its entries.
      await waitFor(() => readStatus(setup)?.pid === second.child.pid && readStatus(setup)?.role === 'leader', { what: 'second leader', timeoutMs: 30_000 });
      await waitAllAcked(redis, setup.streams.events, events.length, 90_000);
    } finally {
      assert.equal(await second.stop(), 0, second.output().slice(-3000));
    }
    const rows = rowsIn(setup.home);
    assert.equal(rows.n, events.length, 'every event stored');
    assert.equal(rows.d, events.length, 'no event stored twice');
    for (const e of events) assert.ok(rows.ids.has(e.event_id));
  } finally {
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('malformed entries reach the DLQ after 3 deliveries while the rest flows', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const proc = startProcessor(setup);
  try {
    const good = Array.from({ length: 300 }, () => makeEvent());
    await xaddEvents(redis, setup.streams.events, good.slice(0, 150));
    const s = setup.streams.events;
    const now = new Date().toISOString();
    const badJsonId = randomUUID();
    await redis.xadd(s, '*', 'event_id', badJsonId, 'timestamp', now, 'platform', 'cursor', 'hook_type', 'stop', 'payload', '{"status": "completed",');
    await redis.xadd(s, '*', 'event_id', randomUUID(), 'payload', '{}'); // missing timestamp, platform, hook_type
    await redis.xadd(s, '*', 'event_id', randomUUID(), 'timestamp', now, 'platform', 'cursor', 'hook_type', 'afterShellExecution', 'payload', JSON.stringify({ output: 'x'.repeat(5 * 1024 * 1024) }));
    await redis.xadd(s, '*', Buffer.from([0xff, 0xfe, 0x00, 0x01]), Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)));
    await xaddEvents(redis, s, good.slice(150));
    await waitFor(async () => (await redis.xlen(setup.streams.dlq)) === 4, { what: '4 dead letters', timeoutMs: 30_000 });
    await waitAllAcked(redis, s, 304);
    const letters = ((await redis.xrange(setup.streams.dlq, '-', '+')) as Array<[string, string[]]>).map(([, f]) => fieldsFromArray(f));
    for (const l of letters) {
      assert.equal(l.deliveries, '3');
      assert.ok(l.error_message.length > 0);
      assert.ok(l.original_message_id);
      assert.ok(l.dlq_queued_at);
      assert.doesNotThrow(() => JSON.parse(l.original_data));
    }
    const types = letters.map((l) => l.error_type).sort();
    assert.deepEqual(types, ['parse_error', 'too_large', 'validation_error', 'validation_error']);
    const badJson = letters.find((l) => l.original_event_id === badJsonId)!;
    assert.equal(badJson.error_type, 'parse_error');
    assert.equal(JSON.parse(badJson.original_data).payload, '{"status": "completed",', 'the original entry is kept whole');
    await waitFor(() => (readStatus(setup)?.fastPath.written ?? 0) === 300, { what: 'all good events written' });
    assert.equal(rowsIn(setup.home).n, 300);
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('a second processor on the same database stays passive, then takes over', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const a = startProcessor(setup);
  let b: ReturnType<typeof startProcessor> | undefined;
  try {
    await waitFor(() => readStatus(setup)?.role === 'leader', { what: 'first leader' });
    b = startProcessor(setup);
    await waitFor(() => /staying passive/.test(b!.output()), { what: 'second passive' });
    const events = Array.from({ length: 100 }, () => makeEvent());
    await xaddEvents(redis, setup.streams.events, events);
    await waitAllAcked(redis, setup.streams.events, 100);
    assert.equal(readStatus(setup)?.pid, a.child.pid, 'the first one wrote them');
    assert.equal(await a.stop(), 0);
    // A clean exit releases the lock at once; the passive one notices within its poll interval.
    await waitFor(() => /owns .*telemetry\.db/.test(b!.output()), { what: 'takeover', timeoutMs: 10_000 });
    const more = Array.from({ length: 100 }, () => makeEvent());
    await xaddEvents(redis, setup.streams.events, more);
    await waitAllAcked(redis, setup.streams.events, 200);
    assert.equal(await b.stop(), 0);
    const rows = rowsIn(setup.home);
    assert.equal(rows.n, 200);
    assert.equal(rows.d, 200);
  } finally {
    await a.stop('SIGKILL');
    await b?.stop('SIGKILL');
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('a leader killed with -9 cannot hold the database forever', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const a = startProcessor(setup);
  let b: ReturnType<typeof startProcessor> | undefined;
  try {
    await waitFor(() => readStatus(setup)?.role === 'leader', { what: 'first leader' });
    b = startProcessor(setup);
    await waitFor(() => /staying passive/.test(b!.output()), { what: 'second passive' });
    a.child.kill('SIGKILL');
    await a.exited;
    // The lock goes stale after 10 s without refresh; then the passive one takes over.
    await waitFor(() => /owns .*telemetry\.db/.test(b!.output()), { what: 'takeover after a crash', timeoutMs: 25_000 });
    await xaddEvents(redis, setup.streams.events, [makeEvent()]);
    await waitAllAcked(redis, setup.streams.events, 1);
  } finally {
    await a.stop('SIGKILL');
    await b?.stop('SIGKILL');
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('a corrupt database file is moved aside, kept, and a new one started', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const file = path.join(setup.home, 'telemetry.db');
  writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0xab)]), { mode: 0o600 });
  const proc = startProcessor(setup);
  try {
    await waitFor(() => readStatus(setup)?.role === 'leader', { what: 'leader' });
    const aside = readdirSync(setup.home).filter((f) => f.startsWith('telemetry.db.corrupt-'));
    assert.equal(aside.length, 1, 'the corrupt file is kept under a new name');
    assert.match(readStatus(setup)?.error ?? '', /corrupt.*moved to/);
    await xaddEvents(redis, setup.streams.events, [makeEvent(), makeEvent()]);
    await waitAllAcked(redis, setup.streams.events, 2);
    assert.equal(rowsIn(setup.home).n, 2);
    assert.ok(existsSync(path.join(setup.home, aside[0])));
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});
