import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/config';
import { errorMessage, type Logger } from '../../shared/log';
import { closeRedis, connectRedis, createRedis } from '../../shared/redis';
import type { SqliteStore } from '../database/sqliteClient';
import type { FlushParticipant } from '../durability';
import type { LeaderComponent, LeaderContext } from '../server';
import type { ProcessorStatus } from '../status';
import { readGroups } from '../streamHealth';
import { backfillSlice, resetIfOutdated } from './backfill';
import { byPriority, type CdcEntry, parseCdcEntry } from './cdcEntry';
import { type CdcErrorType, CdcFailures } from './cdcFailures';
import { hasDerivedSchema, missingDerivedSchemaError } from './derivedSchema';
import { Deriver } from './deriver';
import { DIRTY_KINDS, type DirtyKind } from './dirtyScopes';

export interface SlowPathWorkersOptions {
  config: Config;
  /** The process's shared connection: XACK, the DLQ, XINFO. The workers make their own blocking one. */
  redis: Redis;
  store: SqliteStore;
  log: Logger;
  /** Consumer name in the group; one per machine is enough (one processor owns the database). */
  consumerName?: string;
  now?: () => Date;
}

export interface SlowPathStats {
  running: boolean;
  /** CDC entries derived (new rows, or found already derived). */
  processed: number;
  duplicates: number;
  /** CDC entries whose raw_traces row no longer exists (retention, another database): nothing to derive. */
  skipped: number;
  /** Failed processing attempts (each is retried until max_deliveries). */
  failed: number;
  deadLettered: number;
  acked: number;
  /** Derived but not yet acknowledged: waiting for the flush that makes the rows durable. */
  awaitingAck: number;
  /** CDC entries not yet delivered to the group (XINFO GROUPS lag), null until known. */
  lag: number | null;
  /** Conversations, generations and days waiting to be recomputed. */
  pendingScopes: number;
  backfilling: boolean;
  lastError: string | null;
}

// One slice of synchronous sql.js work: this many CDC entries, or this long draining scopes.
// Deriving an event costs about 0.3 ms (a 1-20 KB event: inflate, parse, insert), so a slice
// keeps the fast path, which shares the event loop and the database, waiting a few ms at most.
const SLICE_EVENTS = 20;
const SLICE_BUDGET_MS = 8;
// While the fast path has this many entries not yet read, the workers pause between slices: the
// raw events come first, the derived tables catch up once the backlog is gone.
const FAST_PATH_BACKLOG = 200;
const BACKOFF_MS = 25;
const FAST_PATH_CHECK_MS = 1000;
// A conversation's row and metrics, and a day's, are recomputed whole, so their cost grows with
// the conversation or the day. Under a stream of events each kind waits at least this long
// between rounds, and at least REFRESH_COST_FACTOR times what its longest recompute took, which
// keeps them near 1/REFRESH_COST_FACTOR of the event loop at any size (the flush scheduler
// adapts the same way). Turns, per generation, follow every read.
const REFRESH_INTERVAL_MS: Record<DirtyKind, number> = { generation: 0, conversation: 1000, day: 2000 };
const REFRESH_COST_FACTOR = 20;
const READ_COUNT = 200;
const RETRY_DELAY_MS = 1000;
const LAG_REFRESH_MS = 5000;
const ERROR_BACKOFF_MS = 1000;
const ACK_CHUNK = 500;

/**
 * The slow path's workers: read cdc:events with consumer group `workers`, derive conversations,
 * turns, code changes and metrics from the rows the fast path stored, and acknowledge each entry
 * only once the rows derived from it are on disk (invariant 2): the server calls `onDurable()`
 * after every flush.
 *
 * Everything runs in the processor's process and event loop, on the same sql.js database as the
 * fast path, so the work is cut into short synchronous slices with a yield between them.
 */
export class SlowPathWorkers implements LeaderComponent, FlushParticipant {
  readonly name = 'slow path';
  private readonly config: Config;
  private readonly redis: Redis;
  private readonly store: SqliteStore;
  private readonly log: Logger;
  private readonly consumer: string;
  private readonly now: () => Date;
  private deriver?: Deriver;
  private reader?: Redis;
  private loop?: Promise<void>;
  private backfill?: Promise<void>;
  private stopping = false;
  private stopPromise?: Promise<void>;
  /** Entry id -> the store's statement generation when its rows were written (-1: already durable). */
  private readonly awaiting = new Map<string, number>();
  private readonly failures: CdcFailures;
  private readonly lastDrained: Record<DirtyKind, number> = { generation: 0, conversation: 0, day: 0 };
  private readonly refreshCostMs: Record<DirtyKind, number> = { generation: 0, conversation: 0, day: 0 };
  private lastLagRefresh = 0;
  private lastFastPathCheck = 0;
  private fastPathBehind = false;
  private readonly counters: Omit<SlowPathStats, 'running' | 'awaitingAck' | 'backfilling'> = {
    processed: 0,
    duplicates: 0,
    skipped: 0,
    failed: 0,
    deadLettered: 0,
    acked: 0,
    lag: null,
    pendingScopes: 0,
    lastError: null,
  };
  private backfilling = false;

