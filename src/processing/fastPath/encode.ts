import { fieldsFromArray, parseStreamEntry, type ParseErrorType, type StreamFields } from '../../shared/event';
import { compress } from '../database/compression';
import { extractIndexedFields, type IndexedFields } from '../database/fields';

/** A stream entry turned into a row, ready to insert: the CPU-heavy part of the fast path. */
export interface EncodedRow {
  ok: true;
  id: string;
  fields: IndexedFields;
  blob: Uint8Array;
  rawBytes: number;
  /** What the CDC entry needs besides the sequence. */
  cdc: { event_id: string; event_type: string; session_id: string; platform: string; timestamp: string };
}

export interface RejectedEntry {
  ok: false;
  id: string;
  /** The original flat fields, kept whole for the dead letter. */
  original: StreamFields;
  errorType: ParseErrorType | 'too_large' | 'processing_error';
  message: string;
}

export type EncodeResult = EncodedRow | RejectedEntry;

export interface EncodeOptions {
  maxEntryBytes: number;
}

/** Size check, parse, extract indexed fields, compress: one entry, no I/O. */
export function encodeEntry(id: string, flat: string[], options: EncodeOptions): EncodeResult {
  const original = fieldsFromArray(flat);
  let size = 0;
  for (const v of flat) size += v.length;
  if (size > options.maxEntryBytes) {
    return {
      ok: false,
      id,
      original,
      errorType: 'too_large',
      message: `entry is ${size} bytes, over the ${options.maxEntryBytes}-byte limit (processor.max_entry_bytes)`,
    };
  }
  const parsed = parseStreamEntry(original, id);
  if (!parsed.ok) return { ok: false, id, original, errorType: parsed.errorType, message: parsed.message };
  try {
    const event = parsed.event;
    const json = JSON.stringify(event);
    const blob = compress(json);
    const fields = extractIndexedFields(event);
    return {
      ok: true,
      id,
      fields,
      blob,
      rawBytes: Buffer.byteLength(json),
      cdc: { event_id: event.event_id, event_type: event.event_type, session_id: event.session_id, platform: event.platform, timestamp: event.timestamp },
    };
  } catch (err) {
    return { ok: false, id, original, errorType: 'processing_error', message: (err as Error).message };
  }
}

export function encodeBatch(entries: Array<[string, string[]]>, options: EncodeOptions): EncodeResult[] {
  return entries.map(([id, flat]) => encodeEntry(id, flat, options));
}
