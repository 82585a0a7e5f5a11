import type { Config } from '../config/config';
import { errorMessage, type Logger } from '../shared/log';
import type { FlushResult, SqliteStore } from './database/sqliteClient';
import type { FlushParticipant } from './durability';

const TICK_MS = 20;
const SCALING_FROM_BYTES = 8 * 1024 * 1024;
/** After a failed write, wait this long before the next try (a full disk stays full for a while). */
const RETRY_AFTER_FAILURE_MS = 2_000;

export interface FlushSchedulerOptions {
  /**
   * Whether this process may still write the file. Checked before every flush and every
   * acknowledgement, so a process that lost the writer's lock never overwrites the new owner's
   * file nor acknowledges rows only it holds.
   */
  canWrite?: () => boolean;
  /**
   * An event-loop stall longer than this (a laptop asleep, a long export) may have let the
   * writer's lock go stale; flushing waits `stallHoldMs` so the lock's own refresh can find out.
   */
  stallMs?: number;
  stallHoldMs?: number;
}

/**
 * Decides when to flush the in-memory database to disk, then lets the participants acknowledge
 * what became durable. A flush exports the whole file, so its cost grows with the database; the
 * interval adapts so that flushing stays under `flush_max_share` of wall time at any size
 * (DESIGN.md §5), between `flush_min_interval_ms` and `flush_max_interval_ms`.
 */
export class FlushScheduler {
  last?: { at: string; result?: FlushResult };
  intervalMs: number;
  /** Share of wall time spent flushing, smoothed over recent flushes. */
  share: number | null = null;
  flushes = 0;
  /** One sentence while writing the file fails (cleared by the next good flush). */
  failure?: string;
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private lastFlushEnd = performance.now();
  private lastTick = performance.now();
  private holdUntil = 0;
  private stopped = false;
  private readonly canWrite: () => boolean;

  constructor(
    private readonly store: SqliteStore,
    private readonly participants: FlushParticipant[],
    private readonly cfg: Config['processor'],
    private readonly log: Logger,
    private readonly options: FlushSchedulerOptions = {},
  ) {
    this.intervalMs = cfg.flush_min_interval_ms;
    this.canWrite = options.canWrite ?? (() => true);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.tick().finally(() => (this.busy = undefined));
    }, TICK_MS);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = performance.now();
    if (now - this.lastTick > (this.options.stallMs ?? 5_000)) this.holdUntil = now + (this.options.stallHoldMs ?? 4_500);
    this.lastTick = now;
    if (now < this.holdUntil || !this.canWrite()) return;
    if (this.store.isDirty) {
      if (now - this.lastFlushEnd < this.dueIntervalMs()) return;
      // Acknowledge only what a flush made durable: after a failed one, nothing new is.
      if (!this.flushNow()) return;
    }
    // Not dirty means everything stored so far is on disk (duplicates, or a flush just ran).
    await this.notify();
  }

  /**
   * A flush costs in proportion to the file, and the file grows between flushes: the interval is
   * set from the cost predicted for the database as it is now (page_count is O(1)), so a fast
   * growing database does not overshoot the share the way the last flush's cost alone would.
   */
  private dueIntervalMs(): number {
    if (this.failure) return RETRY_AFTER_FAILURE_MS;
    const last = this.last?.result;
    // Below a few MB a flush is mostly fixed cost (fsyncs), which does not grow with the file.
    if (!last || last.bytes < SCALING_FROM_BYTES) return this.intervalMs;
    return this.intervalFor(last.totalMs * Math.max(1, this.store.sizeBytes() / last.bytes));
  }

  /** The spacing that keeps a flush of `flushMs` under the share of wall time, within bounds. */
  private intervalFor(flushMs: number): number {
    return Math.min(this.cfg.flush_max_interval_ms, Math.max(this.cfg.flush_min_interval_ms, flushMs / this.cfg.flush_max_share));
  }

  /** True when the file on disk now holds everything written so far. */
  private flushNow(): boolean {
    const started = performance.now();
    const sinceLast = started - this.lastFlushEnd;
    let result: FlushResult | undefined;
    try {
      result = this.store.flush();
    } catch (err) {
      // Nothing is acknowledged when the file could not be written: Redis keeps the entries.
      const message = `Writing ${this.store.filePath} failed (${errorMessage(err)}); check free disk space and permissions. Events stay in Redis meanwhile.`;
      if (this.failure !== message) this.log.error(message);
      this.failure = message;
      this.lastFlushEnd = performance.now();
      return false;
    }
    if (this.failure) this.log.info(`Writing ${this.store.filePath} works again.`);
    this.failure = undefined;
    this.lastFlushEnd = performance.now();
    if (!result) return true;
    this.flushes++;
    this.last = { at: new Date().toISOString(), result };
    this.log.debug(`flush bytes=${result.bytes} export_ms=${result.exportMs.toFixed(1)} write_ms=${result.writeMs.toFixed(1)} since_last_ms=${sinceLast.toFixed(0)}`);
    const share = result.totalMs / (result.totalMs + sinceLast);
    this.share = this.share === null ? share : 0.7 * this.share + 0.3 * share;
    this.intervalMs = this.intervalFor(result.totalMs);
    return true;
  }

  private async notify(): Promise<void> {
    for (const p of this.participants) {
      if (!this.canWrite()) return;
      try {
        await p.onDurable();
      } catch (err) {
        this.log.error(`Acknowledging durable work failed: ${errorMessage(err)}`);
      }
    }
  }

  /** Stop ticking, flush what is left and acknowledge it. Idempotent. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    if (this.stopped) return;
    this.stopped = true;
    if (!this.canWrite()) return;
    if (this.flushNow()) await this.notify();
  }
}