  constructor(options: SlowPathWorkersOptions) {
    this.config = options.config;
    this.redis = options.redis;
    this.store = options.store;
    this.log = options.log;
    this.consumer = options.consumerName ?? 'slow-path-1';
    this.now = options.now ?? (() => new Date());
    this.failures = new CdcFailures(this.redis, this.config, this.log, this.now);
  }

  private get stream(): string {
    return this.config.streams.cdc;
  }

  private get group(): string {
    return this.config.slow_path.consumer_group;
  }

  /** Create the group, connect the blocking reader, and start reading (pending entries first). */
  async start(): Promise<void> {
    if (this.loop || this.stopping) return;
    if (!this.config.slow_path.enabled) {
      this.log.info('Slow path is disabled (slow_path.enabled: false); conversations and metrics are not derived.');
      return;
    }
    if (!hasDerivedSchema(this.store.db)) {
      // Not a Redis problem: throwing would make the server retry it as one, forever.
      this.noteError(missingDerivedSchemaError().message);
      return;
    }
    // Redis first: the server retries start() while Redis is down, and nothing is kept from a
    // failed attempt.
    await this.ensureGroup();
    await this.failures.load();
    const reader = createRedis({
      url: this.config.redis.url,
      connectTimeoutMs: this.config.redis.connect_timeout_ms,
      blocking: true,
      name: 'blueplane-slow-path',
      onError: (err) => this.noteError(`Slow path lost its Redis connection (${err.message}); it reconnects by itself.`),
    });
    try {
      await connectRedis(reader, this.config.redis.url);
    } catch (err) {
      reader.disconnect();
      throw err;
    }
    if (this.stopping) {
      // stop() came while we were connecting: it found nothing to stop, so nothing may start.
      reader.disconnect();
      return;
    }
    this.reader = reader;
    const deriver = new Deriver(this.store, this.log, this.now);
    this.deriver = deriver;
    if (resetIfOutdated(this.store.db, deriver)) {
      this.log.info('Slow path: derived tables were made by another version (or never); deriving them again from raw_traces.');
    }
    this.loop = this.readLoop();
    this.backfill = this.backfillLoop();
  }

  /** Stop reading, let the current slice finish, free statements. Bounded and safe to call twice. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping = true;
      // Disconnecting breaks a blocking XREADGROUP at once; entries it was delivering stay in
      // the pending list and are read again at the next start.
      this.reader?.disconnect();
      const work = Promise.allSettled([this.loop, this.backfill]);
      const timeoutMs = this.config.processor.shutdown_timeout_ms;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        work.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      if (timer) clearTimeout(timer);
      if (timedOut) this.log.warn(`Slow path did not stop within ${timeoutMs} ms; its unacknowledged entries will be read again at the next start.`);
      await closeRedis(this.reader);
      this.deriver?.dispose();
    })();
    return this.stopPromise;
  }

  /**
   * Called by the server after each flush. Acknowledge the entries whose rows were written
   * before the export that just reached the disk. Pending ids are taken synchronously, before
   * the first await, as FlushParticipant requires.
   */
  async onDurable(): Promise<void> {
    // An export since the write (the generation moved on), or nothing unsaved at all, means the
    // rows are on disk.
    const generation = this.store.durableGeneration;
    const allSaved = !this.store.isDirty;
    const ready: string[] = [];
    for (const [id, writtenAt] of this.awaiting) if (allSaved || writtenAt < generation) ready.push(id);
    if (ready.length === 0) return;
    for (const id of ready) this.awaiting.delete(id);
    for (let i = 0; i < ready.length; i += ACK_CHUNK) {
      const chunk = ready.slice(i, i + ACK_CHUNK);
      const cleared = this.failures.clearedBy(chunk);
      try {
        const pipeline = this.redis.pipeline().xack(this.stream, this.group, ...chunk);
        if (cleared.length > 0) pipeline.hdel(this.failures.key, ...cleared);
        const results = await pipeline.exec();
        const error = results?.find(([e]) => e)?.[0];
        if (!results || error) throw error ?? new Error('the pipeline returned nothing');
        this.failures.forget(cleared);
        this.counters.acked += chunk.length;
      } catch (err) {
        // The rows are durable: the ack only has to happen some time. Try again after the next flush.
        for (const id of chunk) this.awaiting.set(id, -1);
        this.noteError(`Slow path could not acknowledge CDC entries (${errorMessage(err)}); it retries after the next flush.`);
      }
    }
  }

