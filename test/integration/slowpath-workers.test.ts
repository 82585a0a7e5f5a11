// The slow-path workers on a real Redis and a real sql.js file: CDC entries as the fast path
// publishes them (its own cdcFields), duplicates and poison entries among them. Checks that
// derived rows appear, that entries are acknowledged only after the flush that made their rows
// durable, that poison entries reach the DLQ after max_deliveries attempts, that pending entries
// are read again after a restart, and that stop() is bounded and idempotent.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import type { Config } from '../../src/config/config';
import type { SqliteStore } from '../../src/processing/database/sqliteClient';
import { cdcFields } from '../../src/processing/fastPath/cdcPublisher';
import { listDeadLetters } from '../../src/processing/fastPath/deadLetters';
import { rebuildDerived } from '../../src/processing/slowPath/rebuild';
import { SlowPathWorkers } from '../../src/processing/slowPath/workerPool';
import { createLogger } from '../../src/shared/log';
import { deleteKeys, testConfig, testRedis, waitFor } from '../helpers/env';
import { openStore, scriptedEvents, snapshot, storeEvents } from '../unit/slowpath-fixtures.test';

const events = scriptedEvents();

function countRows(store: SqliteStore, table: string): number {
  return Number(store.db.exec(`SELECT count(*) FROM ${table}`)[0].values[0][0]);
}

