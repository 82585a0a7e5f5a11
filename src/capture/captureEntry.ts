// From a hook's stdin text to the stream entry that goes to Redis: the one pipeline shared by
// the spool forwarder and the direct hook, so both write the same entry for the same event.
//
//   parse -> event_id (from the text as received) -> scrub secrets -> envelope
//         -> privacy mode -> size cap -> wire fields
//
// Text that is not JSON becomes a dead letter (error_type parse_error) whose original entry is
// the raw text wrapped as an event, scrubbed and capped like any other, so `dlq retry` can still
// store it.
import { toStreamFields, type StreamFields, type TelemetryEvent } from '../shared/event';
import { deadLetterFields } from '../processing/fastPath/deadLetters';
import { buildEnvelope, hookTypeOf, payloadObject, type CaptureRoute } from './envelope';
import { deriveEventId, identityOf } from './eventId';
import { applyPrivacyMode, type PrivacyMode } from './privacy';
import { scrubValue } from './secrets';
import { capEventSize } from './sizeCap';

export interface CaptureSettings {
  privacyMode: PrivacyMode;
  scrubSecrets: boolean;
  hashWorkspacePaths: boolean;
  maxEntryBytes: number;
}

export interface CaptureInput {
  /** The hook's stdin, exactly as received. */
  text: string;
  /** The event name the hook was installed for. */
  hookArg: string;
  fireTimeMs: number;
  route: CaptureRoute;
  /** Where the entry would have gone (recorded in a dead letter, for `dlq retry`). */
  eventsStream: string;
  /** Identifies the input in a dead letter: `spool:<file name>` or `direct-hook`. */
  origin: string;
}

export type CaptureEntry =
  | { kind: 'event'; eventId: string; event: TelemetryEvent; fields: StreamFields }
  | { kind: 'dead_letter'; eventId: string; reason: string; fields: string[] };

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

function parseHookInput(text: string): Parsed {
  // A UTF-8 byte order mark is not part of the JSON (some shells and editors add one).
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { ok: false, reason: 'the hook received empty input on stdin' };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    return { ok: false, reason: `the hook input is not valid JSON (${(err as Error).message})` };
  }
}

function envelopeFor(input: CaptureInput, payload: unknown, settings: CaptureSettings): TelemetryEvent {
  const object = payloadObject(payload);
  const hookType = hookTypeOf(object, input.hookArg);
  const eventId = deriveEventId(identityOf(object, hookType), input.text, input.fireTimeMs);
  const scrubbed = settings.scrubSecrets ? scrubValue(object) : object;
  const event = buildEnvelope({
    payload: scrubbed,
    hookArg: input.hookArg,
    fireTimeMs: input.fireTimeMs,
    eventId,
    route: input.route,
    hashWorkspacePaths: settings.hashWorkspacePaths,
  });
  event.payload = applyPrivacyMode(event.payload, settings.privacyMode, settings.hashWorkspacePaths);
  return capEventSize(event, settings.maxEntryBytes);
}

export function captureEntry(input: CaptureInput, settings: CaptureSettings, now = new Date()): CaptureEntry {
  const parsed = parseHookInput(input.text);
  if (parsed.ok) {
    const event = envelopeFor(input, parsed.value, settings);
    return { kind: 'event', eventId: event.event_id, event, fields: toStreamFields(event, now.toISOString()) };
  }
  // Keep what came, as text, so nothing is dropped silently and the entry can be re-injected.
  const wrapped = envelopeFor(input, input.text, settings);
  wrapped.metadata.parse_error = parsed.reason;
  const fields = deadLetterFields(
    {
      sourceStream: input.eventsStream,
      originalMessageId: input.origin,
      originalEventId: wrapped.event_id,
      originalFields: toStreamFields(wrapped, now.toISOString()),
      errorType: 'parse_error',
      errorMessage: parsed.reason,
      deliveries: 1,
      firstSeenAt: wrapped.timestamp,
      canRetry: input.text.trim() !== '',
    },
    now,
  );
  return { kind: 'dead_letter', eventId: wrapped.event_id, reason: parsed.reason, fields };
}
