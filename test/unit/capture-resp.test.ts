// The direct hook's tiny Redis client: URL parsing, RESP encoding/decoding, AUTH and SELECT, the
// deadline, over both transports (Node's tcp_wrap binding, which the hook uses for IP addresses,
// and node:net). A fake server stands in where a real one would need changing (passwords,
// silence, replies cut into pieces, a connection closed halfway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { encodeCommand, parseRedisUrl, parseReply, RespConnection, RespError, runCommands } from '../../src/capture/respClient';
import { ipVersion } from '../../src/capture/byteStream';
import { defaultHookSettings, hookSettingsFromConfig, readHookSettings } from '../../src/capture/hookSettings';
import { defaultConfig } from '../../src/config/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closedPort, REDIS_URL, waitFor } from '../helpers/env';

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

/** A server on a free port: `onCommands` gets what each client sends, or `onConnection` the raw socket. */
function fakeRedis(onCommands: (raw: string, socket: net.Socket) => void, onConnection?: (socket: net.Socket) => void): Promise<{ port: number; close(): void }> {
  return new Promise((resolve) => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      if (onConnection) onConnection(socket);
      else socket.on('data', (d) => onCommands(d.toString(), socket));
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}

test('tcp_wrap: an address the binding rejects at once (EINVAL) is reported through send(), not thrown or lost', async () => {
  // Looks like IPv6 to ipVersion(), but is not one: libuv refuses it synchronously.
  const conn = RespConnection.open({ host: '1:2:3:4:5:6:7:8:9', port: 6379, tls: false });
  assert.equal(conn.via, 'tcp_wrap');
  await assert.rejects(conn.send([['PING']], 30_000), /connect EINVAL/);
  await assert.rejects(runCommands({ host: '1:2:3:4:5:6:7:8:9', port: 6379, tls: false }, [['PING']], 30_000), /connect EINVAL/);
});

/** Both ways the hook can connect: `true` lets it use tcp_wrap (its default for IP addresses). */
const TRANSPORTS = [
  { label: 'tcp_wrap', allowTcpWrap: true, via: 'tcp_wrap' },
  { label: 'node:net', allowTcpWrap: false, via: 'net' },
] as const;

test('host names need DNS and go through node:net; IP addresses may use tcp_wrap', () => {
  assert.equal(ipVersion('127.0.0.1'), 4);
  assert.equal(ipVersion('10.1.255.0'), 4);
  assert.equal(ipVersion('::1'), 6);
  assert.equal(ipVersion('fe80::1:2'), 6);
  for (const name of ['localhost', 'redis.example.com', '256.1.1.1', '1.2.3', '']) assert.equal(ipVersion(name), 0, name);
  const conn = RespConnection.open(parseRedisUrl('redis://localhost:1'));
  assert.equal(conn.via, 'net');
  conn.close();
});

for (const transport of TRANSPORTS) {
  test(`${transport.label}: against the real Redis, XADD returns an id and an error reply comes back as RespError`, async () => {
    const target = parseRedisUrl(REDIS_URL);
    const stream = `bptest:resp:${transport.label}:${process.pid}:${Date.now()}`;
    const conn = RespConnection.open(target, { allowTcpWrap: transport.allowTcpWrap });
    assert.equal(conn.via, ipVersion(target.host) === 0 ? 'net' : transport.via);
    try {
      const [id, wrong] = await conn.send([['XADD', stream, 'MAXLEN', '~', '10', '*', 'k', 'v'], ['XADD', stream, 'NOT-A-NUMBER']], 2000);
      assert.match(String(id), /^\d+-\d+$/);
      assert.ok(wrong instanceof RespError);
      // A 3 MB entry and a 3 MB reply, read in many chunks.
      const big = 'x'.repeat(3_000_000);
      const [bigId] = await runCommands(target, [['XADD', stream, '*', 'big', big]], 5000, { allowTcpWrap: transport.allowTcpWrap });
      const [range] = await runCommands(target, [['XRANGE', stream, String(bigId), String(bigId)]], 5000, { allowTcpWrap: transport.allowTcpWrap });
      const [[, fields]] = range as Array<[string, string[]]>;
      assert.equal(fields[1].length, big.length, 'the reply, read in many chunks, is whole');
    } finally {
      await runCommands(target, [['DEL', stream]], 2000);
    }
  });

  test(`${transport.label}: a refused connection rejects with the reason, before and after send() listens`, async () => {
    const port = await closedPort();
    await assert.rejects(runCommands(parseRedisUrl(`redis://127.0.0.1:${port}`), [['PING']], 10_000, { allowTcpWrap: transport.allowTcpWrap }), /ECONNREFUSED/);
    // The failure arrives while the hook is still reading stdin: kept, and reported by send().
    const conn = RespConnection.open(parseRedisUrl(`redis://127.0.0.1:${port}`), { allowTcpWrap: transport.allowTcpWrap });
    await waitFor(() => conn.connectionError, { what: 'the refusal to arrive' });
    await assert.rejects(conn.send([['PING']], 10_000), /ECONNREFUSED/);
  });

  test(`${transport.label}: a connection reset mid-exchange rejects with ECONNRESET, not at the deadline`, async (t) => {
    const server = await fakeRedis((_raw, socket) => socket.resetAndDestroy());
    t.after(() => server.close());
    await assert.rejects(runCommands(parseRedisUrl(`redis://127.0.0.1:${server.port}`), [['PING']], 30_000, { allowTcpWrap: transport.allowTcpWrap }), /ECONNRESET/);
  });

  test(`${transport.label}: a 32 MB command to a server that reads slowly arrives whole (the write completes later)`, async (t) => {
    const payload = 'y'.repeat(32 * 1024 * 1024);
    const expected = encodeCommand(['SET', 'k', payload]);
    const received: Buffer[] = [];
    let bytes = 0;
    const server = await fakeRedis(() => undefined, (socket) => {
      // Not reading at first fills the socket buffers, so libuv finishes the write asynchronously.
      socket.pause();
      setTimeout(() => socket.resume(), 100);
      socket.on('data', (d: Buffer) => {
        received.push(d);
        bytes += d.length;
        if (bytes === expected.length) socket.write('+OK\r\n');
      });
    });
    t.after(() => server.close());
    const replies = await runCommands(parseRedisUrl(`redis://127.0.0.1:${server.port}`), [['SET', 'k', payload]], 60_000, { allowTcpWrap: transport.allowTcpWrap });
    assert.deepEqual(replies, ['OK']);
    assert.ok(Buffer.concat(received).equals(expected), 'every byte arrived, in order');
  });

  test(`${transport.label}: AUTH with user and password, then SELECT, are sent before the commands; replies may arrive a byte at a time`, async (t) => {
    let seen = '';
    const server = await fakeRedis((raw, socket) => {
      seen += raw;
      if (!seen.includes('XADD')) return;
      const reply = Buffer.from('+OK\r\n+OK\r\n$3\r\n1-0\r\n');
      let i = 0;
      const drip = () => {
        if (i < reply.length) socket.write(reply.subarray(i, ++i), () => setTimeout(drip, 1));
      };
      drip();
    });
    t.after(() => server.close());
    const replies = await runCommands(parseRedisUrl(`redis://team:s3cret@127.0.0.1:${server.port}/2`), [['XADD', 's', '*', 'a', 'b']], 5000, { allowTcpWrap: transport.allowTcpWrap });
    assert.deepEqual(replies, ['1-0']);
    assert.ok(seen.startsWith('*3\r\n$4\r\nAUTH\r\n$4\r\nteam\r\n$6\r\ns3cret\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*5\r\n$4\r\nXADD'));
  });

  test(`${transport.label}: a refused AUTH, a server that hangs up halfway and a silent server all reject, within the deadline`, async (t) => {
    const refusing = await fakeRedis((_raw, socket) => socket.write('-WRONGPASS invalid username-password pair\r\n$3\r\n1-0\r\n'));
    t.after(() => refusing.close());
    const opts = { allowTcpWrap: transport.allowTcpWrap };
    await assert.rejects(runCommands(parseRedisUrl(`redis://:bad@127.0.0.1:${refusing.port}`), [['PING']], 2000, opts), /refused AUTH: WRONGPASS/);
    const hangingUp = await fakeRedis((_raw, socket) => socket.end('$10\r\n1700'));
    t.after(() => hangingUp.close());
    await assert.rejects(runCommands(parseRedisUrl(`redis://127.0.0.1:${hangingUp.port}`), [['PING']], 2000, opts), /closed the connection/);
    const silent = await fakeRedis(() => undefined);
    t.after(() => silent.close());
    const started = Date.now();
    await assert.rejects(runCommands(parseRedisUrl(`redis://127.0.0.1:${silent.port}`), [['PING']], 150, opts), /did not answer within 150 ms/);
    assert.ok(Date.now() - started < 1000);
  });
}

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
