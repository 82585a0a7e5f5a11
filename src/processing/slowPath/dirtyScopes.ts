import type { StatementCache } from './statementCache';

/**
 * Scopes whose derived rows are stale (table `derived_dirty`). Marking happens in the same
 * transaction as the write that made them stale, and a scope is unmarked in the transaction that
 * recomputes it, so a crash in between is repaired by the next drain.
 *
 * Kinds are drained in this order because each feeds the next: a generation's turns feed its
 * conversation's row and metrics, and both feed the day's metrics.
 */
export const DIRTY_KINDS = ['generation', 'conversation', 'day'] as const;
export type DirtyKind = (typeof DIRTY_KINDS)[number];

const INSERT = 'INSERT INTO derived_dirty (kind, key) VALUES (?, ?) ON CONFLICT DO NOTHING';
const SELECT = 'SELECT key FROM derived_dirty WHERE kind = ? ORDER BY key LIMIT ?';
const DELETE = 'DELETE FROM derived_dirty WHERE kind = ? AND key = ?';
const COUNT = 'SELECT count(*) AS n FROM derived_dirty';

export function generationKey(conversationId: string, generationId: string): string {
  return JSON.stringify([conversationId, generationId]);
}

export function parseGenerationKey(key: string): [string, string] {
  const parsed = JSON.parse(key) as unknown;
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') {
    throw new Error(`dirty generation key ${key} is malformed`);
  }
  return [parsed[0], parsed[1]];
}

export class DirtyScopes {
  constructor(private readonly statements: StatementCache) {}

  mark(kind: DirtyKind, key: string): void {
    this.statements.run(INSERT, [kind, key]);
  }

  markGeneration(conversationId: string, generationId: string): void {
    this.mark('generation', generationKey(conversationId, generationId));
  }

  take(kind: DirtyKind, limit: number): string[] {
    return this.statements.all<{ key: string }>(SELECT, [kind, limit]).map((r) => r.key);
  }

  unmark(kind: DirtyKind, key: string): void {
    this.statements.run(DELETE, [kind, key]);
  }

  count(): number {
    return Number(this.statements.one<{ n: number }>(COUNT)?.n ?? 0);
  }
}
