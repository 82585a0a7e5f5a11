/**
 * Accumulates items until the batch is full or the oldest item has waited `timeoutMs`
 * (plan Step 2.3: 100 events or 100 ms). Node runs the consumer on one thread, so no locking is
 * needed; the caller asks `shouldFlush()` and takes the batch with `take()`.
 */
export class BatchManager<T> {
  private items: T[] = [];
  private firstAddedAt = 0;

  constructor(
    readonly batchSize = 100,
    readonly timeoutMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Add one item; true when the batch is now full. */
  add(item: T): boolean {
    if (this.items.length === 0) this.firstAddedAt = this.now();
    this.items.push(item);
    return this.items.length >= this.batchSize;
  }

  get size(): number {
    return this.items.length;
  }

  /** Time left before the current batch is due, or undefined when empty. */
  msUntilDue(): number | undefined {
    if (this.items.length === 0) return undefined;
    return Math.max(0, this.timeoutMs - (this.now() - this.firstAddedAt));
  }

  shouldFlush(): boolean {
    if (this.items.length === 0) return false;
    return this.items.length >= this.batchSize || this.now() - this.firstAddedAt >= this.timeoutMs;
  }

  /** Remove and return up to one batch. */
  take(): T[] {
    const batch = this.items.splice(0, this.batchSize);
    if (this.items.length > 0) this.firstAddedAt = this.now();
    return batch;
  }
}
