import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { errorMessage, type Logger } from '../../shared/log';
import { encodeBatch, type EncodeOptions, type EncodeResult } from './encode';

interface PendingJob {
  resolve: (results: EncodeResult[]) => void;
  reject: (err: Error) => void;
  entries: Array<[string, string[]]>;
}

/** dist/encodeWorker.js next to the bundle; from source (tests), the .ts file through tsx. */
function workerScript(): { file: string; execArgv: string[] } {
  const bundled = path.join(__dirname, 'encodeWorker.js');
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  return { file: path.join(__dirname, 'encodeWorker.ts'), execArgv: ['--import', 'tsx'] };
}

/**
 * Encodes batches (parse, extract, zlib) on worker threads, round-robin. Results come back per
 * job; the caller keeps them in order. With `size` 0 everything runs inline, which is also the
 * fallback when a worker cannot start or dies: a lost worker never loses a batch.
 */
export class EncodePool {
  private workers: Worker[] = [];
  private next = 0;
  private seq = 0;
  private readonly jobs = new Map<number, PendingJob>();
  private closed = false;

  constructor(
    size: number,
    private readonly options: EncodeOptions,
    private readonly log: Logger,
  ) {
    const script = workerScript();
    for (let i = 0; i < size; i++) {
      try {
        const worker = new Worker(script.file, { execArgv: script.execArgv });
        worker.unref();
        worker.on('message', (m: { seq: number; results: EncodeResult[] }) => {
          const job = this.jobs.get(m.seq);
          this.jobs.delete(m.seq);
          job?.resolve(m.results);
        });
        worker.on('error', (err) => this.onWorkerLost(worker, err));
        // A reply that cannot be deserialised would leave its job unanswered forever.
        worker.on('messageerror', (err) => this.onWorkerLost(worker, err));
        worker.on('exit', (code) => {
          if (!this.closed) this.onWorkerLost(worker, new Error(`exited with code ${code}`));
        });
        this.workers.push(worker);
      } catch (err) {
        this.log.warn(`Encoding worker could not start (${errorMessage(err)}); encoding on the main thread.`);
      }
    }
  }

  get size(): number {
    return this.workers.length;
  }

  encode(entries: Array<[string, string[]]>): Promise<EncodeResult[]> {
    if (this.workers.length === 0 || this.closed) return Promise.resolve(encodeBatch(entries, this.options));
    const worker = this.workers[this.next++ % this.workers.length];
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.jobs.set(seq, { resolve, reject, entries });
      worker.postMessage({ seq, entries, options: this.options });
    });
  }

  private onWorkerLost(worker: Worker, err: Error): void {
    if (!this.workers.includes(worker)) return;
    this.workers = this.workers.filter((w) => w !== worker);
    this.log.warn(`Encoding worker stopped (${err.message}); its batches are encoded on the main thread.`);
    // Jobs are not tied to a worker id, so redo every unanswered job inline: the results are
    // identical, and a duplicate answer from a late worker is ignored (its seq is gone).
    for (const [seq, job] of this.jobs) {
      this.jobs.delete(seq);
      job.resolve(encodeBatch(job.entries, this.options));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
    for (const [seq, job] of this.jobs) {
      this.jobs.delete(seq);
      job.resolve(encodeBatch(job.entries, this.options));
    }
  }
}
