import { eventTypeForHook } from './eventTypes';

/**
 * One captured event as the pipeline handles it after parsing a stream entry. This object, as
 * JSON, is what `raw_traces.event_data` holds (compressed).
 */
export interface TelemetryEvent {
  event_id: string;
  /** ISO 8601, the moment the hook fired. */
  timestamp: string;
  platform: string;
  hook_type: string;
  event_type: string;
  /** The platform's session id (`external_session_id` on the wire; Cursor's conversation_id). */
  session_id: string;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Other top-level wire fields, kept as they came (wire-format.md: "keep them in the stored event"). */
  extra?: Record<string, unknown>;
}

export type StreamFields = Record<string, string>;

export type ParseErrorType = 'parse_error' | 'validation_error';

export type ParseResult =
  | { ok: true; event: TelemetryEvent }
  | { ok: false; errorType: ParseErrorType; message: string };

const CORE_FIELDS = new Set([
  'event_id',
  'timestamp',
  'platform',
  'hook_type',
  'external_session_id',
  'session_id',
  'event_type',
  'payload',
  'data',
  'metadata',
  'enqueued_at',
  'retry_count',
]);

/** Redis replies with a flat [k1, v1, k2, v2, ...] array; turn it into an object. */
export function fieldsFromArray(flat: string[]): StreamFields {
  const out: StreamFields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

/** Serialise an event into the flat wire format of reference/wire-format.md §1. */
export function toStreamFields(event: TelemetryEvent, enqueuedAt = new Date().toISOString()): StreamFields {
  const fields: StreamFields = {
    event_id: event.event_id,
    timestamp: event.timestamp,
    platform: event.platform,
    hook_type: event.hook_type,
    event_type: event.event_type,
    external_session_id: event.session_id,
    session_id: event.session_id,
    enqueued_at: enqueuedAt,
    retry_count: '0',
    payload: JSON.stringify(event.payload),
    metadata: JSON.stringify(event.metadata),
  };
  for (const [k, v] of Object.entries(event.extra ?? {})) {
    if (!(k in fields)) fields[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return fields;
}

function parseJsonObject(text: string | undefined, name: string): Record<string, unknown> | string {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `field "${name}" is not valid JSON (${(err as Error).message})`;
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return `field "${name}" must be a JSON object`;
  return value as Record<string, unknown>;
}

function isIsoTimestamp(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * Parse one stream entry, leniently for the things producers have varied on (payload vs data,
 * external_session_id vs session_id, missing event_type or event_id) and strictly for what the
 * database needs (a timestamp, a platform, a hook type).
 */
export function parseStreamEntry(fields: StreamFields, streamId: string): ParseResult {
  const payloadText = fields.payload ?? fields.data;
  const payload = parseJsonObject(payloadText, fields.payload !== undefined ? 'payload' : 'data');
  if (typeof payload === 'string') return { ok: false, errorType: 'parse_error', message: payload };
  const metadata = parseJsonObject(fields.metadata, 'metadata');
  if (typeof metadata === 'string') return { ok: false, errorType: 'parse_error', message: metadata };

  const missing: string[] = [];
  const timestamp = fields.timestamp;
  const platform = fields.platform;
  const hookType = fields.hook_type;
  if (!timestamp) missing.push('timestamp');
  if (!platform) missing.push('platform');
  if (!hookType) missing.push('hook_type');
  if (missing.length > 0) {
    return { ok: false, errorType: 'validation_error', message: `missing required field(s): ${missing.join(', ')}` };
  }
  if (!isIsoTimestamp(timestamp)) {
    return { ok: false, errorType: 'validation_error', message: `field "timestamp" is not an ISO 8601 time: ${timestamp.slice(0, 60)}` };
  }
  const sessionId = fields.external_session_id || fields.session_id || '';
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!CORE_FIELDS.has(k)) extra[k] = v;
  const event: TelemetryEvent = {
    // Producers make a UUID; the stream id is the documented fallback and is unique too.
    event_id: fields.event_id || `stream:${streamId}`,
    timestamp,
    platform,
    hook_type: hookType,
    event_type: fields.event_type || eventTypeForHook(hookType),
    session_id: sessionId,
    payload,
    metadata,
  };
  if (Object.keys(extra).length > 0) event.extra = extra;
  return { ok: true, event };
}
