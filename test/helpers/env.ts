import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/shared/redis';
import { defaultConfig, type Config } from '../../src/config/config';

export const REDIS_URL = process.env.BLUEPLANE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A temporary BLUEPLANE_HOME (and HOME) so no test touches the real ~/.blueplane or ~/.cursor. */
export function tempHome(label = 'bp'): { home: string; userHome: string; env: Record<string, string>; cleanup(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  const userHome = path.join(root, 'user');
  const home = path.join(userHome, '.blueplane');
  const env = { ...(process.env as Record<string, string>), HOME: userHome, BLUEPLANE_HOME: home, BLUEPLANE_REDIS_URL: REDIS_URL };
  return { home, userHome, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Unique stream names per test, so tests never see each other's keys and clean up only their own. */
export function uniqueStreams(prefix = 'bptest') {
  const id = `${prefix}:${randomUUID().slice(0, 8)}`;
  return { events: `${id}:events`, dlq: `${id}:dlq`, cdc: `${id}:cdc`, prefix: id };
}

/** Config for a test: defaults, a temp home, unique streams. */
export function testConfig(home: string, overrides: (c: Config) => void = () => {}): Config {
  const env = { HOME: path.dirname(home), BLUEPLANE_HOME: home };
  const config = defaultConfig(env);
  config.redis.url = REDIS_URL;
  const s = uniqueStreams();
  config.streams.events = s.events;
  config.streams.dlq = s.dlq;
  config.streams.cdc = s.cdc;
  overrides(config);
  return config;
}

export async function testRedis(): Promise<Redis> {
  const r = createRedis({ url: REDIS_URL, name: 'bp-test' });
  await r.connect();
  return r;
}

/** Delete only the keys this test created. */
export async function deleteKeys(redis: Redis, ...keys: string[]): Promise<void> {
  if (keys.length > 0) await redis.del(...keys);
}

/** Poll a condition until it holds or the deadline passes; never sleep-and-hope. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** A local port nothing listens on (just bound and released), for "Redis is down". */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
