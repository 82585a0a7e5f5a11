// CDC stream health against a real Redis, with unique stream names (cleaned up afterwards).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerCdcCommands } from '../../src/cli/cdcCommands';
import { formatCdcHealth, readCdcHealth } from '../../src/processing/cdcHealth';
import { tempHome, testConfig, testRedis } from '../helpers/env';

test('length, entry ages, groups with pending and lag, consumers, rate and the upstream group', async () => {
  const redis = await testRedis();
  const home = tempHome('bp-cdc');
  const config = testConfig(home.home);
  try {
    const empty = await readCdcHealth(redis, config);
    assert.equal(empty.exists, false);
    assert.equal(empty.length, 0);
    assert.match(formatCdcHealth(empty), /does not exist yet/);
    assert.match(formatCdcHealth(empty), /No consumer group reads/);
    assert.match(formatCdcHealth(empty), /has no group processors/);

    for (let i = 0; i < 6; i++) await redis.xadd(config.streams.cdc, '*', 'sequence', String(i), 'event_id', `e${i}`);
    await redis.xgroup('CREATE', config.streams.cdc, 'workers', '0');
    await redis.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 2, 'STREAMS', config.streams.cdc, '>');
    await redis.xadd(config.streams.events, '*', 'x', '1');
    await redis.xgroup('CREATE', config.streams.events, config.processor.consumer_group, '0');

    const first = await readCdcHealth(redis, config);
    assert.equal(first.exists, true);
    assert.equal(first.length, 6);
    assert.ok(first.firstEntry && first.lastEntry && first.firstEntry.ageMs >= first.lastEntry.ageMs && first.firstEntry.ageMs < 10_000);
    assert.equal(first.entriesAdded, 6);
    assert.deepEqual(first.publishRate, { perSec: 0.1, basis: 'last-minute', windowMs: 60_000, atLeast: false });
    assert.equal(first.groups.length, 1);
    const [group] = first.groups;
    assert.equal(group.name, 'workers');
    assert.equal(group.pending, 2);
    assert.equal(group.lag, 4);
    assert.deepEqual(group.consumerDetails.map((c) => [c.name, c.pending]), [['w1', 2]]);
    assert.deepEqual(first.upstream, { stream: config.streams.events, group: 'processors', found: true, pending: 0, lag: 1 });

    await redis.xadd(config.streams.cdc, '*', 'sequence', '6');
    await new Promise((r) => setTimeout(r, 20));
    const second = await readCdcHealth(redis, config, first);
    assert.equal(second.publishRate.basis, 'samples');
    assert.ok(second.publishRate.perSec > 0);

    const text = formatCdcHealth(second);
    assert.match(text, new RegExp(`CDC stream ${config.streams.cdc}: 7 entries \\(trimmed near 100000\\), oldest \\d+ s old, newest \\d+ s old\\.`));
    assert.match(text, /workers: 1 consumer\(s\), 2 pending, lag 5/);
    assert.match(text, /w1: 2 pending, idle/);
  } finally {
    await redis.del(config.streams.cdc, config.streams.events);
    redis.disconnect();
    home.cleanup();
  }
});

test('`blueplane cdc --json` prints the same health for the config it is given', async () => {
  const redis = await testRedis();
  const home = tempHome('bp-cdc-cli');
  const config = testConfig(home.home);
  mkdirSync(home.home, { recursive: true });
  const configFile = path.join(home.home, 'config.yaml');
  writeFileSync(configFile, `redis:\n  url: ${config.redis.url}\nstreams:\n  events: ${config.streams.events}\n  cdc: ${config.streams.cdc}\n`);
  await redis.xadd(config.streams.cdc, '*', 'sequence', '1');
  const program = new Command().option('-c, --config <file>').exitOverride();
  registerCdcCommands(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'blueplane', '--config', configFile, 'cdc', '--json']);
  } finally {
    process.stdout.write = write;
    await redis.del(config.streams.cdc);
    redis.disconnect();
    home.cleanup();
  }
  const health = JSON.parse(out);
  assert.equal(health.stream, config.streams.cdc);
  assert.equal(health.length, 1);
  assert.deepEqual(health.groups, []);
});
