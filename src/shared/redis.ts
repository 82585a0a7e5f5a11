import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from '../config/config';

export interface RedisConnectOptions {
  url: string;
  connectTimeoutMs?: number;
  /** A connection for blocking reads must never time commands out (STYLE.md, bullmq). */
  blocking?: boolean;
  /** Give up after the first failure instead of retrying forever (one-shot CLI commands). */
  failFast?: boolean;
  name?: string;
  onError?: (err: Error) => void;
}

/**
 * Every Redis client of the product is made here, so each gets an error listener (otherwise
 * ioredis prints "Unhandled error event") and the same reconnect policy. `rediss://` URLs get TLS
 * from ioredis itself; passwords come from the URL.
 */
export function createRedis(options: RedisConnectOptions): Redis {
  const redisOptions: RedisOptions = {
    connectTimeout: options.connectTimeoutMs ?? 2000,
    lazyConnect: true,
    enableAutoPipelining: false,
    maxRetriesPerRequest: options.blocking ? null : options.failFast ? 0 : 3,
    enableOfflineQueue: !options.failFast,
    connectionName: options.name,
    retryStrategy: options.failFast ? () => null : (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
  };
  const client = new Redis(options.url, redisOptions);
  client.on('error', (err: Error) => {
    if (options.onError) options.onError(err);
  });
  return client;
}

/** Connect, turning ioredis' error into one sentence with the cause and the fix. */
export async function connectRedis(client: Redis, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    throw new RedisUnavailableError(url, err as Error);
  }
}

export class RedisUnavailableError extends Error {
  constructor(url: string, cause: Error) {
    super(
      `Redis at ${redactUrl(url)} is not reachable (${cause.message}); start redis-server or set BLUEPLANE_REDIS_URL / redis.url in config.yaml.`,
    );
    this.name = 'RedisUnavailableError';
  }
}

/** Quit politely, and disconnect when quitting cannot finish (a dead server). Safe to call twice. */
export async function closeRedis(client: Redis | undefined, timeoutMs = 1000): Promise<void> {
  if (!client || client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch {
    // quit() rejects when the connection is already closing; disconnect below settles it.
  } finally {
    if (timer) clearTimeout(timer);
    client.disconnect();
  }
}
