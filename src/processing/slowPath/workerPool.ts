import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/config';
import { errorMessage, type Logger } from '../../shared/log';
import { closeRedis, connectRedis, createRedis } from '../../shared/redis';
import type { SqliteStore } from '../database/sqliteClient';
import type { FlushParticipant } from '../durability';
import { addDeadLetter } from '../fastPath/deadLetters';
import type { LeaderComponent } from '../server';
import type { ProcessorStatus } from '../status';
import { backfillSlice, resetIfOutdated } from './backfill';
import { byPriority, type CdcEntry, parseCdcEntry } from './cdcEntry';
import { hasDerivedSchema, missingDerivedSchemaError } from './derivedSchema';
import { Deriver } from './deriver';

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
// A slice of 50 events is a few milliseconds (measured in the report of issue 5), so the fast
// path, which shares the event loop and the database, waits at most that long.
const SLICE_EVENTS = 50;
const SLICE_BUDGET_MS = 8;
// Day rows aggregate every event of a day: recompute them at most this often.
const DAY_REFRESH_INTERVAL_MS = 1000;
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
  /** Entry id -> failed attempts and when the first one happened. */
  private readonly failures = new Map<string, { count: number; firstSeenAt: string; lastError: string }>();
  private retryAt = 0;
  private lastDayDrain = 0;
  private lastLagRefresh = 0;
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
    const deriver = new Deriver(this.store, this.log, this.now);
    this.deriver = deriver;
    if (resetIfOutdated(this.store.db, deriver)) {
      this.log.info('Slow path: derived tables were made by another version (or never); deriving them again from raw_traces.');
    }
    await this.ensureGroup();
    this.reader = createRedis({
      url: this.config.redis.url,
      connectTimeoutMs: this.config.redis.connect_timeout_ms,
      blocking: true,
      name: 'blueplane-slow-path',
      onError: (err) => this.noteError(`Slow path lost its Redis connection (${err.message}); it reconnects by itself.`),
    });
    await connectRedis(this.reader, this.config.redis.url);
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
    const generation = this.store.statementGeneration;
    const ready: string[] = [];
    for (const [id, writtenAt] of this.awaiting) if (writtenAt < generation) ready.push(id);
    if (ready.length === 0) return;
    for (const id of ready) this.awaiting.delete(id);
    for (let i = 0; i < ready.length; i += ACK_CHUNK) {
      const chunk = ready.slice(i, i + ACK_CHUNK);
      try {
        await this.redis.xack(this.stream, this.group, ...chunk);
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
        if (pendingCursor === null && this.failures.size > 0 && Date.now() >= this.retryAt) pendingCursor = '0';
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
      const durableAfter = this.store.isDirty ? this.store.statementGeneration : -1;
      const failures: Array<{ entry: CdcEntry; error: string; type: 'parse_error' | 'processing_error' }> = [];
      derivable.forEach((entry, k) => {
        const result = results[k];
        if (!result.ok) {
          failures.push({ entry, error: result.error.message, type: 'processing_error' });
          return;
        }
        this.counters.processed++;
        if (result.outcome === 'duplicate') this.counters.duplicates++;
        if (result.outcome === 'missing') this.counters.skipped++;
        this.failures.delete(entry.id);
        this.awaiting.set(entry.id, durableAfter);
      });
      for (const entry of slice) {
        if (entry.sequence !== null) continue;
        const error = Object.keys(entry.fields).length === 0 ? 'the entry was deleted from the stream' : 'field "sequence" is not a positive integer';
        if (Object.keys(entry.fields).length === 0) {
          // Trimmed or deleted while pending: there is nothing left to derive or to keep.
          this.counters.skipped++;
          this.awaiting.set(entry.id, -1);
        } else {
          failures.push({ entry, error, type: 'parse_error' });
        }
      }
      for (const failure of failures) await this.recordFailure(failure.entry, failure.error, failure.type);
      await yieldToEventLoop();
    }
  }

  /**
   * Count a failed attempt. The entry stays pending and is read again after RETRY_DELAY_MS;
   * after max_deliveries failed attempts it goes to the DLQ with the reason, then is
   * acknowledged (invariant 6). Attempts are counted here, not by Redis' delivery counter,
   * which redeliveries after a crash also raise (DESIGN.md §5).
   */
  private async recordFailure(entry: CdcEntry, error: string, type: 'parse_error' | 'processing_error'): Promise<void> {
    this.counters.failed++;
    const previous = this.failures.get(entry.id);
    const record = { count: (previous?.count ?? 0) + 1, firstSeenAt: previous?.firstSeenAt ?? this.now().toISOString(), lastError: error };
    this.failures.set(entry.id, record);
    this.retryAt = Date.now() + RETRY_DELAY_MS;
    if (record.count < this.config.processor.max_deliveries) return;
    try {
      await addDeadLetter(this.redis, this.config.streams.dlq, this.config.streams.dlq_maxlen, {
        sourceStream: this.stream,
        originalMessageId: entry.id,
        originalEventId: entry.eventId,
        originalFields: entry.fields,
        errorType: type,
        errorMessage: `slow path: ${error}`,
        deliveries: record.count,
        firstSeenAt: record.firstSeenAt,
        canRetry: true,
      });
      await this.redis.xack(this.stream, this.group, entry.id);
      this.failures.delete(entry.id);
      this.counters.deadLettered++;
      this.log.warn(`Slow path moved CDC entry ${entry.id} (event ${entry.eventId ?? 'unknown'}) to ${this.config.streams.dlq} after ${record.count} failed attempts: ${error}`);
    } catch (err) {
      this.noteError(`Slow path could not dead-letter CDC entry ${entry.id} (${errorMessage(err)}); it tries again later.`);
    }
  }

  /** Recompute dirty scopes in budgeted slices; day rows at most every DAY_REFRESH_INTERVAL_MS. */
  private async drainScopes(): Promise<void> {
    const deriver = this.deriver as Deriver;
    const includeDays = Date.now() - this.lastDayDrain >= DAY_REFRESH_INTERVAL_MS;
    while (!this.stopping) {
      const result = deriver.drain({ budgetMs: SLICE_BUDGET_MS, includeDays });
      if (!result.more) break;
      await yieldToEventLoop();
    }
    if (includeDays) this.lastDayDrain = Date.now();
    if (!this.stopping) this.counters.pendingScopes = deriver.pendingScopes();
  }

  /** Derive rows the CDC stream never brought (see backfill.ts), between the live work. */
  private async backfillLoop(): Promise<void> {
    const deriver = this.deriver as Deriver;
    this.backfilling = true;
    try {
      while (!this.stopping) {
        const slice = backfillSlice(deriver);
        if (slice.failed > 0) this.noteError(`Slow path could not derive ${slice.failed} stored event(s) during catch-up (first: ${slice.firstError}); they are skipped.`);
        if (slice.done) break;
        await yieldToEventLoop();
      }
    } catch (err) {
      this.noteError(`Slow path catch-up stopped (${errorMessage(err)}); it resumes at the next start.`);
    } finally {
      this.backfilling = false;
    }
  }

  private async refreshLag(): Promise<void> {
    if (Date.now() - this.lastLagRefresh < LAG_REFRESH_MS) return;
    this.lastLagRefresh = Date.now();
    try {
      const groups = (await this.redis.xinfo('GROUPS', this.stream)) as unknown[][];
      for (const flat of groups) {
        const info: Record<string, unknown> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) info[String(flat[i])] = flat[i + 1];
        if (info.name === this.group) this.counters.lag = typeof info.lag === 'number' ? info.lag : null;
      }
    } catch {
      // Lag is a display figure; a failed XINFO leaves the last known value.
    }
  }

  private noteError(message: string): void {
    if (message !== this.counters.lastError) this.log.warn(message);
    this.counters.lastError = message;
  }
}
