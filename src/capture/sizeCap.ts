// Keeps a stream entry under the processor's limit (processor.max_entry_bytes, default 1 MB),
// which would otherwise refuse it: the event is kept and its largest strings (a 10 MB shell
// output, a whole file's content) are cut, each with a marker that gives the original size and
// sha256, and listed in metadata.truncated_fields.
import { sha256Hex } from './sha256';
import { toStreamFields, type TelemetryEvent, type StreamFields } from '../shared/event';

/** Room left for fields added after the cap (enqueued_at) and for rounding in the estimates. */
const SAFETY_BYTES = 2048;
/** Never cut a string below this many bytes: the start of an output is worth keeping. */
const MIN_KEPT_BYTES = 256;
const MARKER_BYTES = 160;

export interface TruncatedField {
  /** Where the string was, e.g. `payload.output` or `payload.edits[0].new_string`. */
  field: string;
  original_bytes: number;
  sha256: string;
}

export function entryBytes(fields: StreamFields): number {
  let n = 0;
  for (const [k, v] of Object.entries(fields)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Bytes a string takes inside JSON (escapes included). */
function jsonBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value));
}

interface Leaf {
  path: string;
  bytes: number;
}

function collectLeaves(value: unknown, path: string, out: Leaf[]): void {
  if (typeof value === 'string') out.push({ path, bytes: jsonBytes(value) });
  else if (Array.isArray(value)) value.forEach((v, i) => collectLeaves(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) collectLeaves(v, `${path}.${k}`, out);
  }
}

/** The longest prefix of `text` that takes at most `maxBytes` inside JSON, not splitting a surrogate pair. */
function prefixWithin(text: string, maxBytes: number): string {
  let end = Math.min(text.length, Math.floor((text.length * maxBytes) / Math.max(1, jsonBytes(text))));
  for (;;) {
    if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1])) end--;
    const prefix = text.slice(0, end);
    if (end === 0 || jsonBytes(prefix) <= maxBytes) return prefix;
    end = Math.floor(end * 0.95);
  }
}

function truncatedString(text: string, keepBytes: number, record: TruncatedField[], path: string): string {
  const original = Buffer.from(text, 'utf8');
  const sha256 = sha256Hex(original);
  record.push({ field: path, original_bytes: original.length, sha256 });
  return `${prefixWithin(text, keepBytes)}\n…[truncated by Blueplane: original ${original.length} bytes, sha256 ${sha256}]`;
}

/** Rebuild `value` with every string longer than `cap` JSON bytes cut to `cap`. */
function capStrings(value: unknown, cap: number, path: string, record: TruncatedField[]): unknown {
  if (typeof value === 'string') return jsonBytes(value) > cap + MARKER_BYTES ? truncatedString(value, cap, record, path) : value;
  if (Array.isArray(value)) return value.map((v, i) => capStrings(v, cap, `${path}[${i}]`, record));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = capStrings(v, cap, `${path}.${k}`, record);
    return out;
  }
  return value;
}

/**
 * The largest per-string cap that removes `excess` bytes: water-filling over the string sizes,
 * so many mid-size strings share the cut instead of one being emptied.
 */
function capFor(leaves: Leaf[], excess: number): number {
  const sizes = leaves.map((l) => l.bytes).sort((a, b) => b - a);
  let removedAbove = 0;
  for (let i = 0; i < sizes.length; i++) {
    const next = i + 1 < sizes.length ? sizes[i + 1] : 0;
    // Lowering the cap from sizes[i] to `next` removes (sizes[i] - next) from each of the i+1 largest.
    const gain = (sizes[i] - next) * (i + 1) - (i + 1) * MARKER_BYTES;
    if (removedAbove + gain >= excess) {
      const cap = sizes[i] - Math.ceil((excess - removedAbove) / (i + 1)) - MARKER_BYTES;
      return Math.max(MIN_KEPT_BYTES, cap);
    }
    removedAbove += Math.max(0, gain);
  }
  return MIN_KEPT_BYTES;
}

/**
 * The event, made to fit `maxEntryBytes` as a stream entry. Unchanged (same object) when it
 * already fits. When cutting strings is not enough (a payload of many small values), the payload
 * is replaced by its digest and its ids, so the event is still counted.
 */
export function capEventSize(event: TelemetryEvent, maxEntryBytes: number): TelemetryEvent {
  const budget = Math.max(4096, maxEntryBytes - SAFETY_BYTES);
  const size = entryBytes(toStreamFields(event));
  if (size <= budget) return event;

  const leaves: Leaf[] = [];
  collectLeaves(event.payload, 'payload', leaves);
  let excess = size - budget;
  for (let round = 0; round < 4; round++) {
    const record: TruncatedField[] = [];
    const cap = capFor(leaves, excess);
    const payload = capStrings(event.payload, cap, 'payload', record) as Record<string, unknown>;
    const candidate: TelemetryEvent = { ...event, payload, metadata: { ...event.metadata, truncated_fields: record } };
    const candidateSize = entryBytes(toStreamFields(candidate));
    if (candidateSize <= budget) return candidate;
    if (cap <= MIN_KEPT_BYTES) break;
    excess += candidateSize - budget;
  }

  const whole = Buffer.from(JSON.stringify(event.payload), 'utf8');
  const keep: Record<string, unknown> = {};
  for (const key of ['hook_event_name', 'conversation_id', 'generation_id', 'session_id', 'tool_name', 'tool_use_id', 'model', 'cursor_version']) {
    const v = event.payload[key];
    if (typeof v === 'string' && v.length <= 512) keep[key] = v;
  }
  const sha256 = sha256Hex(whole);
  return {
    ...event,
    payload: { ...keep, truncated_payload: `[truncated by Blueplane: original ${whole.length} bytes, sha256 ${sha256}]` },
    metadata: { ...event.metadata, truncated_fields: [{ field: 'payload', original_bytes: whole.length, sha256 }] },
  };
}
