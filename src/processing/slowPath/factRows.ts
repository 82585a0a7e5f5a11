import type { EventFact } from './eventFacts';

/** An event_facts row as SQLite returns it. */
export interface FactRow extends Omit<EventFact, 'is_error' | 'attrs'> {
  is_error: number;
  attrs: string | null;
}

export function factFromRow(row: FactRow): EventFact {
  return { ...row, is_error: row.is_error === 1, attrs: row.attrs ? (JSON.parse(row.attrs) as Record<string, unknown>) : null };
}
