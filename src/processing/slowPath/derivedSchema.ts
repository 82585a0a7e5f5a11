import type { Database } from 'sql.js';
import type { Migration } from '../database/schema';

/**
 * The slow path's tables: everything here is derived from raw_traces and can be dropped and
 * recomputed (`rebuildDerived`). Migration 1 created placeholder conversations, turns and
 * code_changes tables that nothing ever wrote; version 2 replaces them with tables keyed by
 * natural ids (Cursor's conversation_id, a turn key, event_id), so replaying an event or
 * rebuilding every table gives the same rows, ids included (invariant 3).
 *
 * Times are UTC ISO 8601 with milliseconds (as raw_traces.timestamp), so text order is time
 * order and `date(timestamp)` is the UTC day.
 */
export const DERIVED_MIGRATIONS: Migration[] = [
  {
    version: 2,
    description: 'slow path: event facts, conversations, turns, code changes, token ledger, metrics',
    up(db) {
      db.run(`
        DROP TABLE IF EXISTS code_changes;
        DROP TABLE IF EXISTS conversation_turns;
        DROP TABLE IF EXISTS conversations;

        -- One row per raw_traces row: what the slow path needs from the compressed event, decoded
        -- once, so later steps never inflate event_data again.
        CREATE TABLE event_facts (
          sequence INTEGER PRIMARY KEY,
          event_id TEXT NOT NULL UNIQUE,
          conversation_id TEXT NOT NULL,
          generation_id TEXT NOT NULL,
          hook_type TEXT NOT NULL,
          event_type TEXT NOT NULL,
          platform TEXT NOT NULL,
          timestamp TEXT NOT NULL,
          event_date TEXT NOT NULL,
          workspace_hash TEXT,
          model TEXT,
          tool_name TEXT,
          call_id TEXT,
          subject TEXT,
          duration_ms REAL,
          outcome TEXT,
          exit_code INTEGER,
          is_error INTEGER NOT NULL DEFAULT 0,
          content_hash TEXT,
          content_chars INTEGER,
          attrs TEXT
        );
        CREATE INDEX idx_event_facts_generation ON event_facts(conversation_id, generation_id);
        CREATE INDEX idx_event_facts_date ON event_facts(event_date);
        -- Partial indexes: only Task calls and subagent events are looked up by id or by time.
        CREATE INDEX idx_event_facts_task_call ON event_facts(conversation_id, call_id) WHERE tool_name = 'Task';
        CREATE INDEX idx_event_facts_subagent_time ON event_facts(workspace_hash, timestamp) WHERE event_type = 'subagent';

        CREATE TABLE conversations (
          conversation_id TEXT PRIMARY KEY,
          platform TEXT NOT NULL,
          workspace_hash TEXT,
          started_at TEXT NOT NULL,
          ended_at TEXT NOT NULL,
          status TEXT NOT NULL,
          end_reason TEXT,
          models TEXT NOT NULL,
          parent_conversation_id TEXT,
          subagent_turn_key TEXT,
          subagent_type TEXT,
          event_count INTEGER NOT NULL,
          prompt_count INTEGER NOT NULL,
          turn_count INTEGER NOT NULL
        );
        CREATE INDEX idx_conversations_workspace_start ON conversations(workspace_hash, started_at);
        CREATE INDEX idx_conversations_started ON conversations(started_at);
        CREATE INDEX idx_conversations_parent ON conversations(parent_conversation_id);

        CREATE TABLE conversation_turns (
          conversation_id TEXT NOT NULL,
          turn_key TEXT NOT NULL,
          turn_number INTEGER NOT NULL,
          generation_id TEXT NOT NULL,
          turn_type TEXT NOT NULL,
          tool_name TEXT,
          subject TEXT,
          started_at TEXT NOT NULL,
          ended_at TEXT,
          duration_ms REAL,
          outcome TEXT,
          exit_code INTEGER,
          model TEXT,
          tokens_used INTEGER,
          content_hash TEXT,
          content_chars INTEGER,
          first_sequence INTEGER NOT NULL,
          event_ids TEXT NOT NULL,
          PRIMARY KEY (conversation_id, turn_key)
        );
        CREATE INDEX idx_turns_generation ON conversation_turns(conversation_id, generation_id);
        CREATE INDEX idx_turns_type_started ON conversation_turns(turn_type, started_at);

        CREATE TABLE code_changes (
          event_id TEXT NOT NULL,
          file_path TEXT NOT NULL,
          source TEXT NOT NULL,
          conversation_id TEXT,
          generation_id TEXT,
          turn_key TEXT,
          prompt_turn_key TEXT,
          workspace_hash TEXT,
          timestamp TEXT NOT NULL,
          edit_count INTEGER NOT NULL,
          lines_added INTEGER,
          lines_removed INTEGER,
          PRIMARY KEY (event_id, file_path)
        );
        CREATE INDEX idx_code_changes_generation ON code_changes(conversation_id, generation_id);
        CREATE INDEX idx_code_changes_time ON code_changes(timestamp);
        CREATE INDEX idx_code_changes_file ON code_changes(file_path);

        CREATE TABLE token_ledger (
          event_id TEXT PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          generation_id TEXT NOT NULL,
          hook_type TEXT NOT NULL,
          timestamp TEXT NOT NULL,
          model TEXT,
          input_tokens INTEGER,
          output_tokens INTEGER,
          cache_read_tokens INTEGER,
          cache_write_tokens INTEGER,
          reported INTEGER NOT NULL,
          counted INTEGER NOT NULL,
          note TEXT
        );
        CREATE INDEX idx_token_ledger_generation ON token_ledger(conversation_id, generation_id);
        CREATE INDEX idx_token_ledger_time ON token_ledger(timestamp);

        CREATE TABLE session_metrics (
          conversation_id TEXT PRIMARY KEY,
          ${METRIC_COLUMNS}
        ) WITHOUT ROWID;

        CREATE TABLE daily_metrics (
          stat_date TEXT PRIMARY KEY,
          sessions INTEGER NOT NULL,
          events INTEGER NOT NULL,
          ${METRIC_COLUMNS},
          tab_edits INTEGER NOT NULL,
          tab_lines_added INTEGER NOT NULL,
          tab_lines_removed INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Scopes whose derived rows must be recomputed, written in the same transaction as the
        -- facts that made them stale: a crash between the two steps loses no work.
        CREATE TABLE derived_dirty (
          kind TEXT NOT NULL,
          key TEXT NOT NULL,
          PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;

        CREATE TABLE slow_path_state (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
      `);
    },
  },
];

