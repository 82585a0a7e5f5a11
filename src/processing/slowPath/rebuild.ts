import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { SqliteStore } from '../database/sqliteClient';
import { type Logger, silentLogger } from '../../shared/log';
import { backfillSlice, resetDerived } from './backfill';
import { Deriver } from './deriver';

export interface RebuildResult {
  events: number;
  failed: number;
  conversations: number;
  ms: number;
}

export interface RebuildOptions {
  log?: Logger;
  now?: () => Date;
}

/**
 * Recompute every derived table from raw_traces: empty them, derive every stored event again,
 * recompute every scope. It runs the same code as the live workers, which is what makes its
 * result identical to theirs. It yields to the event loop between slices, so it may run inside
 * a busy process, but never alongside the live workers on the same database (stop them first).
 * The caller flushes.
 */
export async function rebuildDerived(store: SqliteStore, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = performance.now();
  const log = options.log ?? silentLogger;
  const deriver = new Deriver(store, log, options.now);
  try {
    resetDerived(store.db, deriver);
    let events = 0;
    let failed = 0;
    for (;;) {
      const slice = backfillSlice(deriver);
      events += slice.derived;
      failed += slice.failed;
      if (slice.firstError) log.warn(`Rebuild skipped ${slice.failed} stored event(s) it could not read (first: ${slice.firstError}).`);
      if (slice.done) break;
      await yieldToEventLoop();
    }
    while (deriver.drain({ budgetMs: 50 }).more) await yieldToEventLoop();
    const conversations = deriver.all<{ n: number }>('SELECT count(*) AS n FROM conversations')[0]?.n ?? 0;
    store.markDirty();
    return { events, failed, conversations, ms: Math.round(performance.now() - started) };
  } finally {
    deriver.dispose();
  }
}
