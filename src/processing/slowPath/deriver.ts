import type { SqliteStore } from '../database/sqliteClient';
import { errorMessage, type Logger, silentLogger } from '../../shared/log';
import { refreshConversation } from './conversationRefresh';
import { refreshDay } from './dailyRefresh';
import { hasDerivedSchema, missingDerivedSchemaError } from './derivedSchema';
import { DIRTY_KINDS, DirtyScopes, type DirtyKind, parseGenerationKey } from './dirtyScopes';
import { type ApplyOutcome, FactWriter } from './factWriter';
import { refreshGeneration } from './generationRefresh';
import { RawEventReader } from './rawEvents';
import { StatementCache } from './statementCache';

export interface EventRef {
  sequence: number;
  /** Checked against the row, so a CDC entry never derives another database's row. */
  eventId?: string;
}

export type ApplyResult = { ok: true; outcome: ApplyOutcome } | { ok: false; error: Error };

export interface DrainOptions {
  /** Stop starting new scopes after this long (one scope always finishes). */
  budgetMs: number;
  /**
   * Which kinds to recompute (default: all). A conversation or a day is recomputed whole, so a
   * live caller recomputes them less often than generations and lets their scopes gather.
   */
  kinds?: readonly DirtyKind[];
}

export interface DrainResult {
  refreshed: number;
  failed: number;
  /** True when dirty scopes are left (for the kinds drained). */
  more: boolean;
  /** The longest single recompute of each kind in this drain, in ms. */
  longestMs: Partial<Record<DirtyKind, number>>;
}

// How many keys of one kind are read per query while draining.
const TAKE = 16;

/**
 * The slow path's derivation, without any Redis: step one (`applyEvents`) turns stored events
 * into facts and marks the scopes they touch; step two (`drain`) recomputes those scopes. Both
 * the live workers and `rebuildDerived` use it, which is why they give the same tables.
 *
 * All work is synchronous sql.js in the caller's tick, each call in its own transaction; callers
 * keep calls short and yield to the event loop between them.
 */
export class Deriver {
  private readonly statements: StatementCache;
  private readonly dirty: DirtyScopes;
  private readonly writer: FactWriter;

  constructor(
    private readonly store: SqliteStore,
    private readonly log: Logger = silentLogger,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!hasDerivedSchema(store.db)) throw missingDerivedSchemaError();
    this.statements = new StatementCache(store);
    this.dirty = new DirtyScopes(this.statements);
    this.writer = new FactWriter(store, this.statements, new RawEventReader(this.statements), this.dirty);
  }

  /** Step one for several events in one transaction; one event's failure never undoes another's. */
  applyEvents(refs: EventRef[]): ApplyResult[] {
    if (refs.length === 0) return [];
    return this.inTransaction(() =>
      refs.map((ref): ApplyResult => {
        try {
          return { ok: true, outcome: this.inSavepoint(() => this.writer.apply(ref.sequence, ref.eventId)) };
        } catch (err) {
          return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
        }
      }),
    );
  }

  /** Step two: recompute dirty scopes, generations first, until none are left or the budget is spent. */
  drain(options: DrainOptions): DrainResult {
    const started = performance.now();
    const result: DrainResult = { refreshed: 0, failed: 0, more: false, longestMs: {} };
    const kinds = DIRTY_KINDS.filter((k) => !options.kinds || options.kinds.includes(k));
    this.inTransaction(() => {
      for (;;) {
        // Always go back to the first kind: refreshing a generation dirties its conversation.
        const kind = kinds.find((k) => this.dirty.take(k, 1).length > 0);
        if (!kind) return;
        if (performance.now() - started >= options.budgetMs) {
          result.more = true;
          return;
        }
        for (const key of this.dirty.take(kind, TAKE)) {
          const t0 = performance.now();
          if (this.refreshScope(kind, key)) result.refreshed++;
          else result.failed++;
          result.longestMs[kind] = Math.max(result.longestMs[kind] ?? 0, performance.now() - t0);
          if (performance.now() - started >= options.budgetMs) break;
        }
      }
    });
    if (result.refreshed + result.failed > 0) this.store.markDirty();
    return result;
  }

  /** Dirty scopes waiting for step two. */
  pendingScopes(): number {
    return this.dirty.count();
  }

  /** Read or write slow_path_state. */
  getState(key: string): string | undefined {
    return this.statements.one<{ value: string }>('SELECT value FROM slow_path_state WHERE key = ?', [key])?.value;
  }

  setState(key: string, value: string): void {
    this.statements.run('INSERT OR REPLACE INTO slow_path_state (key, value) VALUES (?, ?)', [key, value]);
    this.store.markDirty();
  }

  /** Run queries through the statement cache (for backfill and rebuild). */
  all<T>(sql: string, params: Array<string | number | null> = []): T[] {
    return this.statements.all<T>(sql, params);
  }

  /** Free the prepared statements (the database outlives the deriver). Safe to call twice. */
  dispose(): void {
    this.statements.freeAll();
  }

  /**
   * Recompute one scope and unmark it. A scope that fails is unmarked all the same and logged:
   * retrying a deterministic failure forever would stall every scope behind it.
   */
  private refreshScope(kind: DirtyKind, key: string): boolean {
    try {
      this.inSavepoint(() => {
        this.dirty.unmark(kind, key);
        if (kind === 'generation') {
          const [conversationId, generationId] = parseGenerationKey(key);
          refreshGeneration(this.statements, this.dirty, conversationId, generationId);
        } else if (kind === 'conversation') {
          refreshConversation(this.statements, key);
        } else {
          refreshDay(this.statements, key, this.now);
        }
      });
      return true;
    } catch (err) {
      this.dirty.unmark(kind, key);
      this.log.error(`Slow path could not recompute ${kind} ${key} (${errorMessage(err)}); its derived rows stay as they were until \`blueplane rebuild\`.`);
      return false;
    }
  }

  private inTransaction<T>(fn: () => T): T {
    this.store.db.run('BEGIN');
    try {
      const value = fn();
      this.store.db.run('COMMIT');
      return value;
    } catch (err) {
      this.store.db.run('ROLLBACK');
      throw err;
    }
  }

  private inSavepoint<T>(fn: () => T): T {
    this.store.db.run('SAVEPOINT slow_path_item');
    try {
      const value = fn();
      this.store.db.run('RELEASE slow_path_item');
      return value;
    } catch (err) {
      this.store.db.run('ROLLBACK TO slow_path_item');
      this.store.db.run('RELEASE slow_path_item');
      throw err;
    }
  }
}
