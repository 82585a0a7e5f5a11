import { existsSync, readFileSync } from 'node:fs';
import type { Database } from 'sql.js';
import type { Config } from '../config/config';
import { loadSqlJs, SqliteStore } from './database/sqliteClient';
import { tryAcquireLeaderLock } from './leaderLock';
import { readStatusFile } from './status';

/**
 * A read-only snapshot of the database as of its last flush, for the CLI and verify. Readers
 * never take the writer's lock: the file is always complete (invariant 5), so reading it while
 * the leader runs is safe.
 */
export async function openDatabaseReadOnly(config: Config): Promise<Database> {
  const file = config.paths.database;
  if (!existsSync(file)) {
    throw new Error(`No database at ${file} yet; start the processor (\`blueplane start\` or open Cursor) or run \`blueplane init-db\`.`);
  }
  const SQL = await loadSqlJs();
  try {
    const db = new SQL.Database(readFileSync(file));
    db.exec('SELECT count(*) FROM sqlite_master');
    return db;
  } catch (err) {
    throw new Error(`Database ${file} cannot be read (${(err as Error).message}); the processor moves a corrupt file aside at its next start.`);
  }
}

/**
 * Run `fn` as the database's only writer (for init-db and rebuild). Refuses while a processor
 * owns the file, naming it, rather than writing behind its back (invariant 4).
 */
export async function withWriterLock<T>(config: Config, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const lock = await tryAcquireLeaderLock(config.paths.database);
  if (!lock) {
    const leader = readStatusFile(config.paths.status);
    const who = leader?.pid ? ` (pid ${leader.pid})` : '';
    throw new Error(`A Blueplane processor${who} owns ${config.paths.database}; stop it (close Cursor or stop \`blueplane start\`) and try again.`);
  }
  try {
    const { store } = await SqliteStore.open(config.paths.database);
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  } finally {
    await lock.release();
  }
}

