import type { Redis } from 'ioredis';
import type { Config } from '../../config/config';
import type { Logger } from '../../shared/log';
import { addDeadLetter } from '../fastPath/deadLetters';
import type { CdcEntry } from './cdcEntry';

export type CdcErrorType = 'parse_error' | 'processing_error';

/**
 * Failed attempts at CDC entries (invariant 6). Counts live in a Redis hash, as the fast path
 * keeps its own (`<stream>:failures:<group>`), not in memory and not in Redis' delivery counter:
 * a poison entry that crashes the process still reaches the DLQ after max_deliveries attempts,
 * and redeliveries after a crash, which raise the delivery counter, do not count (DESIGN.md §5).
 */
export class CdcFailures {
  /** Entries that failed and wait for a retry, with when they first failed. */
  private readonly retrying = new Map<string, { firstSeenAt: string }>();
  /** Ids with a count in the hash, cleared when the entry is acknowledged. */
  private readonly counted = new Set<string>();
  private retryAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  get key(): string {
    return `${this.config.streams.cdc}:failures:${this.config.slow_path.consumer_group}`;
  }

  /** Learn which entries already have a count (failed before a restart). */
  async load(): Promise<void> {
    for (const id of await this.redis.hkeys(this.key)) this.counted.add(id);
  }

  /** True when some entry waits for a retry and its delay has passed. */
  retryDue(): boolean {
    return this.retrying.size > 0 && Date.now() >= this.retryAt;
  }

  /** The entry succeeded: no more retries (its count is cleared with its ack, see `clearedBy`). */
  succeeded(id: string): void {
    this.retrying.delete(id);
  }

  /** Of the ids about to be acknowledged, those whose count must be deleted with the ack. */
  clearedBy(ids: string[]): string[] {
    return ids.filter((id) => this.counted.has(id));
  }

  forget(ids: string[]): void {
    for (const id of ids) this.counted.delete(id);
  }

  /**
   * Count a failed attempt: the entry stays pending and is read again after `retryDelayMs`; at
   * max_deliveries it is copied to the DLQ with the reason and acknowledged. Returns true when
   * it was dead-lettered.
   */
  async record(entry: CdcEntry, error: string, type: CdcErrorType, retryDelayMs: number): Promise<boolean> {
    const record = this.retrying.get(entry.id) ?? { firstSeenAt: this.now().toISOString() };
    this.retrying.set(entry.id, record);
    this.retryAt = Date.now() + retryDelayMs;
    const count = await this.redis.hincrby(this.key, entry.id, 1);
    this.counted.add(entry.id);
    if (count < this.config.processor.max_deliveries) return false;
    const { cdc, dlq, dlq_maxlen } = this.config.streams;
    await addDeadLetter(this.redis, dlq, dlq_maxlen, {
      sourceStream: cdc,
      originalMessageId: entry.id,
      originalEventId: entry.eventId,
      originalFields: entry.fields,
      errorType: type,
      errorMessage: `slow path: ${error}`,
      deliveries: count,
      firstSeenAt: record.firstSeenAt,
      canRetry: true,
    });
    await this.redis.multi().xack(cdc, this.config.slow_path.consumer_group, entry.id).hdel(this.key, entry.id).exec();
    this.retrying.delete(entry.id);
    this.counted.delete(entry.id);
    this.log.warn(`Slow path moved CDC entry ${entry.id} (event ${entry.eventId ?? 'unknown'}) to ${dlq} after ${count} failed attempts: ${error}`);
    return true;
  }
}
