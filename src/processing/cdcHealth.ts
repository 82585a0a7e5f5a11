import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import { type GroupInfo, readGroups } from './streamHealth';

/**
 * The health of the change-data-capture stream (cdc:events) and of what feeds it: what
 * `blueplane cdc` prints and Blueplane: CDC Stream Health shows. Plain Node, no editor.
 */
export interface CdcHealth {
  stream: string;
  exists: boolean;
  length: number;
  /** Ages are measured against the Redis server's clock (stream ids are its milliseconds). */
  firstEntry?: { id: string; ageMs: number };
  lastEntry?: { id: string; ageMs: number };
  /** Every entry ever added (Redis 7+), the basis of the live publish rate. */
  entriesAdded: number | null;
  maxlen: number;
  publishRate: PublishRate;
  groups: CdcGroup[];
  /** The processor's group on the events stream: whatever it has not stored cannot reach CDC yet. */
  upstream: { stream: string; group: string; found: boolean; pending: number | null; lag: number | null };
  /** Redis server time of this sample, epoch ms. */
  sampledAtMs: number;
}

export interface PublishRate {
  perSec: number;
  /** What it was measured over: between two samples, or over the last minute of entries. */
  basis: 'samples' | 'last-minute';
  windowMs: number;
  /** True when the last-minute count hit its cap, so the real rate is higher. */
  atLeast: boolean;
}

export interface CdcGroup extends GroupInfo {
  consumerDetails: Array<{ name: string; pending: number; idleMs: number; inactiveMs: number | null }>;
}

/** The last-minute count reads at most this many entries (ids and fields), so it stays cheap. */
const RATE_COUNT_CAP = 1000;
const RATE_WINDOW_MS = 60_000;

export async function readCdcHealth(redis: Redis, config: Config, previous?: CdcHealth): Promise<CdcHealth> {
  const stream = config.streams.cdc;
  const [seconds, micros] = (await redis.time()) as [string | number, string | number];
  const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const info = await readStreamInfo(redis, stream);
  const ageOf = (id: string) => Math.max(0, nowMs - Number(id.split('-')[0]));
  const groups = await Promise.all(
    (await readGroups(redis, stream)).map(async (g) => ({ ...g, consumerDetails: await readConsumers(redis, stream, g.name) })),
  );
  const upstreamGroup = (await readGroups(redis, config.streams.events)).find((g) => g.name === config.processor.consumer_group);
  const health: CdcHealth = {
    stream,
    exists: info !== undefined,
    length: info?.length ?? 0,
    firstEntry: info?.firstId ? { id: info.firstId, ageMs: ageOf(info.firstId) } : undefined,
    lastEntry: info?.lastId ? { id: info.lastId, ageMs: ageOf(info.lastId) } : undefined,
    entriesAdded: info?.entriesAdded ?? null,
    maxlen: config.streams.cdc_maxlen,
    publishRate: { perSec: 0, basis: 'last-minute', windowMs: RATE_WINDOW_MS, atLeast: false },
    groups,
    upstream: {
      stream: config.streams.events,
      group: config.processor.consumer_group,
      found: upstreamGroup !== undefined,
      pending: upstreamGroup?.pending ?? null,
      lag: upstreamGroup?.lag ?? null,
    },
    sampledAtMs: nowMs,
  };
  health.publishRate = await publishRate(redis, health, previous);
  return health;
}

async function publishRate(redis: Redis, now: CdcHealth, previous: CdcHealth | undefined): Promise<PublishRate> {
  const dt = previous ? now.sampledAtMs - previous.sampledAtMs : 0;
  if (previous && previous.stream === now.stream && dt > 0 && now.entriesAdded !== null && previous.entriesAdded !== null) {
    const added = Math.max(0, now.entriesAdded - previous.entriesAdded);
    return { perSec: (added * 1000) / dt, basis: 'samples', windowMs: dt, atLeast: false };
  }
  if (!now.exists) return { perSec: 0, basis: 'last-minute', windowMs: RATE_WINDOW_MS, atLeast: false };
  // One-shot (the CLI, or Redis < 7): count what arrived in the last minute, by entry id.
  const since = Math.max(0, now.sampledAtMs - RATE_WINDOW_MS);
  const entries = (await redis.xrange(now.stream, `${since}-0`, '+', 'COUNT', RATE_COUNT_CAP)) as unknown[];
  return { perSec: entries.length / (RATE_WINDOW_MS / 1000), basis: 'last-minute', windowMs: RATE_WINDOW_MS, atLeast: entries.length >= RATE_COUNT_CAP };
}

