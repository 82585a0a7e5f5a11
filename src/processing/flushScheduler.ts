import type { Config } from '../config/config';
import { errorMessage, type Logger } from '../shared/log';
import type { FlushResult, SqliteStore } from './database/sqliteClient';
import type { FlushParticipant } from './durability';

const TICK_MS = 20;
const SCALING_FROM_BYTES = 8 * 1024 * 1024;

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
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private lastFlushEnd = performance.now();
  private stopped = false;

  constructor(
    private readonly store: SqliteStore,
    private readonly participants: FlushParticipant[],
    private readonly cfg: Config['processor'],
    private readonly log: Logger,
  ) {
    this.intervalMs = cfg.flush_min_interval_ms;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.tick().finally(() => (this.busy = undefined));
    }, TICK_MS);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.store.isDirty) {
      if (performance.now() - this.lastFlushEnd < this.dueIntervalMs()) return;
      this.flushNow();
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
    const last = this.last?.result;
    // Below a few MB a flush is mostly fixed cost (fsyncs), which does not grow with the file.
    if (!last || last.bytes < SCALING_FROM_BYTES) return this.intervalMs;
    const predictedMs = last.totalMs * Math.max(1, this.store.sizeBytes() / last.bytes);
    return Math.min(this.cfg.flush_max_interval_ms, Math.max(this.cfg.flush_min_interval_ms, predictedMs / this.cfg.flush_max_share));
  }

  private flushNow(): void {
    const started = performance.now();
    const sinceLast = started - this.lastFlushEnd;
    let result: FlushResult | undefined;
    try {
      result = this.store.flush();
    } catch (err) {
      // Nothing is acknowledged when the file could not be written: Redis keeps the entries.
      this.log.error(`Writing ${this.store.filePath} failed (${errorMessage(err)}); check free disk space and permissions. Retrying.`);
      this.lastFlushEnd = performance.now();
      return;
    }
    this.lastFlushEnd = performance.now();
    if (!result) return;
    this.flushes++;
    this.last = { at: new Date().toISOString(), result };
    this.log.debug(`flush bytes=${result.bytes} export_ms=${result.exportMs.toFixed(1)} write_ms=${result.writeMs.toFixed(1)} since_last_ms=${sinceLast.toFixed(0)}`);
    const share = result.totalMs / (result.totalMs + sinceLast);
    this.share = this.share === null ? share : 0.7 * this.share + 0.3 * share;
    this.intervalMs = Math.min(
      this.cfg.flush_max_interval_ms,
      Math.max(this.cfg.flush_min_interval_ms, result.totalMs / this.cfg.flush_max_share),
    );
  }

  private async notify(): Promise<void> {
    for (const p of this.participants) {
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
    this.flushNow();
    if (!this.store.isDirty) await this.notify();
  }
}
