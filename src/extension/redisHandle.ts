// One Redis connection per open panel (DLQ, CDC health), made on first use and remade after it
// drops, instead of a new connection per refresh. Fail-fast: a panel shows "Redis is down" in a
// second rather than queueing commands until Redis returns.
import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import { closeRedis, connectRedis, createRedis } from '../shared/redis';

export class RedisHandle {
  private client?: Redis;
  private url?: string;
  private connecting?: Promise<Redis>;

  constructor(
    private readonly config: () => Config,
    private readonly name: string,
  ) {}

  get(): Promise<Redis> {
    const { url, connect_timeout_ms } = this.config().redis;
    if (this.client && this.client.status === 'ready' && this.url === url) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      await closeRedis(this.client);
      this.client = undefined;
      const client = createRedis({ url, connectTimeoutMs: connect_timeout_ms, failFast: true, name: this.name });
      try {
        await connectRedis(client, url);
      } catch (err) {
        client.disconnect();
        throw err;
      }
      this.client = client;
      this.url = url;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await closeRedis(client);
  }
}

/** A one-shot connection for a single action. */
export async function withRedis<T>(config: Config, name: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const handle = new RedisHandle(() => config, name);
  try {
    return await fn(await handle.get());
  } finally {
    await handle.close();
  }
}