interface StreamInfo {
  length: number;
  firstId?: string;
  lastId?: string;
  entriesAdded: number | null;
}

async function readStreamInfo(redis: Redis, stream: string): Promise<StreamInfo | undefined> {
  let flat: unknown[];
  try {
    flat = (await redis.xinfo('STREAM', stream)) as unknown[];
  } catch (err) {
    // A stream nobody has written to yet does not exist; that is a state, not an error.
    if (String((err as Error).message).includes('no such key')) return undefined;
    throw err;
  }
  const o = pairs(flat);
  const idOf = (entry: unknown) => (Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : undefined);
  return {
    length: Number(o.length ?? 0),
    firstId: idOf(o['first-entry']),
    lastId: idOf(o['last-entry']),
    entriesAdded: o['entries-added'] === undefined ? null : Number(o['entries-added']),
  };
}

async function readConsumers(redis: Redis, stream: string, group: string): Promise<CdcGroup['consumerDetails']> {
  const raw = (await redis.xinfo('CONSUMERS', stream, group)) as unknown[];
  return raw.map((entry) => {
    const o = pairs(entry as unknown[]);
    return {
      name: String(o.name),
      pending: Number(o.pending ?? 0),
      idleMs: Number(o.idle ?? 0),
      // Redis 7.2+ reports the time since the consumer last read successfully.
      inactiveMs: o.inactive === undefined ? null : Number(o.inactive),
    };
  });
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
  return o;
}

/** "45 s", "12 min", "3 h", "2 d". */
export function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function formatRate(rate: PublishRate): string {
  const value = rate.perSec >= 10 ? rate.perSec.toFixed(0) : rate.perSec.toFixed(2);
  const over = rate.basis === 'samples' ? `over the last ${formatAge(rate.windowMs)}` : 'over the last minute';
  return `${rate.atLeast ? 'at least ' : ''}${value} entries/s ${over}`;
}

/** The text `blueplane cdc` prints. */
export function formatCdcHealth(h: CdcHealth): string {
  const lines: string[] = [];
  if (!h.exists) {
    lines.push(`CDC stream ${h.stream} does not exist yet: nothing has been stored since Redis started (the processor creates it with the first durable row).`);
  } else {
    const span = h.firstEntry && h.lastEntry ? `, oldest ${formatAge(h.firstEntry.ageMs)} old, newest ${formatAge(h.lastEntry.ageMs)} old` : '';
    lines.push(`CDC stream ${h.stream}: ${h.length} entries (trimmed near ${h.maxlen})${span}.`);
    lines.push(`Publish rate: ${formatRate(h.publishRate)}.`);
  }
  if (h.groups.length === 0) {
    lines.push(`No consumer group reads ${h.stream} yet (the slow path creates one when it starts).`);
  } else {
    lines.push('Consumer groups:');
    for (const g of h.groups) {
      lines.push(`  ${g.name}: ${g.consumers} consumer(s), ${g.pending} pending, lag ${g.lag ?? 'unknown'}, last delivered ${g.lastDeliveredId}`);
      for (const c of g.consumerDetails) lines.push(`    ${c.name}: ${c.pending} pending, idle ${formatAge(c.idleMs)}`);
    }
  }
  const u = h.upstream;
  lines.push(
    u.found
      ? `Upstream: ${u.stream} group ${u.group}: ${u.pending ?? 'unknown'} pending, lag ${u.lag ?? 'unknown'}.`
      : `Upstream: ${u.stream} has no group ${u.group}; the processor creates it when it starts.`,
  );
  return lines.join('\n');
}
