import { percentile } from '../../shared/percentile';
import type { SqlParams } from './statementCache';

/**
 * The figures kept per conversation (session_metrics), per day (daily_metrics) and shown for any
 * window (`blueplane stats`). All of them are computed from the derived tables, never from
 * event_data, so recomputing them is cheap.
 */
export interface Metrics {
  prompts: number;
  /** Steps of type tool_call (one per tool call, however many hooks reported it). */
  tool_calls: number;
  /** Tool calls whose outcome was not ok (error, timeout, denied, interrupted, aborted). */
  tool_failures: number;
  tool_calls_by_tool: Record<string, number>;
  shell_commands: number;
  /** Shell commands that failed, timed out or exited non-zero. */
  shell_failures: number;
  mcp_calls: number;
  subagents: number;
  /** Distinct files the agent read (Read tool or beforeReadFile). */
  files_read: number;
  /** Distinct files the agent edited (afterFileEdit); Tab edits are counted apart. */
  files_edited: number;
  /** Lines of the edits whose text was kept; see edits_without_lines. */
  lines_added: number;
  lines_removed: number;
  /** Agent edits whose lines are unknown (privacy mode `metadata` keeps no text to count). */
  edits_without_lines: number;
  tool_p50_ms: number | null;
  tool_p95_ms: number | null;
  /** From a user prompt to the last `stop` of its generation: how long the agent worked. */
  loop_p50_ms: number | null;
  loop_p95_ms: number | null;
  models: string[];
  /** Token sums over the counted ledger rows; null when no event in scope reported any. */
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  /** Ledger rows counted in the sums above. */
  token_reports: number;
  /** `stop` events that carried no token counts (counted, never guessed). */
  stops_without_tokens: number;
}

export interface TabMetrics {
  tab_edits: number;
  tab_lines_added: number;
  tab_lines_removed: number;
}

/** One conversation, or a time window [from, to) in UTC ISO strings. */
export type MetricsScope = { conversationId: string } | { from: string; to: string };

export interface QueryRunner {
  all<T>(sql: string, params?: SqlParams): T[];
  one<T>(sql: string, params?: SqlParams): T | undefined;
}

interface ScopeSql {
  facts: string;
  /** Turns of one type in scope. */
  turns: (type: string) => string;
  changes: string;
  ledger: string;
  params: SqlParams;
}

/**
 * WHERE clauses per table, each written so SQLite uses the index meant for it: a conversation
 * through its conversation_id index, a window through the time (and type) indexes. The unary
 * `+` keeps a column out of index selection: without statistics, SQLite would otherwise pick
 * the turn_type index and scan every turn of that type in the database.
 */
function scopeSql(scope: MetricsScope): ScopeSql {
  if ('conversationId' in scope) {
    return {
      facts: 'conversation_id = ?',
      turns: (type) => `conversation_id = ? AND +turn_type = '${type}'`,
      changes: 'conversation_id = ?',
      ledger: 'conversation_id = ?',
      params: [scope.conversationId],
    };
  }
  return {
    // event_date narrows through the index; the timestamp bounds make the window exact.
    facts: 'event_date >= substr(?1, 1, 10) AND event_date <= substr(?2, 1, 10) AND timestamp >= ?1 AND timestamp < ?2',
    turns: (type) => `turn_type = '${type}' AND started_at >= ?1 AND started_at < ?2`,
    changes: 'timestamp >= ?1 AND timestamp < ?2',
    ledger: 'timestamp >= ?1 AND timestamp < ?2',
    params: [scope.from, scope.to],
  };
}

const NOT_OK = "coalesce(outcome, 'ok') NOT IN ('ok', 'pending')";

/**
 * Nearest-rank percentiles (see percentiles.ts) computed by SQLite: it sorts the values and
 * returns only the ranks asked for, so a day of thousands of tool calls never becomes thousands
 * of JavaScript objects.
 */
