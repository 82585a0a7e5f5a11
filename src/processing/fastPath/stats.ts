import { percentile } from '../../shared/percentile';

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
  /** SQLite transaction time per batch. */
  private readonly insertMs = new Samples();
  /** From the batch leaving the batch manager (encoding on a worker) to its rows written. */
  private readonly encodeAndInsertMs = new Samples();

  recordBatch(insertMs: number, encodeAndInsertMs: number): void {
    this.batches++;
    this.insertMs.add(insertMs);
    this.encodeAndInsertMs.add(encodeAndInsertMs);
  }

  /** Percentile of the last 1000 batch insert times, in ms. */
  batchPercentile(p: number): number | null {
    return percentile(this.insertMs.values, p);
  }

  /** Percentile of the last 1000 batches' time from dispatch (encode) to rows written, in ms. */
  batchEndToEndPercentile(p: number): number | null {
    return percentile(this.encodeAndInsertMs.values, p);
  }
}

/** The last 1000 samples, in a ring. */
class Samples {
  readonly values: number[] = [];
  private next = 0;

  add(v: number): void {
    if (this.values.length < 1000) this.values.push(v);
    else {
      this.values[this.next] = v;
      this.next = (this.next + 1) % 1000;
    }
  }
}
