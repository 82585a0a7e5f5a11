/** Counters and latency samples of the fast path, read by the status reporter. */
export class FastPathStats {
  read = 0;
  written = 0;
  duplicates = 0;
  deadLettered = 0;
  failures = 0;
  batches = 0;
  acked = 0;
  cdcPublished = 0;
  claimed = 0;
  rawBytes = 0;
  compressedBytes = 0;
  private batchMs: number[] = [];
  private batchMsNext = 0;
  private static readonly SAMPLES = 1000;

  recordBatch(ms: number): void {
    this.batches++;
    if (this.batchMs.length < FastPathStats.SAMPLES) this.batchMs.push(ms);
    else {
      this.batchMs[this.batchMsNext] = ms;
      this.batchMsNext = (this.batchMsNext + 1) % FastPathStats.SAMPLES;
    }
  }

  /** Percentile of the last 1000 batch write times, in ms. */
  batchPercentile(p: number): number | null {
    return percentile(this.batchMs, p);
  }
}

export function percentile(samples: number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
