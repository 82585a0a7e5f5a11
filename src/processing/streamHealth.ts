import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import type { ProcessorStatus } from './status';

export interface GroupInfo {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
  entriesRead: number | null;
  lag: number | null;
}

/** XINFO GROUPS as objects (Redis 7 adds entries-read and lag; older servers give null). */
export async function readGroups(redis: Redis, stream: string): Promise<GroupInfo[]> {
  let raw: unknown[];
  try {
    raw = (await redis.xinfo('GROUPS', stream)) as unknown[];
  } catch (err) {
    if (String((err as Error).message).includes('no such key')) return [];
    throw err;
  }
  return raw.map((entry) => {
    const flat = entry as unknown[];
    const o: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      name: String(o.name),
      consumers: Number(o.consumers ?? 0),
      pending: Number(o.pending ?? 0),
      lastDeliveredId: String(o['last-delivered-id'] ?? ''),
      entriesRead: n(o['entries-read']),
      lag: n(o.lag),
    };
  });
}

/** Lengths, lag and pending of the product's streams, for the status display. */
export async function readStreamHealth(redis: Redis, config: Config): Promise<ProcessorStatus['streams']> {
  const [eventsLength, dlqLength, cdcLength] = await Promise.all([
    redis.xlen(config.streams.events),
    redis.xlen(config.streams.dlq),
    redis.xlen(config.streams.cdc),
  ]);
  const group = (await readGroups(redis, config.streams.events)).find((g) => g.name === config.processor.consumer_group);
  return { eventsLength, lag: group?.lag ?? null, pending: group?.pending ?? null, dlqLength, cdcLength };
}
