import { percentile } from './percentiles';
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
  lines_added: number;
  lines_removed: number;
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
  turns: string;
  changes: string;
  ledger: string;
  params: SqlParams;
}

/** WHERE clauses per table; each uses an index (see derivedSchema.ts). */
function scopeSql(scope: MetricsScope): ScopeSql {
  if ('conversationId' in scope) {
    return {
      facts: 'conversation_id = ?',
      turns: 'conversation_id = ?',
      changes: 'conversation_id = ?',
      ledger: 'conversation_id = ?',
      params: [scope.conversationId],
    };
  }
  return {
    // event_date narrows through the index; the timestamp bounds make the window exact.
    facts: 'event_date >= substr(?1, 1, 10) AND event_date <= substr(?2, 1, 10) AND timestamp >= ?1 AND timestamp < ?2',
    turns: 'started_at >= ?1 AND started_at < ?2',
    changes: 'timestamp >= ?1 AND timestamp < ?2',
    ledger: 'timestamp >= ?1 AND timestamp < ?2',
    params: [scope.from, scope.to],
  };
}

interface ToolRow {
  tool_name: string | null;
  outcome: string | null;
  duration_ms: number | null;
  subject: string | null;
}

const OK_OUTCOMES = new Set(['ok', 'pending']);

export function collectMetrics(q: QueryRunner, scope: MetricsScope): Metrics {
  const s = scopeSql(scope);
  const prompts = q.one<{ n: number }>(`SELECT count(*) AS n FROM event_facts WHERE ${s.facts} AND event_type = 'user_prompt'`, s.params)?.n ?? 0;

  const tools = q.all<ToolRow>(
    `SELECT tool_name, outcome, duration_ms, subject FROM conversation_turns WHERE ${s.turns} AND turn_type = 'tool_call'`,
    s.params,
  );
  const byTool: Record<string, number> = {};
  const durations: number[] = [];
  const filesRead = new Set<string>();
  let failures = 0;
  let shell = 0;
  let shellFailures = 0;
  let mcp = 0;
  let subagents = 0;
  for (const t of tools) {
    const name = t.tool_name ?? 'unknown';
    byTool[name] = (byTool[name] ?? 0) + 1;
    const failed = !OK_OUTCOMES.has(t.outcome ?? 'ok');
    if (failed) failures++;
    if (t.duration_ms !== null) durations.push(t.duration_ms);
    if (name === 'Shell' || name === 'Bash') {
      shell++;
      if (failed) shellFailures++;
    } else if (name.startsWith('MCP:')) mcp++;
    else if (name === 'Task') subagents++;
    else if (name === 'Read' && t.subject) filesRead.add(t.subject);
  }

  const loops = q
    .all<{ prompt_at: string; stop_at: string | null }>(
      `SELECT p.started_at AS prompt_at,
              (SELECT max(s.started_at) FROM conversation_turns s
                WHERE s.conversation_id = p.conversation_id AND s.generation_id = p.generation_id
                  AND s.turn_type = 'stop') AS stop_at
         FROM conversation_turns p
        WHERE ${s.turns.replace(/\b(conversation_id|started_at)\b/g, 'p.$1')} AND p.turn_type = 'user_prompt'`,
      s.params,
    )
    .filter((r) => r.stop_at !== null && r.stop_at >= r.prompt_at)
    .map((r) => Date.parse(r.stop_at as string) - Date.parse(r.prompt_at));

  const edits = q.one<{ files: number; added: number | null; removed: number | null }>(
    `SELECT count(DISTINCT file_path) AS files, sum(lines_added) AS added, sum(lines_removed) AS removed
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
    tool_calls: tools.length,
    tool_failures: failures,
    tool_calls_by_tool: sortedRecord(byTool),
    shell_commands: shell,
    shell_failures: shellFailures,
    mcp_calls: mcp,
    subagents,
    files_read: filesRead.size,
    files_edited: edits?.files ?? 0,
    lines_added: edits?.added ?? 0,
    lines_removed: edits?.removed ?? 0,
    tool_p50_ms: round(percentile(durations, 50)),
    tool_p95_ms: round(percentile(durations, 95)),
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

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}

/** The column values of the metric columns shared by session_metrics and daily_metrics. */
export function metricColumnValues(m: Metrics): Array<string | number | null> {
  return [
    m.prompts, m.tool_calls, m.tool_failures, JSON.stringify(m.tool_calls_by_tool), m.shell_commands,
    m.shell_failures, m.mcp_calls, m.subagents, m.files_read, m.files_edited, m.lines_added, m.lines_removed,
    m.tool_p50_ms, m.tool_p95_ms, m.loop_p50_ms, m.loop_p95_ms, JSON.stringify(m.models), m.input_tokens,
    m.output_tokens, m.cache_read_tokens, m.cache_write_tokens, m.token_reports, m.stops_without_tokens,
  ];
}

export const METRIC_COLUMN_NAMES = [
  'prompts', 'tool_calls', 'tool_failures', 'tool_calls_by_tool', 'shell_commands', 'shell_failures',
  'mcp_calls', 'subagents', 'files_read', 'files_edited', 'lines_added', 'lines_removed', 'tool_p50_ms',
  'tool_p95_ms', 'loop_p50_ms', 'loop_p95_ms', 'models', 'input_tokens', 'output_tokens',
  'cache_read_tokens', 'cache_write_tokens', 'token_reports', 'stops_without_tokens',
];

/** The UTC day after `day` (YYYY-MM-DD). */
export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
