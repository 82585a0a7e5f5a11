import type { Redis } from 'ioredis';
import { fieldsFromArray, type StreamFields } from '../../shared/event';

export type DeadLetterErrorType = 'parse_error' | 'validation_error' | 'processing_error' | 'too_large';

export interface DeadLetterInput {
  /** Stream the entry came from, so `retry` can put it back where it was. */
  sourceStream: string;
  originalMessageId: string;
  originalEventId?: string;
  /** The whole original entry (flat fields), kept so it can be re-injected unchanged. */
  originalFields: StreamFields;
  errorType: DeadLetterErrorType;
  errorMessage: string;
  deliveries: number;
  firstSeenAt?: string;
  canRetry: boolean;
}

export interface DeadLetter {
  id: string;
  sourceStream: string;
  originalMessageId: string;
  originalEventId: string;
  originalFields: StreamFields | undefined;
  errorType: string;
  errorMessage: string;
  deliveries: number;
  firstSeenAt: string;
  queuedAt: string;
  canRetry: boolean;
}

/** The DLQ entry of reference/wire-format.md §2 (plus `source_stream`). */
export function deadLetterFields(input: DeadLetterInput, now = new Date()): string[] {
  return [
    'original_message_id', input.originalMessageId,
    'original_event_id', input.originalEventId || 'unknown',
    'original_data', JSON.stringify(input.originalFields),
    'error_type', input.errorType,
    'error_message', input.errorMessage.slice(0, 2000),
    'deliveries', String(input.deliveries),
    'first_seen_at', input.firstSeenAt ?? now.toISOString(),
    'dlq_queued_at', now.toISOString(),
    'can_retry', String(input.canRetry),
    'source_stream', input.sourceStream,
  ];
}

export async function addDeadLetter(redis: Redis, dlqStream: string, maxlen: number, input: DeadLetterInput): Promise<string> {
  const id = await redis.xadd(dlqStream, 'MAXLEN', '~', String(maxlen), '*', ...deadLetterFields(input));
  return id as string;
}

function parseDeadLetter(id: string, flat: string[]): DeadLetter {
  const f = fieldsFromArray(flat);
  let original: StreamFields | undefined;
  try {
    const parsed = JSON.parse(f.original_data ?? 'null');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) original = parsed as StreamFields;
  } catch {
    original = undefined; // shown as "not recoverable" rather than failing the whole listing
  }
  return {
    id,
    sourceStream: f.source_stream ?? '',
    originalMessageId: f.original_message_id ?? '',
    originalEventId: f.original_event_id ?? 'unknown',
    originalFields: original,
    errorType: f.error_type ?? 'unknown',
    errorMessage: f.error_message ?? '',
    deliveries: Number(f.deliveries ?? 0),
    firstSeenAt: f.first_seen_at ?? '',
    queuedAt: f.dlq_queued_at ?? '',
    canRetry: f.can_retry === 'true' && original !== undefined,
  };
}

export async function listDeadLetters(redis: Redis, dlqStream: string, count = 100): Promise<DeadLetter[]> {
  const entries = (await redis.xrevrange(dlqStream, '+', '-', 'COUNT', count)) as Array<[string, string[]]>;
  return entries.map(([id, flat]) => parseDeadLetter(id, flat));
}

export async function getDeadLetter(redis: Redis, dlqStream: string, id: string): Promise<DeadLetter | undefined> {
  const entries = (await redis.xrange(dlqStream, id, id)) as Array<[string, string[]]>;
  return entries[0] ? parseDeadLetter(entries[0][0], entries[0][1]) : undefined;
}

/**
 * Put the original entry back on the stream it came from, unchanged (same event_id, so a row
 * that was somehow stored meanwhile is not duplicated), then remove it from the DLQ.
 */
export async function retryDeadLetter(redis: Redis, dlqStream: string, id: string, fallbackStream: string): Promise<string> {
  const letter = await getDeadLetter(redis, dlqStream, id);
  if (!letter) throw new Error(`No dead letter ${id} in ${dlqStream}; list them with \`blueplane dlq list\`.`);
  if (!letter.originalFields) throw new Error(`Dead letter ${id} holds no recoverable original entry; delete it instead.`);
  const target = letter.sourceStream || fallbackStream;
  const flat = Object.entries(letter.originalFields).flatMap(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  if (flat.length === 0) throw new Error(`Dead letter ${id} has an empty original entry; delete it instead.`);
  const newId = (await redis.multi().xadd(target, '*', ...flat).xdel(dlqStream, id).exec())?.[0]?.[1] as string;
  return newId;
}

export async function deleteDeadLetter(redis: Redis, dlqStream: string, id: string): Promise<boolean> {
  return (await redis.xdel(dlqStream, id)) > 0;
}

export async function purgeDeadLetters(redis: Redis, dlqStream: string): Promise<number> {
  const n = await redis.xlen(dlqStream);
  await redis.del(dlqStream);
  return n;
}