function sqlPercentiles(q: QueryRunner, column: string, from: string, params: SqlParams, ps: number[]): Array<number | null> {
  const n = q.one<{ n: number }>(`SELECT count(*) AS n ${from} AND ${column} IS NOT NULL`, params)?.n ?? 0;
  if (n === 0) return ps.map(() => null);
  const ranks = ps.map((p) => Math.min(n, Math.max(1, Math.ceil((p / 100) * n))));
  const rows = q.all<{ r: number; v: number }>(
    `SELECT r, v FROM (SELECT row_number() OVER (ORDER BY ${column}) AS r, ${column} AS v ${from} AND ${column} IS NOT NULL)
      WHERE r IN (${ranks.join(', ')})`,
    params,
  );
  const byRank = new Map(rows.map((row) => [row.r, row.v]));
  return ranks.map((r) => byRank.get(r) ?? null);
}

export function collectMetrics(q: QueryRunner, scope: MetricsScope): Metrics {
  const s = scopeSql(scope);
  const prompts = q.one<{ n: number }>(`SELECT count(*) AS n FROM event_facts WHERE ${s.facts} AND event_type = 'user_prompt'`, s.params)?.n ?? 0;

  const toolCalls = `FROM conversation_turns WHERE ${s.turns('tool_call')}`;
  const byTool: Record<string, number> = {};
  let calls = 0;
  let failures = 0;
  let shell = 0;
  let shellFailures = 0;
  let mcp = 0;
  let subagents = 0;
  for (const t of q.all<{ tool: string; calls: number; failures: number }>(
    `SELECT coalesce(tool_name, 'unknown') AS tool, count(*) AS calls, sum(${NOT_OK}) AS failures ${toolCalls} GROUP BY 1`,
    s.params,
  )) {
    byTool[t.tool] = t.calls;
    calls += t.calls;
    failures += t.failures;
    if (t.tool === 'Shell' || t.tool === 'Bash') {
      shell += t.calls;
      shellFailures += t.failures;
    } else if (t.tool.startsWith('MCP:')) mcp += t.calls;
    else if (t.tool === 'Task') subagents += t.calls;
  }
  const filesRead = q.one<{ n: number }>(`SELECT count(DISTINCT subject) AS n ${toolCalls} AND tool_name = 'Read'`, s.params)?.n ?? 0;
  const [toolP50, toolP95] = sqlPercentiles(q, 'duration_ms', toolCalls, s.params, [50, 95]);

  // The correlated lookup must go through (conversation_id, generation_id): see scopeSql.
  const loops = q
    .all<{ prompt_at: string; stop_at: string | null }>(
      `SELECT p.started_at AS prompt_at,
              (SELECT max(s.started_at) FROM conversation_turns s
                WHERE s.conversation_id = p.conversation_id AND s.generation_id = p.generation_id
                  AND +s.turn_type = 'stop') AS stop_at
         FROM conversation_turns p
        WHERE ${s.turns('user_prompt').replace(/\b(conversation_id|started_at|turn_type)\b/g, 'p.$1')}`,
      s.params,
    )
    .filter((r) => r.stop_at !== null && r.stop_at >= r.prompt_at)
    .map((r) => Date.parse(r.stop_at as string) - Date.parse(r.prompt_at));

  const edits = q.one<{ files: number; added: number | null; removed: number | null; unknown: number | null }>(
    `SELECT count(DISTINCT file_path) AS files, sum(lines_added) AS added, sum(lines_removed) AS removed,
            sum(lines_added IS NULL) AS unknown
       FROM code_changes WHERE ${s.changes} AND source = 'agent'`,
    s.params,
  );
  const models = q
    .all<{ model: string }>(`SELECT DISTINCT model FROM event_facts WHERE ${s.facts} AND model IS NOT NULL ORDER BY model`, s.params)
    .map((r) => r.model);
  const tokens = q.one<{
    input: number | null;
    output: number | null;
    cache_read: number | null;
    cache_write: number | null;
    reports: number;
    tokenless_stops: number | null;
  }>(
    `SELECT sum(CASE WHEN counted = 1 THEN input_tokens END) AS input,
            sum(CASE WHEN counted = 1 THEN output_tokens END) AS output,
            sum(CASE WHEN counted = 1 THEN cache_read_tokens END) AS cache_read,
            sum(CASE WHEN counted = 1 THEN cache_write_tokens END) AS cache_write,
            count(CASE WHEN counted = 1 THEN 1 END) AS reports,
            sum(hook_type = 'stop' AND reported = 0) AS tokenless_stops
       FROM token_ledger WHERE ${s.ledger}`,
    s.params,
  );

  return {
    prompts,
    tool_calls: calls,
    tool_failures: failures,
    tool_calls_by_tool: sortedRecord(byTool),
    shell_commands: shell,
    shell_failures: shellFailures,
    mcp_calls: mcp,
    subagents,
    files_read: filesRead,
    files_edited: edits?.files ?? 0,
    lines_added: edits?.added ?? 0,
    lines_removed: edits?.removed ?? 0,
    edits_without_lines: edits?.unknown ?? 0,
    tool_p50_ms: toolP50,
    tool_p95_ms: toolP95,
    loop_p50_ms: percentile(loops, 50),
    loop_p95_ms: percentile(loops, 95),
    models,
    input_tokens: tokens?.input ?? null,
    output_tokens: tokens?.output ?? null,
    cache_read_tokens: tokens?.cache_read ?? null,
    cache_write_tokens: tokens?.cache_write ?? null,
    token_reports: tokens?.reports ?? 0,
    stops_without_tokens: tokens?.tokenless_stops ?? 0,
  };
}

