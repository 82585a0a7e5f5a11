import type { Database } from 'sql.js';
import { DEFAULT_DICTIONARY } from './compression';
import { DERIVED_MIGRATIONS } from '../slowPath/derivedSchema';

/**
 * Schema migrations by version (`PRAGMA user_version`). Append new versions; never edit one that
 * has shipped. Column facts follow reference/database.md; `event_id` is UNIQUE so replays never
 * duplicate (invariant 3).
 */
export interface Migration {
  version: number;
  description: string;
  up(db: Database): void;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'raw_traces, compression dictionaries, derived tables',
    up(db) {
      db.run(`
        CREATE TABLE compression_dictionaries (
          id INTEGER PRIMARY KEY,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          description TEXT NOT NULL,
          dictionary BLOB NOT NULL
        );

        CREATE TABLE raw_traces (
          sequence INTEGER PRIMARY KEY AUTOINCREMENT,
          ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          event_id TEXT NOT NULL UNIQUE,
          session_id TEXT,
          event_type TEXT NOT NULL,
          hook_type TEXT,
          platform TEXT NOT NULL,
          timestamp TEXT NOT NULL,
          workspace_hash TEXT,
          model TEXT,
          tool_name TEXT,
          duration_ms INTEGER,
          tokens_used INTEGER,
          lines_added INTEGER,
          lines_removed INTEGER,
          event_data BLOB NOT NULL,
          dictionary_id INTEGER REFERENCES compression_dictionaries(id),
          event_date TEXT GENERATED ALWAYS AS (date(timestamp)) VIRTUAL,
          event_hour INTEGER GENERATED ALWAYS AS (CAST(strftime('%H', timestamp) AS INTEGER)) VIRTUAL
        );
        CREATE INDEX idx_raw_traces_session_time ON raw_traces(session_id, timestamp);
        CREATE INDEX idx_raw_traces_type_time ON raw_traces(event_type, timestamp);
        CREATE INDEX idx_raw_traces_date_hour ON raw_traces(event_date, event_hour);
        CREATE INDEX idx_raw_traces_time_desc ON raw_traces(timestamp DESC);

        CREATE TABLE conversations (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          session_id TEXT NOT NULL UNIQUE,
          platform TEXT NOT NULL,
          workspace_hash TEXT,
          started_at TEXT,
          ended_at TEXT,
          status TEXT,
          interaction_count INTEGER NOT NULL DEFAULT 0,
          turn_count INTEGER NOT NULL DEFAULT 0,
          acceptance_rate REAL,
          total_changes INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE conversation_turns (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          conversation_id INTEGER NOT NULL REFERENCES conversations(id),
          turn_number INTEGER NOT NULL,
          turn_type TEXT NOT NULL,
          event_id TEXT NOT NULL UNIQUE,
          timestamp TEXT NOT NULL,
          content_hash TEXT,
          tokens_used INTEGER,
          latency_ms INTEGER,
          tools_called TEXT
        );
        CREATE TABLE code_changes (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          conversation_id INTEGER REFERENCES conversations(id),
          turn_id INTEGER REFERENCES conversation_turns(id),
          event_id TEXT NOT NULL,
          file_path TEXT NOT NULL,
          change_type TEXT NOT NULL,
          lines_added INTEGER NOT NULL DEFAULT 0,
          lines_removed INTEGER NOT NULL DEFAULT 0,
          accepted INTEGER,
          timestamp TEXT NOT NULL,
          UNIQUE(event_id, file_path)
        );
        CREATE TABLE trace_stats (
          stat_date TEXT PRIMARY KEY,
          total_events INTEGER NOT NULL,
          unique_sessions INTEGER NOT NULL,
          event_types TEXT NOT NULL,
          platform_breakdown TEXT NOT NULL,
          error_count INTEGER NOT NULL,
          avg_duration_ms REAL,
          total_tokens INTEGER,
          computed_at TEXT NOT NULL
        );
      `);
      const stmt = db.prepare('INSERT INTO compression_dictionaries (id, description, dictionary) VALUES (?, ?, ?)');
      try {
        stmt.run([DEFAULT_DICTIONARY.id, DEFAULT_DICTIONARY.description, DEFAULT_DICTIONARY.bytes]);
      } finally {
        stmt.free();
      }
    },
  },
];

// The slow path owns its tables' migrations (version 2 on); they follow the core ones.
MIGRATIONS.push(...DERIVED_MIGRATIONS);

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function schemaVersion(db: Database): number {
  return Number(db.exec('PRAGMA user_version')[0]?.values[0]?.[0] ?? 0);
}

/** Apply every migration above the database's version, each in its own transaction. */
export function applyMigrations(db: Database): boolean {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `Database schema version ${current} is newer than this Blueplane (${SCHEMA_VERSION}); update the extension or CLI.`,
    );
  }
  let applied = false;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.run('BEGIN');
    try {
      migration.up(db);
      db.run(`PRAGMA user_version = ${migration.version}`);
      db.run('COMMIT');
    } catch (err) {
      db.run('ROLLBACK');
      throw new Error(`Schema migration ${migration.version} (${migration.description}) failed: ${(err as Error).message}`);
    }
    applied = true;
  }
  return applied;
}
