// Worker thread entry (bundled to dist/encodeWorker.js): encodes batches off the main thread,
// which keeps Redis I/O and SQLite inserts moving while zlib runs on another core.
import { parentPort } from 'node:worker_threads';
import { encodeBatch, type EncodeOptions } from './encode';

interface Job {
  seq: number;
  entries: Array<[string, string[]]>;
  options: EncodeOptions;
}

parentPort?.on('message', (job: Job) => {
  const results = encodeBatch(job.entries, job.options);
  const transfer = results.flatMap((r) => (r.ok ? [r.blob.buffer as ArrayBuffer] : []));
  parentPort!.postMessage({ seq: job.seq, results }, transfer);
});
