import type { Database } from 'sql.js';
import { clearDerivedTables } from './derivedSchema';
import type { Deriver } from './deriver';

/**
 * Bump when the derivation changes (a fix in how facts, turns or metrics are computed): a
 * processor that finds another version in slow_path_state empties the derived tables and
 * derives them again from raw_traces, in the background.
 */
export const DERIVATION_VERSION = '1';

const VERSION_KEY = 'derivation_version';
// Every raw_traces row up to this sequence has been offered to step one (see backfillSlice).
const SCANNED_KEY = 'backfill_scanned_through';
// Rows checked per slice, and rows derived per slice: both bound the time of one slice.
const SCAN_RANGE = 5000;
const DERIVE_LIMIT = 50;

/** Empty every derived table and record the current version; the backfill then derives them again. */
export function resetDerived(db: Database, deriver: Deriver): void {
  db.run('BEGIN');
  try {
    clearDerivedTables(db);
    db.run('COMMIT');
  } catch (err) {
    db.run('ROLLBACK');
    throw err;
  }
  deriver.setState(VERSION_KEY, DERIVATION_VERSION);
  deriver.setState(SCANNED_KEY, '0');
}

/** At start: reset the derived tables when they were made by another derivation version. Returns true on reset. */
export function resetIfOutdated(db: Database, deriver: Deriver): boolean {
  if (deriver.getState(VERSION_KEY) === DERIVATION_VERSION) return false;
  resetDerived(db, deriver);
  return true;
}

export interface BackfillSlice {
  derived: number;
  failed: number;
  /** Why the first failed event failed, for the log. */
  firstError?: string;
  done: boolean;
}

/**
 * Derive raw_traces rows that have no facts yet, a slice at a time. The CDC stream normally
 * brings every row, but entries trimmed before the workers read them (slow path disabled, a long
 * outage) and tables emptied by a reset are caught up here. Sequences only grow, so a scan
 * cursor makes later starts cheap.
 */
export function backfillSlice(deriver: Deriver): BackfillSlice {
  const scanned = Number(deriver.getState(SCANNED_KEY) ?? '0');
  const max = deriver.all<{ max: number | null }>('SELECT max(sequence) AS max FROM raw_traces')[0]?.max ?? 0;
  if (scanned >= max) return { derived: 0, failed: 0, done: true };
  const to = Math.min(scanned + SCAN_RANGE, max);
  const missing = deriver
    .all<{ sequence: number }>(
      `SELECT r.sequence FROM raw_traces r
        WHERE r.sequence > ? AND r.sequence <= ? AND r.event_type <> 'probe'
          AND NOT EXISTS (SELECT 1 FROM event_facts f WHERE f.sequence = r.sequence)
        ORDER BY r.sequence LIMIT ?`,
      [scanned, to, DERIVE_LIMIT],
    )
    .map((r) => r.sequence);
  const results = deriver.applyEvents(missing.map((sequence) => ({ sequence })));
  const through = missing.length === DERIVE_LIMIT ? missing[missing.length - 1] : to;
  deriver.setState(SCANNED_KEY, String(through));
  const failures = results.flatMap((r) => (r.ok ? [] : [r.error.message]));
  return { derived: results.length - failures.length, failed: failures.length, firstError: failures[0], done: through >= max };
}
