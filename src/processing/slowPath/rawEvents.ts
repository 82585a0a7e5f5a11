import type { TelemetryEvent } from '../../shared/event';
import { decompress } from '../database/compression';
import type { SqlParams } from './statementCache';

/** Anything that answers one-row queries: the worker's statement cache, or a read-only database. */
export interface RowSource {
  one<T>(sql: string, params?: SqlParams): T | undefined;
}

export interface RawEvent {
  sequence: number;
  event: TelemetryEvent;
  /** The line counts the fast path stored for an edit (the same countEditLines), when it did. */
  lines?: { added: number; removed: number };
}

/** The event is stored but cannot be decoded: retrying will not help, the DLQ should say why. */
export class UndecodableEventError extends Error {}

const COLUMNS = 'sequence, event_id, event_data, dictionary_id, lines_added, lines_removed';
// Verify's probe events go through the fast path and are deleted once announced; they are never
// the user's activity, so they read as missing here (and nothing is derived from them).
const SELECT_RAW = `SELECT ${COLUMNS} FROM raw_traces WHERE sequence = ? AND event_type <> 'probe'`;
const SELECT_RAW_BY_EVENT_ID = `SELECT ${COLUMNS} FROM raw_traces WHERE event_id = ? AND event_type <> 'probe'`;
const SELECT_DICTIONARY = 'SELECT dictionary FROM compression_dictionaries WHERE id = ?';

interface RawRow {
  sequence: number;
  event_id: string;
  event_data: Uint8Array;
  dictionary_id: number | null;
  lines_added: number | null;
  lines_removed: number | null;
}

/**
 * Reads rows of raw_traces back as events: inflate event_data with the row's preset dictionary
 * (compression.ts) and parse the JSON. Dictionaries are few and immutable, so they are cached.
 */
export class RawEventReader {
  private readonly dictionaries = new Map<number, Uint8Array>();

  constructor(private readonly statements: RowSource) {}

  /**
   * The row for a CDC entry. The sequence is the fast lookup; the event_id guards against a CDC
   * entry that points at another database's row (a sequence reused after the file was replaced).
   */
  read(sequence: number, eventId?: string): RawEvent | undefined {
    let row = this.statements.one<RawRow>(SELECT_RAW, [sequence]);
    if (eventId && row && row.event_id !== eventId) row = undefined;
    if (!row && eventId) row = this.statements.one<RawRow>(SELECT_RAW_BY_EVENT_ID, [eventId]);
    if (!row) return undefined;
    const lines = row.lines_added !== null && row.lines_removed !== null ? { added: row.lines_added, removed: row.lines_removed } : undefined;
    return { sequence: row.sequence, event: this.decode(row), lines };
  }

  private decode(row: RawRow): TelemetryEvent {
    let json: string;
    try {
      json = decompress(row.event_data, this.dictionary(row.dictionary_id));
    } catch (err) {
      throw new UndecodableEventError(`raw_traces row ${row.sequence} cannot be inflated (${(err as Error).message})`);
    }
    let event: unknown;
    try {
      event = JSON.parse(json);
    } catch (err) {
      throw new UndecodableEventError(`raw_traces row ${row.sequence} holds invalid JSON (${(err as Error).message})`);
    }
    if (typeof event !== 'object' || event === null || typeof (event as TelemetryEvent).hook_type !== 'string') {
      throw new UndecodableEventError(`raw_traces row ${row.sequence} does not hold a telemetry event`);
    }
    const e = event as TelemetryEvent;
    e.payload ??= {};
    e.metadata ??= {};
    return e;
  }

  private dictionary(id: number | null): Uint8Array | undefined {
    if (id === null) return undefined;
    let bytes = this.dictionaries.get(id);
    if (!bytes) {
      const row = this.statements.one<{ dictionary: Uint8Array }>(SELECT_DICTIONARY, [id]);
      if (!row) throw new UndecodableEventError(`compression dictionary ${id} is missing`);
      bytes = row.dictionary;
      this.dictionaries.set(id, bytes);
    }
    return bytes;
  }
}
