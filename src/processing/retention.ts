import type { SqliteStore } from './database/sqliteClient';

/** Delete raw events older than `days` (DESIGN.md §5: bounds memory and flush cost). */
export function applyRetention(store: SqliteStore, days: number, now = Date.now()): number {
  if (days <= 0) return 0;
  const cutoff = new Date(now - days * 86_400_000).toISOString();
  const stmt = store.db.prepare('DELETE FROM raw_traces WHERE timestamp < ?');
  try {
    stmt.run([cutoff]);
  } finally {
    stmt.free();
  }
  const deleted = store.db.getRowsModified();
  if (deleted > 0) store.markDirty();
  return deleted;
}
