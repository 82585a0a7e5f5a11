// Warnings that need history, not one status: "the DLQ is growing" and "events are stuck in the
// spool". Pure (the clock is passed in), so the rules are unit-tested without timers.
import type { ProcessorStatus } from '../processing/status';

export interface Trend {
  /** Dead letters added within the window (0 when not growing). */
  dlqGrowth: number;
  /** Spool files waiting longer than the forwarder should ever need. */
  spoolStuck: boolean;
}

export const NO_TREND: Trend = { dlqGrowth: 0, spoolStuck: false };

export interface TrendOptions {
  /** How far back "growing" looks. */
  dlqWindowMs?: number;
  /** The forwarder scans every second; a backlog that never empties for this long is stuck. */
  spoolStuckAfterMs?: number;
}

export class StatusTrend {
  private readonly dlqWindowMs: number;
  private readonly spoolStuckAfterMs: number;
  private dlqSamples: Array<{ at: number; length: number }> = [];
  private spoolBusySince?: number;

  constructor(options: TrendOptions = {}) {
    this.dlqWindowMs = options.dlqWindowMs ?? 10 * 60_000;
    this.spoolStuckAfterMs = options.spoolStuckAfterMs ?? 10_000;
  }

  observe(status: ProcessorStatus, now: number): Trend {
    const dlq = status.streams.dlqLength;
    if (dlq !== null) {
      this.dlqSamples.push({ at: now, length: dlq });
      // Keep one sample older than the window so growth is measured across the whole window.
      while (this.dlqSamples.length > 2 && this.dlqSamples[1].at <= now - this.dlqWindowMs) this.dlqSamples.shift();
    }
    const backlog = status.spool?.backlog ?? 0;
    if (backlog === 0) this.spoolBusySince = undefined;
    else this.spoolBusySince ??= now;
    return this.current(now);
  }

  current(now: number): Trend {
    const inWindow = this.dlqSamples.filter((s) => s.at >= now - this.dlqWindowMs);
    const latest = this.dlqSamples[this.dlqSamples.length - 1];
    // Growth against the smallest length seen in the window: a purge resets it, a new poison
    // entry shows up at once.
    const floor = inWindow.length > 0 ? Math.min(...inWindow.map((s) => s.length)) : latest?.length;
    const dlqGrowth = latest && floor !== undefined ? Math.max(0, latest.length - floor) : 0;
    const spoolStuck = this.spoolBusySince !== undefined && now - this.spoolBusySince >= this.spoolStuckAfterMs;
    return { dlqGrowth, spoolStuck };
  }
}