export function collectTabMetrics(q: QueryRunner, from: string, to: string): TabMetrics {
  const row = q.one<{ n: number; added: number | null; removed: number | null }>(
    `SELECT count(*) AS n, sum(lines_added) AS added, sum(lines_removed) AS removed
       FROM code_changes WHERE timestamp >= ? AND timestamp < ? AND source = 'tab'`,
    [from, to],
  );
  return { tab_edits: row?.n ?? 0, tab_lines_added: row?.added ?? 0, tab_lines_removed: row?.removed ?? 0 };
}

/** Keys sorted, so the JSON stored for the same counts is always the same text. */
export function sortedRecord(record: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key];
  return out;
}

/** The column values of the metric columns shared by session_metrics and daily_metrics. */
export function metricColumnValues(m: Metrics): Array<string | number | null> {
  return [
    m.prompts, m.tool_calls, m.tool_failures, JSON.stringify(m.tool_calls_by_tool), m.shell_commands,
    m.shell_failures, m.mcp_calls, m.subagents, m.files_read, m.files_edited, m.lines_added, m.lines_removed,
    m.edits_without_lines, m.tool_p50_ms, m.tool_p95_ms, m.loop_p50_ms, m.loop_p95_ms, JSON.stringify(m.models),
    m.input_tokens, m.output_tokens, m.cache_read_tokens, m.cache_write_tokens, m.token_reports, m.stops_without_tokens,
  ];
}

export const METRIC_COLUMN_NAMES = [
  'prompts', 'tool_calls', 'tool_failures', 'tool_calls_by_tool', 'shell_commands', 'shell_failures',
  'mcp_calls', 'subagents', 'files_read', 'files_edited', 'lines_added', 'lines_removed', 'edits_without_lines', 'tool_p50_ms',
  'tool_p95_ms', 'loop_p50_ms', 'loop_p95_ms', 'models', 'input_tokens', 'output_tokens',
  'cache_read_tokens', 'cache_write_tokens', 'token_reports', 'stops_without_tokens',
];

/** The UTC day after `day` (YYYY-MM-DD). */
export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
