// The direct hook's tiny Redis client: URL parsing, RESP encoding/decoding, AUTH and SELECT, the
// deadline. A fake server stands in where a real one would need changing (passwords, silence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { encodeCommand, parseRedisUrl, parseReply, RespError, runCommands } from '../../src/capture/respClient';
import { defaultHookSettings, hookSettingsFromConfig, readHookSettings } from '../../src/capture/hookSettings';
import { defaultConfig } from '../../src/config/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REDIS_URL } from '../helpers/env';

test('Redis URLs: host, port, TLS, user, password (percent-decoded), database', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379'), { host: '127.0.0.1', port: 6379, tls: false, username: undefined, password: undefined, db: undefined });
  assert.deepEqual(parseRedisUrl('rediss://team:p%40ss%3Aword@redis.example.com/3'), {
    host: 'redis.example.com',
    port: 6379,
    tls: true,
    username: 'team',
    password: 'p@ss:word',
    db: 3,
  });
  assert.equal(parseRedisUrl('redis://:only-password@[::1]:6380').host, '::1');
  assert.equal(parseRedisUrl('redis://:only-password@[::1]:6380').username, undefined);
  assert.throws(() => parseRedisUrl('http://x'), /not supported/);
  assert.throws(() => parseRedisUrl('not a url with secret:pw@host'), /not a valid URL/);
});

test('RESP: commands are length-prefixed bytes; replies parse whole or report "incomplete"', () => {
  assert.equal(encodeCommand(['XADD', 's', '*', 'k', 'é']).toString(), '*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$1\r\nk\r\n$2\r\né\r\n');
  const reply = Buffer.from('+OK\r\n$15\r\n1700000000000-0\r\n-ERR wrong\r\n:5\r\n*2\r\n$1\r\na\r\n$-1\r\n');
  let offset = 0;
  const values = [];
  for (;;) {
    const r = parseReply(reply, offset);
    if (!r) break;
    values.push(r.value);
    offset = r.next;
  }
  assert.deepEqual(values.slice(0, 2), ['OK', '1700000000000-0']);
  assert.ok(values[2] instanceof RespError);
  assert.deepEqual(values.slice(3), [5, ['a', null]]);
  assert.equal(parseReply(Buffer.from('$15\r\n17000'), 0), undefined);
  assert.equal(parseReply(Buffer.from('*2\r\n$1\r\na\r\n'), 0), undefined);
});

test('against the real Redis: XADD returns an id, an error reply comes back as RespError', async () => {
  const target = parseRedisUrl(REDIS_URL);
  const stream = `bptest:resp:${process.pid}:${Date.now()}`;
  try {
    const [id, wrong] = await runCommands(target, [['XADD', stream, 'MAXLEN', '~', '10', '*', 'k', 'v'], ['XADD', stream, 'NOT-A-NUMBER']], 2000);
    assert.match(String(id), /^\d+-\d+$/);
    assert.ok(wrong instanceof RespError);
  } finally {
    await runCommands(target, [['DEL', stream]], 2000);
  }
});

function fakeRedis(onCommands: (raw: string, socket: net.Socket) => void): Promise<{ port: number; close(): void }> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.on('data', (d) => onCommands(d.toString(), socket)));
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, close: () => server.close() });
    });
  });
}

test('AUTH with user and password, then SELECT, are sent before the commands', async (t) => {
  let seen = '';
  const server = await fakeRedis((raw, socket) => {
    seen += raw;
    if (seen.includes('XADD')) socket.write('+OK\r\n+OK\r\n$3\r\n1-0\r\n');
  });
  t.after(() => server.close());
  const replies = await runCommands(parseRedisUrl(`redis://team:s3cret@127.0.0.1:${server.port}/2`), [['XADD', 's', '*', 'a', 'b']], 2000);
  assert.deepEqual(replies, ['1-0']);
  assert.ok(seen.startsWith('*3\r\n$4\r\nAUTH\r\n$4\r\nteam\r\n$6\r\ns3cret\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*5\r\n$4\r\nXADD'));
});

test('a refused AUTH and a silent server both reject, within the deadline', async (t) => {
  const refusing = await fakeRedis((_raw, socket) => socket.write('-WRONGPASS invalid username-password pair\r\n$3\r\n1-0\r\n'));
  t.after(() => refusing.close());
  await assert.rejects(runCommands(parseRedisUrl(`redis://:bad@127.0.0.1:${refusing.port}`), [['PING']], 2000), /refused AUTH: WRONGPASS/);
  const silent = await fakeRedis(() => undefined);
  t.after(() => silent.close());
  const started = Date.now();
  await assert.rejects(runCommands(parseRedisUrl(`redis://127.0.0.1:${silent.port}`), [['PING']], 150), /did not answer within 150 ms/);
  assert.ok(Date.now() - started < 1000);
});

test("hook-settings.json defaults equal config.yaml's, and a damaged file falls back key by key", (t) => {
  const env = { HOME: '/home/x', BLUEPLANE_HOME: '/home/x/.blueplane' };
  assert.deepEqual(hookSettingsFromConfig(defaultConfig(env)), defaultHookSettings(env));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'hook-settings.json');
  writeFileSync(file, JSON.stringify({ events_stream: 'mine', events_maxlen: -5, privacy_mode: 'everything', scrub_secrets: 'yes', max_entry_bytes: 2048 }));
  const { settings, problems } = readHookSettings(file, env);
  assert.equal(settings.events_stream, 'mine');
  assert.equal(settings.max_entry_bytes, 2048);
  assert.equal(settings.events_maxlen, 1_000_000);
  assert.equal(settings.privacy_mode, 'full');
  assert.equal(settings.scrub_secrets, true);
  assert.equal(problems.length, 3);
  writeFileSync(file, '{ not json');
  assert.equal(readHookSettings(file, env).problems.length, 1);
  assert.deepEqual(readHookSettings(path.join(dir, 'missing.json'), env), { settings: defaultHookSettings(env), problems: [] });
  assert.equal(readHookSettings(file, { ...env, BLUEPLANE_REDIS_URL: 'redis://elsewhere:1' }).settings.redis_url, 'redis://elsewhere:1');
});
