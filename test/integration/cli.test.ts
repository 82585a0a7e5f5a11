import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { testRedis, waitFor } from '../helpers/env';
import { CLI, makeEvent, readStatus, requireBuild, setupHome, startProcessor, waitAllAcked, xaddEvents, type TestSetup } from '../helpers/processor';

const run = promisify(execFile);

async function cli(setup: TestSetup, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  requireBuild();
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...setup.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('verify passes every check against a running pipeline, probe included, without polluting the data', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const proc = startProcessor(setup);
  try {
    const install = await cli(setup, ['hooks', 'install']);
    assert.equal(install.code, 0, install.stderr);
    await xaddEvents(redis, setup.streams.events, [makeEvent(), makeEvent({ hook_type: 'afterFileEdit', event_type: 'file_edit' }, { edits: [{ old_string: 'a', new_string: 'b' }] })]);
    await waitAllAcked(redis, setup.streams.events, 2);
    await waitFor(() => (readStatus(setup)?.fastPath.acked ?? 0) >= 2, { what: 'status caught up' });
    const result = await cli(setup, ['verify', '--json']);
    const report = JSON.parse(result.stdout);
    const notPassing = report.checks.filter((c: { state: string }) => c.state !== 'pass');
    assert.deepEqual(notPassing, [], JSON.stringify(report, null, 2));
    assert.equal(result.code, 0);
    assert.ok(report.checks.some((c: { name: string }) => c.name === 'End-to-end probe'));
    // The probe row is removed once announced and never counted.
    await waitFor(async () => {
      const stats = JSON.parse((await cli(setup, ['stats', '--json'])).stdout);
      return stats.database?.rows === 2;
    }, { what: 'probe gone from the database', timeoutMs: 15_000 });
    // Nor does the slow path derive anything from it: once the workers have seen all three CDC
    // entries (two events, one probe), only the two real sessions exist.
    await waitFor(() => {
      const slow = readStatus(setup)?.slowPath;
      return !!slow && Number(slow.processed) + Number(slow.skipped) >= 3 && Number(slow.awaitingAck) === 0;
    }, { what: 'the slow path to see the probe', timeoutMs: 15_000 });
    const sessions = await cli(setup, ['sessions', '--json']);
    assert.doesNotMatch(sessions.stdout, /blueplane-verify/);
    const text = await cli(setup, ['verify']);
    assert.match(text.stdout, /^PASS {2}Redis reachable/m);
    assert.match(text.stdout, /Pipeline OK/);
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('verify with Redis unreachable fails with the cause and the fix, exit code 1', async () => {
  const setup = setupHome();
  try {
    const result = await cli(setup, ['verify', '--no-probe'], { BLUEPLANE_REDIS_URL: 'redis://:hunter2@127.0.0.1:1' });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /FAIL {2}Redis reachable .*not reachable/);
    assert.match(result.stdout, /fix: Start redis-server/);
    assert.doesNotMatch(result.stdout + result.stderr, /hunter2/, 'no password in the output');
    assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    const redis = await testRedis();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('dlq list, show, retry, delete and purge act on the dead letter queue', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const proc = startProcessor(setup);
  try {
    const now = new Date().toISOString();
    for (let i = 0; i < 3; i++) {
      await redis.xadd(setup.streams.events, '*', 'event_id', `poison-${i}`, 'timestamp', now, 'platform', 'cursor', 'hook_type', 'stop', 'payload', '{broken');
    }
    await waitFor(async () => (await redis.xlen(setup.streams.dlq)) === 3, { what: '3 dead letters', timeoutMs: 20_000 });
    const list = JSON.parse((await cli(setup, ['dlq', 'list', '--json'])).stdout) as Array<{ id: string; originalEventId: string; errorType: string }>;
    assert.equal(list.length, 3);
    assert.ok(list.every((l) => l.errorType === 'parse_error'));
    const shown = JSON.parse((await cli(setup, ['dlq', 'show', list[0].id])).stdout);
    assert.equal(shown.originalFields.payload, '{broken');
    // Retry puts it back unchanged: still broken, so it comes back to the DLQ after 3 more tries.
    const retried = await cli(setup, ['dlq', 'retry', list[0].id]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /re-queued as/);
    const del = await cli(setup, ['dlq', 'delete', list[1].id]);
    assert.equal(del.code, 0);
    const missing = await cli(setup, ['dlq', 'show', '1-1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No dead letter 1-1/);
    await waitFor(async () => (await redis.xlen(setup.streams.dlq)) === 2, { what: 'retried entry back in the DLQ', timeoutMs: 20_000 });
    const refused = await cli(setup, ['dlq', 'purge']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pass --yes/);
    const purged = await cli(setup, ['dlq', 'purge', '--yes']);
    assert.match(purged.stdout, /Deleted 2 dead letters/);
    assert.equal(await redis.xlen(setup.streams.dlq), 0);
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('init-db creates the database; stats explains when no processor runs; --help everywhere', async () => {
  const setup = setupHome();
  try {
    const init = await cli(setup, ['init-db']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /Created .*telemetry\.db/);
    assert.ok(existsSync(path.join(setup.home, 'telemetry.db')));
    const stats = await cli(setup, ['stats']);
    assert.match(stats.stdout, /Processor: not running/);
    assert.match(stats.stdout, /Database: 0 events/);
    for (const args of [['--help'], ['start', '--help'], ['verify', '--help'], ['dlq', 'list', '--help'], ['stats', '--help']]) {
      const help = await cli(setup, args);
      assert.equal(help.code, 0, args.join(' '));
      assert.match(help.stdout, /Usage: blueplane/);
    }
    const unknown = await cli(setup, ['frobnicate']);
    assert.notEqual(unknown.code, 0);
    const badSince = await cli(setup, ['stats', '--since', 'soon']);
    assert.equal(badSince.code, 1);
    assert.match(badSince.stderr, /"soon" is not a time span; use a number with m, h, d or w \(like 7d\)/);
  } finally {
    const redis = await testRedis();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('a bad config key is named on stderr and the processor still starts with its default', async () => {
  const redis = await testRedis();
  const setup = setupHome(`processor:\n  batch_size: many\n  consumer_name: cli-${randomUUID().slice(0, 4)}\n`);
  const proc = startProcessor(setup);
  try {
    await waitFor(() => /Config key "processor\.batch_size" is invalid/.test(proc.output()), { what: 'warning naming the key' });
    await xaddEvents(redis, setup.streams.events, [makeEvent()]);
    await waitAllAcked(redis, setup.streams.events, 1);
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('a database owned by a running processor: rebuild refuses with the owner named, init-db says it is ready', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const proc = startProcessor(setup);
  try {
    await waitFor(() => readStatus(setup)?.role === 'leader', { what: 'leader' });
    const rebuild = await cli(setup, ['rebuild']);
    assert.equal(rebuild.code, 1);
    assert.match(rebuild.stderr, new RegExp(`processor \\(pid ${proc.child.pid}\\) owns .*; stop it .* and try again`));
    assert.equal(rebuild.stderr.trim().split('\n').length, 1, 'one sentence, no stack trace');
    const init = await cli(setup, ['init-db']);
    assert.equal(init.code, 0);
    assert.match(init.stdout, /owned by a running processor/);
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});
