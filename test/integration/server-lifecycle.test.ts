import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelemetryServer } from '../../src/processing/server';
import { silentLogger } from '../../src/shared/log';
import { mkdirSync, rmdirSync, rmSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import { deleteKeys, tempHome, testConfig, testRedis, waitFor } from '../helpers/env';
import { makeEvent, xaddEvents } from '../helpers/processor';
import { openWithOtherSqlite } from '../helpers/readback';

test('stop() can be called twice, also concurrently, and leaves the server stopped', async () => {
  const h = tempHome('bp-life');
  const config = testConfig(h.home);
  const redis = await testRedis();
  try {
    const server = new TelemetryServer({ config, log: silentLogger });
    await server.start();
    assert.equal(server.currentRole, 'leader');
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    assert.equal(server.currentRole, 'stopped');
    // The lock was released: a new server on the same database leads at once.
    const next = new TelemetryServer({ config, log: silentLogger });
    await next.start();
    assert.equal(next.currentRole, 'leader');
    await next.stop();
  } finally {
    await deleteKeys(redis, config.streams.events, config.streams.dlq, config.streams.cdc);
    redis.disconnect();
    h.cleanup();
  }
});

test('Redis down at start: the leader keeps the database, reports one sentence, and stops cleanly', async () => {
  const h = tempHome('bp-life');
  const config = testConfig(h.home, (c) => {
    c.redis.url = 'redis://:topsecret@127.0.0.1:1';
  });
  const server = new TelemetryServer({ config, log: silentLogger, statusIntervalMs: 100 });
  try {
    await server.start();
    assert.equal(server.currentRole, 'leader');
    const deadline = Date.now() + 5000;
    while (!server.status().error && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const error = server.status().error ?? '';
    assert.match(error, /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/? is not reachable .*; start redis-server or set BLUEPLANE_REDIS_URL/);
    assert.doesNotMatch(error, /topsecret/);
    assert.equal(server.status().redis.state, 'down');
  } finally {
    await server.stop();
    h.cleanup();
  }
});

test('a flush that cannot write the file acknowledges nothing; the next good flush does', async () => {
  const h = tempHome('bp-life');
  const config = testConfig(h.home);
  const redis = await testRedis();
  const server = new TelemetryServer({ config, log: silentLogger, statusIntervalMs: 100 });
  try {
    await server.start();
    // A folder where the flush writes its temp file makes every write fail (as a full disk would).
    const blocker = path.join(h.home, `.telemetry.db.${process.pid}.tmp`);
    mkdirSync(blocker);
    await xaddEvents(redis, config.streams.events, Array.from({ length: 20 }, () => makeEvent()));
    await waitFor(() => server.status().fastPath.written === 20, { what: '20 rows in memory' });
    await waitFor(() => /Writing .* failed .*check free disk space/.test(server.status().error ?? ''), { what: 'the failure reported' });
    const pending = (await redis.xpending(config.streams.events, 'processors')) as [number];
    assert.equal(pending[0], 20, 'nothing acknowledged while the file cannot be written');
    assert.equal(await redis.xlen(config.streams.cdc), 0, 'nothing announced either');
    rmdirSync(blocker);
    await waitFor(async () => ((await redis.xpending(config.streams.events, 'processors')) as [number])[0] === 0, { what: 'acks after the disk recovers', timeoutMs: 10_000 });
    await waitFor(() => server.status().error === undefined, { what: 'the error cleared' });
  } finally {
    await server.stop();
    await deleteKeys(redis, config.streams.events, config.streams.dlq, config.streams.cdc, `${config.streams.events}:failures:processors`);
    redis.disconnect();
    h.cleanup();
  }
});

test('a leader that loses its lock writes and acknowledges nothing more', async () => {
  const h = tempHome('bp-life');
  const config = testConfig(h.home, (c) => {
    c.processor.flush_min_interval_ms = 600_000;
    c.processor.flush_max_interval_ms = 600_000;
    c.processor.claim_idle_ms = 1_200_000;
  });
  const redis = await testRedis();
  const server = new TelemetryServer({ config, log: silentLogger, statusIntervalMs: 100 });
  try {
    await server.start();
    await xaddEvents(redis, config.streams.events, Array.from({ length: 10 }, () => makeEvent()));
    await waitFor(() => server.status().fastPath.written === 10, { what: '10 rows in memory, not flushed' });
    // Another process takes the lock over (as after a stale period): a new lock folder.
    const lockDir = `${config.paths.database}.lock`;
    rmSync(lockDir, { recursive: true, force: true });
    mkdirSync(lockDir);
    utimesSync(lockDir, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    await waitFor(() => server.currentRole === 'stopped', { what: 'the old leader to stop', timeoutMs: 15_000 });
    const pending = (await redis.xpending(config.streams.events, 'processors')) as [number];
    assert.equal(pending[0], 10, 'its entries stay pending for the new owner');
    const db = openWithOtherSqlite(config.paths.database);
    try {
      assert.equal((db.prepare('SELECT count(*) n FROM raw_traces').get() as { n: number }).n, 0, 'the file was not overwritten');
    } finally {
      db.close();
    }
    rmSync(lockDir, { recursive: true, force: true });
  } finally {
    await server.stop();
    await deleteKeys(redis, config.streams.events, config.streams.dlq, config.streams.cdc, `${config.streams.events}:failures:processors`);
    redis.disconnect();
    h.cleanup();
  }
});
