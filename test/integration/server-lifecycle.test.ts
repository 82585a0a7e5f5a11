import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelemetryServer } from '../../src/processing/server';
import { silentLogger } from '../../src/shared/log';
import { deleteKeys, tempHome, testConfig, testRedis } from '../helpers/env';

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
