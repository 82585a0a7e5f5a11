import type { Redis } from 'ioredis';
import type { Config } from '../../config/config';
import { fieldsFromArray, type StreamFields } from '../../shared/event';
import { errorMessage, type Logger } from '../../shared/log';
import type { SQLiteBatchWriter } from '../database/batchWriter';
import type { SqliteStore } from '../database/sqliteClient';
import type { FlushParticipant } from '../durability';
import { BatchManager } from './batchManager';
import { CDCPublisher, type CdcRecord } from './cdcPublisher';
import type { EncodeResult, EncodedRow } from './encode';
import { EncodePool } from './encodePool';
import { deadLetterFields, type DeadLetterErrorType } from './deadLetters';
import { FastPathStats } from './stats';

type StreamEntry = [id: string, fields: string[]];
type XReadReply = Array<[stream: string, entries: StreamEntry[]]> | null;


interface AwaitingDurable {
  id: string;
  /** Set for rows to announce on the CDC stream (new rows and duplicates: a crash may have
   * happened between the flush and the announcement, and CDC consumers are idempotent). */
  cdc?: CdcRecord;
}

export interface ConsumerDeps {
  config: Config;
  /** For XACK, XADD, XCLAIM: commands that must not wait behind a blocking read. */
  redis: Redis;
  /** Dedicated to XREADGROUP BLOCK; disconnected to break the read on stop. */
  blockingRedis: Redis;
  writer: SQLiteBatchWriter;
  store: SqliteStore;
  log: Logger;
  stats?: FastPathStats;
  /** Encoding worker threads; 0 encodes on the main thread. */
  encodeWorkers?: number;
}

const PROBE_TYPE = 'probe';

/** Group name conflicts ("BUSYGROUP") mean the group already exists, which is what we want. */
export async function ensureGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!errorMessage(err).includes('BUSYGROUP')) throw err;
  }
}

/**
 * The fast path (plan Phase 2): XREADGROUP from the event stream, batches to SQLite, and XACK +
 * CDC only once the flush made the rows durable (invariant 2). Entries that fail are retried
 * through the pending entries list; processing failures are counted in a Redis hash (not the
 * delivery counter, which crash recovery also raises), and after `max_deliveries` failures the
 * entry goes to the DLQ with the reason and is acknowledged (invariant 6).
 */
export class FastPathConsumer implements FlushParticipant {
  readonly stats: FastPathStats;
  private readonly cfg: Config;
  private readonly stream: string;
  private readonly group: string;
  private readonly consumer: string;
  private readonly failuresKey: string;
  private readonly batch: BatchManager<StreamEntry>;
  private readonly pool: EncodePool;
  /** Batches are encoded in parallel but written in the order they were read. */
  private writeChain: Promise<void> = Promise.resolve();
  /** One promise per batch in flight, oldest first, for backpressure. */
  private inflight: Array<Promise<void>> = [];
  private readonly cdc: CDCPublisher;
  private awaiting: AwaitingDurable[] = [];
  private readonly retryAt = new Map<string, number>();
  private readonly failedIds = new Set<string>();
  private running = false;
  private loop?: Promise<void>;
  private lastClaimAt = 0;
  private ackRetryAt = 0;
  private lastAckError?: string;
  private probesStored = 0;

  constructor(private readonly deps: ConsumerDeps) {
    this.cfg = deps.config;
    this.stream = this.cfg.streams.events;
    this.group = this.cfg.processor.consumer_group;
    this.consumer = this.cfg.processor.consumer_name;
    this.failuresKey = `${this.stream}:failures:${this.group}`;
    this.stats = deps.stats ?? new FastPathStats();
    this.batch = new BatchManager(this.cfg.processor.batch_size, this.cfg.processor.batch_timeout_ms);
    this.cdc = new CDCPublisher(this.cfg.streams.cdc, this.cfg.streams.cdc_maxlen);
    this.pool = new EncodePool(deps.encodeWorkers ?? 0, { maxEntryBytes: this.cfg.processor.max_entry_bytes }, deps.log);
  }

  async start(): Promise<void> {
    if (this.running) return;
    await ensureGroup(this.deps.redis, this.stream, this.group);
    this.running = true;
    this.loop = this.run().catch((err) => {
      this.running = false;
      this.deps.log.error(`Fast path stopped on an unexpected error: ${errorMessage(err)}`);
    });
  }

