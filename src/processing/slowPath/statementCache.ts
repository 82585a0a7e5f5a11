import type { Statement } from 'sql.js';
import type { SqliteStore } from '../database/sqliteClient';

/**
 * Prepared statements by SQL text, prepared again after each export of the database. Older
 * sql.js builds free every statement when they export; 1.16 exports through the backup API and
 * keeps them. Freeing before preparing again is right for both: `free()` on a statement that
 * sql.js already freed finalizes a null handle, which SQLite treats as a no-op.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();
  private generation: number;

  constructor(private readonly store: SqliteStore) {
    this.generation = store.statementGeneration;
  }

  get(sql: string): Statement {
    if (this.generation !== this.store.statementGeneration) {
      this.freeAll();
      this.generation = this.store.statementGeneration;
    }
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.store.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Run a statement that returns no rows. */
  run(sql: string, params: SqlParams): void {
    const statement = this.get(sql);
    try {
      statement.run(params);
    } finally {
      statement.reset();
    }
  }

  /** All rows as objects. */
  all<T = Record<string, SqlValue>>(sql: string, params: SqlParams = []): T[] {
    const statement = this.get(sql);
    const rows: T[] = [];
    try {
      statement.bind(params);
      while (statement.step()) rows.push(statement.getAsObject() as T);
    } finally {
      statement.reset();
    }
    return rows;
  }

  /** The first row, or undefined. */
  one<T = Record<string, SqlValue>>(sql: string, params: SqlParams = []): T | undefined {
    const statement = this.get(sql);
    try {
      statement.bind(params);
      return statement.step() ? (statement.getAsObject() as T) : undefined;
    } finally {
      statement.reset();
    }
  }

  freeAll(): void {
    for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
  }
}

export type SqlValue = string | number | null | Uint8Array;
export type SqlParams = SqlValue[];