async function pendingCount(redis: Redis, config: Config): Promise<number> {
  const summary = (await redis.xpending(config.streams.cdc, config.slow_path.consumer_group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/** Publish CDC entries for stored rows exactly as the fast path does. */
async function publish(redis: Redis, config: Config, sequences: Map<string, number>): Promise<void> {
  for (const e of events) {
    const sequence = sequences.get(e.event_id);
    if (sequence === undefined) continue;
    const row = { event_id: e.event_id, event_type: e.event_type, session_id: e.session_id, platform: e.platform, timestamp: e.timestamp };
    await redis.xadd(config.streams.cdc, '*', ...cdcFields({ sequence, event: row }));
  }
}

describe('slow path workers on Redis', () => {
  let dir: string;
  let redis: Redis;
  const keys: string[] = [];
  const logLines: string[] = [];
  const log = createLogger((_level, line) => logLines.push(line), 'debug');

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bp-slowpath-workers-'));
    redis = await testRedis();
  });
  after(async () => {
    await deleteKeys(redis, ...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  test('derives, acks only after the flush, dead-letters poison entries, matches a rebuild', async () => {
    const config = testConfig(path.join(dir, 'home1'), (c) => {
      c.processor.block_ms = 100;
    });
    keys.push(config.streams.cdc, config.streams.dlq, `${config.streams.cdc}:failures:${config.slow_path.consumer_group}`);
    const store = await openStore(dir, 'workers.db');
    const sequences = storeEvents(store, events);
    // A row whose event_data is not zlib: it can be read but never decoded.
    const poisonRow = storeEvents(store, [{ ...events[0], event_id: 'poison-row' }]).get('poison-row') as number;
    store.db.run('UPDATE raw_traces SET event_data = ? WHERE sequence = ?', [new Uint8Array([9, 9, 9]), poisonRow]);
    store.flush();

    await publish(redis, config, sequences);
    // Duplicate deliveries of the first ten entries (the fast path re-announces redelivered rows).
    await publish(redis, config, new Map([...sequences.entries()].slice(0, 10)));
    await redis.xadd(config.streams.cdc, '*', 'sequence', String(poisonRow), 'event_id', 'poison-row', 'event_type', 'session_start', 'priority', '4');
    await redis.xadd(config.streams.cdc, '*', 'sequence', 'not-a-number', 'event_id', 'bad-entry', 'priority', '2');
    const total = events.length + 10 + 2;

    const workers = new SlowPathWorkers({ config, redis, store, log });
    await workers.start();
    try {
      await waitFor(() => workers.stats().processed >= events.length + 10 && workers.stats().pendingScopes === 0 && countRows(store, 'conversations') === 4, {
        what: 'derived conversations',
      });
      assert.equal(workers.stats().duplicates >= 10, true);
      // Derived, but not durable yet: nothing acknowledged (the two poison entries may already
      // have been dead-lettered and acknowledged).
      assert.ok((await pendingCount(redis, config)) >= total - 2);
      await workers.onDurable();
      assert.equal(workers.stats().acked, 0, 'no entry is acknowledged before its rows are flushed');

      store.flush();
      await workers.onDurable();
      assert.ok(workers.stats().acked >= events.length, `acked ${workers.stats().acked}`);

      // The two poison entries: retried, then dead-lettered after max_deliveries attempts.
      const letters = await waitFor(async () => {
        const list = await listDeadLetters(redis, config.streams.dlq);
        return list.length === 2 ? list : undefined;
      }, { timeoutMs: 15_000, what: 'two dead letters' });
      const byEvent = Object.fromEntries(letters.map((l) => [l.originalEventId, l]));
      assert.equal(byEvent['poison-row'].errorType, 'processing_error');
      assert.match(byEvent['poison-row'].errorMessage, /cannot be inflated/);
      assert.equal(byEvent['poison-row'].deliveries, config.processor.max_deliveries);
      assert.equal(byEvent['poison-row'].sourceStream, config.streams.cdc);
      assert.equal(byEvent['poison-row'].originalFields?.sequence, String(poisonRow));
      assert.equal(byEvent['bad-entry'].errorType, 'parse_error');
      assert.equal(workers.stats().deadLettered, 2);

      await waitFor(async () => {
        store.flush();
        await workers.onDurable();
        return (await pendingCount(redis, config)) === 0;
      }, { what: 'every entry acknowledged' });

      const status = workers.status().slowPath;
      assert.equal(status?.state, 'running');
      assert.equal(status?.deadLettered, 2);
    } finally {
      const t0 = Date.now();
      await workers.stop();
      await workers.stop();
      assert.ok(Date.now() - t0 < config.processor.shutdown_timeout_ms, 'stop is bounded');
    }

    // The live result is what a rebuild computes (the poison row fails in both).
    const live = snapshot(store.db);
    const rebuilt = await rebuildDerived(store);
    assert.equal(rebuilt.failed, 1);
    const after = snapshot(store.db);
    // trace_stats and daily_metrics are stamped/recomputed per day; compare everything.
    assert.deepEqual(after, live);
    store.close();
  });

  test('entries derived but not acknowledged before a stop are read again and acknowledged after a restart', async () => {
    const config = testConfig(path.join(dir, 'home2'), (c) => {
      c.processor.block_ms = 100;
    });
    keys.push(config.streams.cdc, config.streams.dlq, `${config.streams.cdc}:failures:${config.slow_path.consumer_group}`);
    const store = await openStore(dir, 'restart.db');
    const sequences = storeEvents(store, events);
    store.flush();
    await publish(redis, config, sequences);

    const first = new SlowPathWorkers({ config, redis, store, log });
    await first.start();
    await waitFor(() => first.stats().processed === events.length, { what: 'first run derived everything' });
    await first.stop();
    // Stopped before any flush: nothing was acknowledged, the entries wait in the pending list.
    assert.equal(await pendingCount(redis, config), events.length);

    const second = new SlowPathWorkers({ config, redis, store, log });
    await second.start();
    try {
      await waitFor(() => second.stats().processed === events.length, { what: 'pending entries read again' });
      assert.equal(second.stats().duplicates, events.length, 'already derived: nothing written twice');
      store.flush();
      await second.onDurable();
      assert.equal(await pendingCount(redis, config), 0);
    } finally {
      await second.stop();
      store.close();
    }
  });

  test('rows the CDC stream never announced are caught up at start', async () => {
    const config = testConfig(path.join(dir, 'home3'), (c) => {
      c.processor.block_ms = 100;
    });
    keys.push(config.streams.cdc, config.streams.dlq, `${config.streams.cdc}:failures:${config.slow_path.consumer_group}`);
    const store = await openStore(dir, 'catchup.db');
    storeEvents(store, events);
    const workers = new SlowPathWorkers({ config, redis, store, log });
    await workers.start();
    try {
      await waitFor(() => countRows(store, 'conversations') === 4 && countRows(store, 'daily_metrics') === 2, { what: 'catch-up of un-announced rows' });
      assert.equal(countRows(store, 'event_facts'), events.length);
      assert.equal(workers.stats().processed, 0, 'no CDC entry was involved');
    } finally {
      await workers.stop();
      store.close();
    }
  });

  test('failure counts live in Redis: attempts made before a restart count toward the DLQ', async () => {
    const config = testConfig(path.join(dir, 'home5'), (c) => {
      c.processor.block_ms = 100;
    });
    const failuresKey = `${config.streams.cdc}:failures:${config.slow_path.consumer_group}`;
    keys.push(config.streams.cdc, config.streams.dlq, failuresKey);
    const store = await openStore(dir, 'counts.db');
    const id = (await redis.xadd(config.streams.cdc, '*', 'sequence', 'x', 'event_id', 'crashy')) as string;
    // Two attempts were counted by a process that then died; its pending entry is ours now.
    await redis.xgroup('CREATE', config.streams.cdc, config.slow_path.consumer_group, '0', 'MKSTREAM');
    await redis.xreadgroup('GROUP', config.slow_path.consumer_group, 'slow-path-1', 'COUNT', 10, 'STREAMS', config.streams.cdc, '>');
    await redis.hset(failuresKey, id, config.processor.max_deliveries - 1);
    const workers = new SlowPathWorkers({ config, redis, store, log });
    await workers.start();
    try {
      await waitFor(() => workers.stats().deadLettered === 1, { what: 'dead letter on the first failure after the restart' });
      assert.equal(workers.stats().failed, 1);
      assert.equal(await redis.hexists(failuresKey, id), 0, 'the count is cleared with the ack');
      assert.equal(await pendingCount(redis, config), 0);
    } finally {
      await workers.stop();
      store.close();
    }
  });

  test('a disabled slow path does nothing', async () => {
    const config = testConfig(path.join(dir, 'home4'), (c) => {
      c.slow_path.enabled = false;
    });
    const store = await openStore(dir, 'disabled.db');
    const workers = new SlowPathWorkers({ config, redis, store, log });
    await workers.start();
    assert.equal(workers.status().slowPath?.state, 'disabled');
    await workers.stop();
    store.close();
  });
});
