import type { Statement } from 'sql.js';
import type { TelemetryEvent } from '../../shared/event';
import { errorMessage } from '../../shared/log';
import { compress, DEFAULT_DICTIONARY } from './compression';
import { extractIndexedFields } from './fields';
import type { EncodedRow } from '../fastPath/encode';
import type { SqliteStore } from './sqliteClient';

export interface StoredRow {
  row: EncodedRow;
  sequence: number;
  /** True when the event_id was already stored (a redelivery or a replay): nothing was inserted. */
  duplicate: boolean;
}

export interface BatchResult {
  stored: StoredRow[];
  failed: Array<{ row: EncodedRow; error: string }>;
  rawBytes: number;
  compressedBytes: number;
}

const INSERT_SQL = `
  INSERT INTO raw_traces (
    event_id, session_id, event_type, hook_type, platform, timestamp, workspace_hash, model,
    tool_name, duration_ms, tokens_used, lines_added, lines_removed, event_data, dictionary_id
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(event_id) DO NOTHING
  RETURNING sequence`;

/** Encode an already parsed event (the fast path encodes on worker threads; see encode.ts). */
export function encodeEvent(event: TelemetryEvent, id = event.event_id): EncodedRow {
  const json = JSON.stringify(event);
  return {
    ok: true,
    id,
    fields: extractIndexedFields(event),
    blob: compress(json),
    rawBytes: Buffer.byteLength(json),
    cdc: { event_id: event.event_id, event_type: event.event_type, session_id: event.session_id, platform: event.platform, timestamp: event.timestamp },
  };
}

/**
 * Writes a batch of encoded rows to raw_traces in one transaction with prepared statements. A row
 * that SQLite refuses is reported on its own and the rest of the batch is kept (invariant 6).
 * Duplicates are ignored and reported with the existing sequence, so the caller can still
 * acknowledge them and re-announce them on the CDC stream.
 */
export class SQLiteBatchWriter {
  private insert?: Statement;
  private lookup?: Statement;
  private generation = -1;

  constructor(private readonly store: SqliteStore) {}

  private statements(): { insert: Statement; lookup: Statement } {
    // Prepared again after each export (older sql.js builds free statements there); the old
    // ones are freed first, which is safe even when the export already did it.
    if (!this.insert || !this.lookup || this.generation !== this.store.statementGeneration) {
      this.insert?.free();
      this.lookup?.free();
      this.insert = this.store.db.prepare(INSERT_SQL);
      this.lookup = this.store.db.prepare('SELECT sequence FROM raw_traces WHERE event_id = ?');
      this.generation = this.store.statementGeneration;
    }
    return { insert: this.insert, lookup: this.lookup };
  }

  /** Convenience for callers holding parsed events (tests, tools). */
  writeBatch(events: TelemetryEvent[]): BatchResult {
    return this.writeEncoded(events.map((e) => encodeEvent(e)));
  }

  writeEncoded(rows: EncodedRow[]): BatchResult {
    const result: BatchResult = { stored: [], failed: [], rawBytes: 0, compressedBytes: 0 };
    if (rows.length === 0) return result;
    const { insert, lookup } = this.statements();
    const db = this.store.db;
    db.run('BEGIN');
    try {
      for (const row of rows) {
        const f = row.fields;
        try {
          insert.bind([
            f.event_id, f.session_id, f.event_type, f.hook_type, f.platform, f.timestamp, f.workspace_hash,
            f.model, f.tool_name, f.duration_ms, f.tokens_used, f.lines_added, f.lines_removed, row.blob,
            DEFAULT_DICTIONARY.id,
          ]);
          if (insert.step()) {
            result.stored.push({ row, sequence: Number(insert.get()[0]), duplicate: false });
            result.rawBytes += row.rawBytes;
            result.compressedBytes += row.blob.byteLength;
          } else {
            lookup.bind([f.event_id]);
            const sequence = lookup.step() ? Number(lookup.get()[0]) : -1;
            lookup.reset();
            result.stored.push({ row, sequence, duplicate: true });
          }
          insert.reset();
        } catch (err) {
          insert.reset();
          result.failed.push({ row, error: errorMessage(err) });
        }
      }
      db.run('COMMIT');
    } catch (err) {
      db.run('ROLLBACK');
      throw err;
    }
    if (result.stored.some((r) => !r.duplicate)) this.store.markDirty();
    return result;
  }

  /** Free the prepared statements (the database outlives the writer). */
  dispose(): void {
    this.insert?.free();
    this.lookup?.free();
    this.insert = undefined;
    this.lookup = undefined;
  }
}