// The same figures per conversation and per day; see metricsCollector.ts for their meaning.
const METRIC_COLUMNS = `
          prompts INTEGER NOT NULL,
          tool_calls INTEGER NOT NULL,
          tool_failures INTEGER NOT NULL,
          tool_calls_by_tool TEXT NOT NULL,
          shell_commands INTEGER NOT NULL,
          shell_failures INTEGER NOT NULL,
          mcp_calls INTEGER NOT NULL,
          subagents INTEGER NOT NULL,
          files_read INTEGER NOT NULL,
          files_edited INTEGER NOT NULL,
          lines_added INTEGER NOT NULL,
          lines_removed INTEGER NOT NULL,
          edits_without_lines INTEGER NOT NULL,
          tool_p50_ms REAL,
          tool_p95_ms REAL,
          loop_p50_ms REAL,
          loop_p95_ms REAL,
          models TEXT NOT NULL,
          input_tokens INTEGER,
          output_tokens INTEGER,
          cache_read_tokens INTEGER,
          cache_write_tokens INTEGER,
          token_reports INTEGER NOT NULL,
          stops_without_tokens INTEGER NOT NULL`;

/** Every table the slow path owns, in the order `clearDerivedTables` empties them. */
export const DERIVED_TABLES = [
  'event_facts',
  'conversations',
  'conversation_turns',
  'code_changes',
  'token_ledger',
  'session_metrics',
  'daily_metrics',
  'trace_stats',
  'derived_dirty',
  'slow_path_state',
] as const;

/** Empty every derived table (raw_traces is never touched). The caller owns the transaction. */
export function clearDerivedTables(db: Database): void {
  for (const table of DERIVED_TABLES) db.run(`DELETE FROM ${table}`);
}

/** True when the database has the slow path's tables (migration 2 applied). */
export function hasDerivedSchema(db: Database): boolean {
  const result = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_facts'");
  return result.length > 0;
}

/** The error to show when the slow path runs on a database without its tables. */
export function missingDerivedSchemaError(): Error {
  return new Error(
    'The database has no slow-path tables (schema migration 2 is missing); add DERIVED_MIGRATIONS to MIGRATIONS in schema.ts.',
  );
}