  stats(): SlowPathStats {
    return {
      ...this.counters,
      running: this.loop !== undefined && !this.stopping,
      awaitingAck: this.awaiting.size,
      backfilling: this.backfilling,
    };
  }

  /** For the processor status (status.json, the status bar, `blueplane status`). */
  status(): Partial<ProcessorStatus> {
    const s = this.stats();
    const state = !this.config.slow_path.enabled ? 'disabled' : s.running ? (s.backfilling ? 'catching up' : 'running') : 'stopped';
    return {
      slowPath: {
        state,
        processed: s.processed,
        duplicates: s.duplicates,
        skipped: s.skipped,
        failed: s.failed,
        deadLettered: s.deadLettered,
        acked: s.acked,
        awaitingAck: s.awaitingAck,
        lag: s.lag,
        pendingScopes: s.pendingScopes,
        lastError: s.lastError,
      },
    };
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!errorMessage(err).includes('BUSYGROUP')) throw err;
    }
  }

  private async readLoop(): Promise<void> {
    // Start with our own pending entries: delivered before a crash or a stop, never acknowledged.
    let pendingCursor: string | null = '0';
    while (!this.stopping) {
      try {
        let entries: CdcEntry[];
        if (pendingCursor !== null) {
          entries = await this.read(pendingCursor, false);
          pendingCursor = entries.length > 0 ? entries[entries.length - 1].id : null;
          // Entries derived already and waiting for their flush are pending too: leave them be.
          entries = entries.filter((e) => !this.awaiting.has(e.id));
        } else {
          entries = await this.read('>', true);
        }
        if (entries.length > 0) await this.process(entries);
        await this.drainScopes();
        if (pendingCursor === null && this.failures.retryDue()) pendingCursor = '0';
        await this.refreshLag();
      } catch (err) {
        if (this.stopping) break;
        const message = errorMessage(err);
        if (message.includes('NOGROUP')) {
          // The stream was deleted (and its group with it): make them again and carry on.
          await this.ensureGroup().catch(() => undefined);
          pendingCursor = '0';
        }
        this.noteError(`Slow path read failed (${message}); retrying.`);
        await sleep(ERROR_BACKOFF_MS);
      }
    }
  }

  private async read(id: string, block: boolean): Promise<CdcEntry[]> {
    const reader = this.reader as Redis;
    const reply = block
      ? await reader.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', READ_COUNT, 'BLOCK', this.config.processor.block_ms, 'STREAMS', this.stream, id)
      : await reader.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', READ_COUNT, 'STREAMS', this.stream, id);
    const streams = reply as Array<[string, Array<[string, string[] | null]>]> | null;
    const items = streams?.[0]?.[1] ?? [];
    return items.map(([entryId, flat]) => parseCdcEntry(entryId, flat));
  }

  /** Derive a read's entries in priority order, one short slice at a time. */
  private async process(entries: CdcEntry[]): Promise<void> {
    const deriver = this.deriver as Deriver;
    const ordered = byPriority(entries);
    for (let i = 0; i < ordered.length && !this.stopping; i += SLICE_EVENTS) {
      const slice = ordered.slice(i, i + SLICE_EVENTS);
      const derivable = slice.filter((e) => e.sequence !== null);
      const results = deriver.applyEvents(derivable.map((e) => ({ sequence: e.sequence as number, eventId: e.eventId })));
      // Rows written now are durable after the next export; nothing written means nothing to wait for.
      const durableAfter = this.store.isDirty ? this.store.durableGeneration : -1;
      const failures: Array<{ entry: CdcEntry; error: string; type: CdcErrorType }> = [];
      derivable.forEach((entry, k) => {
        const result = results[k];
        if (!result.ok) {
          failures.push({ entry, error: result.error.message, type: 'processing_error' });
          return;
        }
        this.counters.processed++;
        if (result.outcome === 'duplicate') this.counters.duplicates++;
        if (result.outcome === 'missing') this.counters.skipped++;
        this.failures.succeeded(entry.id);
        this.awaiting.set(entry.id, durableAfter);
      });
      for (const entry of slice) {
        if (entry.sequence !== null) continue;
        if (Object.keys(entry.fields).length === 0) {
          // Trimmed or deleted while pending: there is nothing left to derive or to keep.
          this.counters.skipped++;
          this.awaiting.set(entry.id, -1);
        } else {
          failures.push({ entry, error: 'field "sequence" is not a positive integer', type: 'parse_error' });
        }
      }
      for (const failure of failures) await this.recordFailure(failure.entry, failure.error, failure.type);
      await this.pause();
    }
  }

  private async recordFailure(entry: CdcEntry, error: string, type: CdcErrorType): Promise<void> {
    this.counters.failed++;
    try {
      if (await this.failures.record(entry, error, type, RETRY_DELAY_MS)) this.counters.deadLettered++;
    } catch (err) {
      this.noteError(`Slow path could not record the failure of CDC entry ${entry.id} (${errorMessage(err)}); it stays pending and is retried.`);
    }
  }

  /** Recompute dirty scopes in budgeted slices; each kind no more often than its cost allows. */
  private async drainScopes(): Promise<void> {
    const deriver = this.deriver as Deriver;
    const now = Date.now();
    const due = (k: DirtyKind) => now - this.lastDrained[k] >= Math.max(REFRESH_INTERVAL_MS[k], REFRESH_COST_FACTOR * this.refreshCostMs[k]);
    const kinds = DIRTY_KINDS.filter(due);
    const longest: Partial<Record<DirtyKind, number>> = {};
    while (!this.stopping) {
      const result = deriver.drain({ budgetMs: SLICE_BUDGET_MS, kinds });
      for (const [kind, ms] of Object.entries(result.longestMs) as Array<[DirtyKind, number]>) longest[kind] = Math.max(longest[kind] ?? 0, ms);
      if (!result.more) break;
      await this.pause();
    }
    for (const kind of kinds) {
      this.lastDrained[kind] = now;
      if (longest[kind] !== undefined) this.refreshCostMs[kind] = longest[kind] as number;
    }
    if (!this.stopping) this.counters.pendingScopes = deriver.pendingScopes();
  }

  /** Derive rows the CDC stream never brought (see backfill.ts), between the live work. */
  private async backfillLoop(): Promise<void> {
    const deriver = this.deriver as Deriver;
    this.backfilling = true;
    try {
      while (!this.stopping) {
        const slice = backfillSlice(deriver);
        this.counters.pendingScopes = deriver.pendingScopes();
        if (slice.failed > 0) this.noteError(`Slow path could not derive ${slice.failed} stored event(s) during catch-up (first: ${slice.firstError}); they are skipped.`);
        if (slice.done) break;
        await this.pause();
      }
    } catch (err) {
      this.noteError(`Slow path catch-up stopped (${errorMessage(err)}); it resumes at the next start.`);
    } finally {
      this.backfilling = false;
    }
  }

  /** Between two slices: let the event loop run, and give way to the fast path while it is behind. */
  private async pause(): Promise<void> {
    if (Date.now() - this.lastFastPathCheck >= FAST_PATH_CHECK_MS) {
      this.lastFastPathCheck = Date.now();
      this.fastPathBehind = await this.fastPathBacklog().then((n) => n > FAST_PATH_BACKLOG, () => false);
    }
    if (this.fastPathBehind && !this.stopping) await sleep(BACKOFF_MS);
    else await yieldToEventLoop();
  }

  /** Entries of the events stream the fast path has not read yet (in-flight entries are normal). */
  private async fastPathBacklog(): Promise<number> {
    const group = (await readGroups(this.redis, this.config.streams.events)).find((g) => g.name === this.config.processor.consumer_group);
    return group?.lag ?? 0;
  }

  private async refreshLag(): Promise<void> {
    if (Date.now() - this.lastLagRefresh < LAG_REFRESH_MS) return;
    this.lastLagRefresh = Date.now();
    try {
      this.counters.lag = (await readGroups(this.redis, this.stream)).find((g) => g.name === this.group)?.lag ?? null;
    } catch {
      // Lag is a display figure; a failed XINFO leaves the last known value.
    }
  }

  private noteError(message: string): void {
    if (message !== this.counters.lastError) this.log.warn(message);
    this.counters.lastError = message;
  }
}

/** The slow path as a leader component: `new TelemetryServer({ config, log, components: [slowPathComponent] })`. */
export function slowPathComponent(ctx: LeaderContext): SlowPathWorkers {
  return new SlowPathWorkers(ctx);
}
