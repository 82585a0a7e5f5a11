// The installed direct hook's start-up contract: with Redis at an IP address (the default
// redis://127.0.0.1:6379) it reaches Redis without loading node:net or node:stream, the 4-7 ms
// that the tcp_wrap transport exists to save (src/capture/byteStream.ts); with a host name it
// loads node:net and works the same, as it does when pending deprecations are on. Which internal modules a process loaded is read from
// process.moduleLoadList, through a --require probe in NODE_OPTIONS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { installHooks } from '../../src/capture/hooksInstaller';
import { fieldsFromArray } from '../../src/shared/event';
import { cursorFixtures } from '../helpers/fixtures';
import { deleteKeys, REDIS_URL, tempHome, testConfig, testRedis } from '../helpers/env';

const PROBE = `process.on('exit', () => {
  const heavy = process.moduleLoadList.filter((m) => /^NativeModule (net|stream|tls|crypto)$/.test(m));
  require('node:fs').writeSync(2, 'PROBE ' + JSON.stringify(heavy) + '\\n');
});
`;

test('the direct hook reaches Redis at an IP address without loading node:net or node:stream, and at a host name through node:net', async (t) => {
  const h = tempHome('bp-direct-transport');
  const config = testConfig(h.home);
  const redis = await testRedis();
  t.after(async () => {
    await deleteKeys(redis, config.streams.events, config.streams.dlq);
    redis.disconnect();
    h.cleanup();
  });
  const { hooksFile } = installHooks({ config, env: h.env, direct: true, nodePath: process.execPath });
  const doc = JSON.parse(readFileSync(hooksFile, 'utf8')) as { hooks: Record<string, Array<{ command: string }>> };
  const command = doc.hooks.preToolUse[0].command;
  const probe = path.join(h.home, 'probe.js');
  writeFileSync(probe, PROBE);
  const [fixture] = cursorFixtures().filter((f) => f.hook_event_name === 'preToolUse');

  const run = (redisUrl: string, toolUseId: string, extraEnv: Record<string, string> = {}) => {
    const r = spawnSync('sh', ['-c', command], {
      input: JSON.stringify({ ...fixture, tool_use_id: toolUseId }),
      env: { HOME: h.userHome, PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS: `--require ${probe}`, BLUEPLANE_REDIS_URL: redisUrl, ...extraEnv },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '{"permission":"allow"}\n');
    const probeLine = r.stderr.split('\n').find((l) => l.startsWith('PROBE '));
    assert.ok(probeLine, `the probe ran: ${r.stderr}`);
    const otherStderr = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('PROBE '));
    assert.deepEqual(otherStderr, [], 'nothing else on stderr (no deprecation warning, no fallback)');
    return JSON.parse(probeLine.slice('PROBE '.length)) as string[];
  };

  const url = new URL(REDIS_URL);
  assert.equal(url.hostname, '127.0.0.1', 'this test needs Redis at an IP address (BLUEPLANE_TEST_REDIS_URL)');
  assert.deepEqual(run(REDIS_URL, 'tu-by-ip'), [], 'no node:net, node:stream, node:tls or node:crypto loaded');

  // The same Redis by name: resolved by node:net (DNS), which loads node:stream with it.
  url.hostname = 'localhost';
  const loaded = run(url.toString(), 'tu-by-name');
  assert.ok(loaded.includes('NativeModule net'), `node:net is used for a host name: ${loaded.join(', ')}`);

  // Pending deprecations would make process.binding print a warning: node:net then, and silence.
  const pending = run(REDIS_URL, 'tu-pending', { NODE_PENDING_DEPRECATION: '1' });
  assert.ok(pending.includes('NativeModule net'), 'node:net under NODE_PENDING_DEPRECATION');

  const ids = ((await redis.xrange(config.streams.events, '-', '+')) as Array<[string, string[]]>).map(([, flat]) => JSON.parse(fieldsFromArray(flat).payload).tool_use_id);
  assert.deepEqual(ids, ['tu-by-ip', 'tu-by-name', 'tu-pending'], 'every event reached the stream directly');
});
