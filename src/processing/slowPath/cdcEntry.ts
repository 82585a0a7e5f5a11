import { fieldsFromArray, type StreamFields } from '../../shared/event';

/** One entry of the CDC stream (reference/wire-format.md §3), as the workers use it. */
export interface CdcEntry {
  id: string;
  fields: StreamFields;
  sequence: number | null;
  eventId: string | undefined;
  /** 1 most urgent … 5 least; entries without one go last. */
  priority: number;
}

const LOWEST_PRIORITY = 5;

export function parseCdcEntry(id: string, flat: string[] | null): CdcEntry {
  const fields = flat ? fieldsFromArray(flat) : {};
  const sequence = Number(fields.sequence);
  const priority = Number(fields.priority);
  return {
    id,
    fields,
    sequence: Number.isSafeInteger(sequence) && sequence > 0 ? sequence : null,
    eventId: fields.event_id || undefined,
    priority: Number.isInteger(priority) && priority >= 1 && priority <= LOWEST_PRIORITY ? priority : LOWEST_PRIORITY,
  };
}

/** Compare stream ids (`ms-seq`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || (as ?? 0) - (bs ?? 0);
}

/**
 * Work order within one read: most urgent priority first (a user prompt before the tool calls
 * it caused, those before session bookkeeping), stream order within a priority. Correctness
 * never depends on this order (derivation is order-independent); latency for what users look at
 * first does.
 */
export function byPriority(entries: CdcEntry[]): CdcEntry[] {
  return [...entries].sort((a, b) => a.priority - b.priority || compareStreamIds(a.id, b.id));
}
