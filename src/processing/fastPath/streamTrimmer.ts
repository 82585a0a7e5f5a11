import type { Redis } from 'ioredis';
import { readGroups } from '../streamHealth';

function nextId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${BigInt(seq ?? '0') + 1n}`;
}

function lessThan(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am < bm || (am === bm && as < bs);
}

/**
 * The oldest entry some consumer group still needs: its oldest pending entry, or the first one
 * it has not been delivered yet. Everything older has been acknowledged by every group.
 */
export async function oldestNeededId(redis: Redis, stream: string): Promise<string | undefined> {
  const groups = await readGroups(redis, stream);
  if (groups.length === 0) return undefined;
  let keepFrom: string | undefined;
  for (const g of groups) {
    const [count, minPending] = (await redis.xpending(stream, g.name)) as [number, string | null, ...unknown[]];
    let groupNeeds = nextId(g.lastDeliveredId || '0-0');
    if (count > 0 && minPending && lessThan(minPending, groupNeeds)) groupNeeds = minPending;
    if (!keepFrom || lessThan(groupNeeds, keepFrom)) keepFrom = groupNeeds;
  }
  return keepFrom;
}

/**
 * Trim what every consumer group has acknowledged, and nothing else (invariant 2): producers'
 * MAXLEN is only a far-off safety cap, so this is what keeps the stream small. With no group on
 * the stream nothing is trimmed, since nobody has processed anything yet. `~` lets Redis drop
 * whole internal nodes only, which never reaches past the MINID.
 */
export async function trimAcknowledged(redis: Redis, stream: string): Promise<number> {
  const keepFrom = await oldestNeededId(redis, stream);
  if (!keepFrom) return 0;
  return (await redis.xtrim(stream, 'MINID', '~', keepFrom)) as number;
}