  /** Stop reading and write what was read; the caller flushes and then calls onDurable(). */
  async stop(): Promise<void> {
    if (!this.running && !this.loop) return;
    this.running = false;
    // A blocking XREADGROUP holds its connection for up to block_ms; disconnecting ends it now.
    // Entries Redis delivered into that read stay in our PEL and are re-read at the next start.
    this.deps.blockingRedis.disconnect();
    await this.loop;
    this.loop = undefined;
    this.dispatch(true);
    await this.writeChain;
    await this.pool.close();
  }


  private async run(): Promise<void> {
    let historyRead = false;
    while (this.running) {
      try {
        // Inside the try: a Redis error here is retried like any other, never ends the loop.
        if (!historyRead) {
          await this.readOwnHistory();
          historyRead = true;
        }
        await this.claimIdleIfDue();
        await this.retryDue();
        const wait = this.batch.msUntilDue();
        const block = wait === undefined ? this.cfg.processor.block_ms : Math.max(1, Math.ceil(wait));
        const reply = (await this.deps.blockingRedis.xreadgroup(
          'GROUP', this.group, this.consumer,
          // Several batches per round trip when there is a backlog; batches stay batch_size.
          'COUNT', this.cfg.processor.batch_size * 4,
          'BLOCK', block,
          'STREAMS', this.stream, '>',
        )) as XReadReply;
        if (reply) await this.handleEntries(reply[0][1]);
        this.dispatch(false);
        await this.backpressure();
      } catch (err) {
        if (!this.running) break;
        const message = errorMessage(err);
        if (message.includes('NOGROUP')) {
          // The stream or group was deleted under us (a user ran DEL): recreate and go on.
          await ensureGroup(this.deps.redis, this.stream, this.group).catch(() => undefined);
        } else {
          this.deps.log.warn(`Reading ${this.stream} failed (${message}); retrying.`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Entries delivered to this consumer name before a crash or restart: read them again first. */
  private async readOwnHistory(): Promise<void> {
    let after = '0';
    while (this.running) {
      const reply = (await this.deps.redis.xreadgroup(
        'GROUP', this.group, this.consumer, 'COUNT', this.cfg.processor.batch_size, 'STREAMS', this.stream, after,
      )) as XReadReply;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) break;
      after = entries[entries.length - 1][0];
      // An entry trimmed while pending comes back with no fields: nothing to store, just ack it.
      const live = entries.filter(([, f]) => f !== null);
      const gone = entries.filter(([, f]) => f === null).map(([id]) => id);
      if (gone.length > 0) await this.deps.redis.xack(this.stream, this.group, ...gone);
      await this.handleEntries(live);
      this.dispatch(false);
      await this.backpressure();
    }
  }

  /** Entries idle too long under another consumer (one that died) are taken over. */
  private async claimIdleIfDue(): Promise<void> {
    const now = Date.now();
    const every = Math.max(1000, Math.floor(this.cfg.processor.claim_idle_ms / 4));
    if (now - this.lastClaimAt < every) return;
    this.lastClaimAt = now;
    let cursor = '0-0';
    do {
      const [next, entries, deleted] = (await this.deps.redis.xautoclaim(
        this.stream, this.group, this.consumer, this.cfg.processor.claim_idle_ms, cursor, 'COUNT', 100,
      )) as [string, StreamEntry[], string[]?];
      cursor = next;
      // Our own entries waiting for a flush are never this idle (claim_idle_ms > flush interval),
      // so what comes back belongs to a consumer that is gone.
      const fresh = entries.filter(([id]) => !this.retryAt.has(id));
      this.stats.claimed += fresh.length;
      if (deleted && deleted.length > 0) await this.deps.redis.xack(this.stream, this.group, ...deleted);
      await this.handleEntries(fresh);
      this.dispatch(false);
    } while (cursor !== '0-0' && this.running);
  }

  private async retryDue(): Promise<void> {
    if (this.retryAt.size === 0) return;
    const now = Date.now();
    const due = [...this.retryAt].filter(([, at]) => at <= now).map(([id]) => id);
    if (due.length === 0) return;
    for (const id of due) this.retryAt.delete(id);
    // XCLAIM to ourselves is a real redelivery: it raises the delivery count Redis reports.
    const entries = (await this.deps.redis.xclaim(this.stream, this.group, this.consumer, 0, ...due)) as Array<StreamEntry | null>;
    const live = entries.filter((e): e is StreamEntry => e !== null && e[1] !== null);
    const liveIds = new Set(live.map(([id]) => id));
    const gone = due.filter((id) => !liveIds.has(id));
    if (gone.length > 0) {
      await this.deps.redis.multi().xack(this.stream, this.group, ...gone).hdel(this.failuresKey, ...gone).exec();
      for (const id of gone) this.failedIds.delete(id);
    }
    await this.handleEntries(live);
  }

  private async handleEntries(entries: StreamEntry[]): Promise<void> {
    for (const entry of entries) {
      this.stats.read++;
      if (this.batch.add([entry[0], entry[1] ?? []])) this.dispatch(false);
    }
  }

  /** Send every due batch (all of them when `all`) to be encoded, then written in order. */
  private dispatch(all: boolean): void {
    while (this.batch.size > 0 && (all || this.batch.shouldFlush())) {
      const entries = this.batch.take();
      const dispatchedAt = performance.now();
      const encoded = this.pool.encode(entries);
      const written = this.writeChain
        .then(async () => this.write(entries, await encoded, dispatchedAt))
        .catch((err) => this.deps.log.error(`Writing a batch failed (${errorMessage(err)}); its entries stay pending and will be retried.`));
      this.writeChain = written;
      this.inflight.push(written);
      void written.finally(() => {
        const i = this.inflight.indexOf(written);
        if (i >= 0) this.inflight.splice(i, 1);
      });
    }
  }

  /**
   * Keep a bounded number of batches in flight, so memory stays flat when Redis is far ahead;
   * waiting for the oldest one only keeps the workers busy while the next read is under way.
   */
  private async backpressure(): Promise<void> {
    const limit = 4 * Math.max(1, this.pool.size);
    while (this.inflight.length >= limit) await this.inflight[0];
  }

  /** Synchronous sql.js work: one transaction for the batch. */
  private write(entries: StreamEntry[], results: EncodeResult[], dispatchedAt: number): void {
    const rows: EncodedRow[] = [];
    for (const r of results) {
      if (r.ok) rows.push(r);
      else this.failLater(r.id, r.original, r.errorType, r.message, r.errorType !== 'too_large');
    }
    const t0 = performance.now();
    const result = this.deps.writer.writeEncoded(rows);
    const t1 = performance.now();
    this.stats.recordBatch(t1 - t0, t1 - dispatchedAt);
    this.stats.rawBytes += result.rawBytes;
    this.stats.compressedBytes += result.compressedBytes;
    for (const stored of result.stored) {
      const cdc = stored.row.cdc;
      if (stored.duplicate) this.stats.duplicates++;
      else if (cdc.event_type === PROBE_TYPE) this.probesStored++;
      else this.stats.written++;
      this.awaiting.push({ id: stored.row.id, cdc: stored.sequence >= 0 ? { sequence: stored.sequence, event: cdc } : undefined });
    }
    for (const failure of result.failed) {
      const flat = entries.find(([id]) => id === failure.row.id)?.[1] ?? [];
      this.failLater(failure.row.id, fieldsFromArray(flat), 'processing_error', failure.error, true);
    }
  }

  private failLater(id: string, fields: StreamFields, errorType: DeadLetterErrorType, message: string, canRetry: boolean): void {
    void this.fail(id, fields, errorType, message, canRetry).catch((err) =>
      this.deps.log.error(`Could not record the failure of entry ${id} (${errorMessage(err)}); it stays pending and will be retried.`),
    );
  }

  /** Count a processing failure; retry later, or dead-letter it once it failed often enough. */
  private async fail(id: string, fields: StreamFields, errorType: DeadLetterErrorType, message: string, canRetry: boolean): Promise<void> {
    this.stats.failures++;
    const failures = await this.deps.redis.hincrby(this.failuresKey, id, 1);
    this.failedIds.add(id);
    if (failures < this.cfg.processor.max_deliveries) {
      // Short backoff: most failures are deterministic, and the DLQ is where a user looks.
      this.retryAt.set(id, Date.now() + 100 * 2 ** failures);
      return;
    }
    const eventId = fields.event_id;
    // Copy to the DLQ and acknowledge in one transaction: never one without the other.
    await this.deps.redis
      .multi()
      .xadd(this.cfg.streams.dlq, 'MAXLEN', '~', String(this.cfg.streams.dlq_maxlen), '*', ...deadLetterFields({
        sourceStream: this.stream,
        originalMessageId: id,
        originalEventId: eventId,
        originalFields: fields,
        errorType,
        errorMessage: message,
        deliveries: failures,
        canRetry,
      }))
      .xack(this.stream, this.group, id)
      .hdel(this.failuresKey, id)
      .exec();
    this.failedIds.delete(id);
    this.stats.deadLettered++;
    this.deps.log.warn(`Entry ${id} (event ${eventId ?? 'unknown'}) moved to ${this.cfg.streams.dlq} after ${failures} failed deliveries: ${message}`);
  }

  /** The flush made every row written so far durable: announce them on CDC and acknowledge. */
  async onDurable(): Promise<void> {
    if (this.awaiting.length === 0 || Date.now() < this.ackRetryAt) return;
    const items = this.awaiting;
    this.awaiting = [];
    const pipeline = this.deps.redis.pipeline();
    const records = items.flatMap((i) => (i.cdc ? [i.cdc] : []));
    this.cdc.queue(pipeline, records);
    const chunks: AwaitingDurable[][] = [];
    for (let i = 0; i < items.length; i += 1000) chunks.push(items.slice(i, i + 1000));
    for (const chunk of chunks) pipeline.xack(this.stream, this.group, ...chunk.map((c) => c.id));
    const ids = items.map((i) => i.id);
    const cleared = ids.filter((id) => this.failedIds.has(id));
    if (cleared.length > 0) pipeline.hdel(this.failuresKey, ...cleared);
    let results: Array<[Error | null, unknown]>;
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (err) {
      results = [];
      this.noteAckError(err as Error);
    }
    if (results.length === 0) {
      // Nothing known to have happened: keep every item (the rows are stored, so a redelivery
      // would only be a duplicate) and try again a little later.
      this.awaiting = items.concat(this.awaiting);
      this.ackRetryAt = Date.now() + 1000;
      return;
    }
    const cdcResults = results.slice(0, records.length);
    const cdcFailure = cdcResults.find(([e]) => e)?.[0];
    const published = cdcResults.filter(([e]) => !e).length;
    // A CDC announcement that Redis refused is not retried here: the slow path derives, at its
    // next start, every stored row the CDC stream never announced.
    if (cdcFailure) this.noteAckError(cdcFailure);
    let acked = 0;
    const retry: AwaitingDurable[] = [];
    chunks.forEach((chunk, k) => {
      const [error] = results[records.length + k] ?? [new Error('no reply')];
      if (error) {
        this.noteAckError(error);
        retry.push(...chunk.map((c) => ({ id: c.id })));
      } else acked += chunk.length;
    });
    if (retry.length > 0) {
      this.awaiting = retry.concat(this.awaiting);
      this.ackRetryAt = Date.now() + 1000;
    } else {
      this.lastAckError = undefined;
      for (const id of cleared) this.failedIds.delete(id);
    }
    this.stats.cdcPublished += published;
    this.stats.acked += acked;
    if (this.probesStored > 0 && records.some((r) => r.event.event_type === PROBE_TYPE)) {
      // Probes prove the path end to end (verify); once announced they leave no trace in the
      // user's data.
      this.deps.store.db.run(`DELETE FROM raw_traces WHERE event_type = '${PROBE_TYPE}'`);
      this.deps.store.markDirty();
      this.probesStored = 0;
    }
  }

  /** Log an acknowledgement problem once per kind, not on every retry. */
  private noteAckError(err: Error): void {
    const message = `Acknowledging stored entries of ${this.stream} failed (${errorMessage(err)}); the rows are safe on disk and the acknowledgement is retried.`;
    if (message !== this.lastAckError) this.deps.log.warn(message);
    this.lastAckError = message;
  }

}
