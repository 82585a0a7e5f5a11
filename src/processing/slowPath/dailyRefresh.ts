import { collectMetrics, collectTabMetrics, METRIC_COLUMN_NAMES, metricColumnValues, nextDay, sortedRecord } from './metricsCollector';
import type { StatementCache } from './statementCache';

const DAY_SUMMARY = `
  SELECT count(*) AS events, count(DISTINCT NULLIF(conversation_id, '')) AS sessions,
         sum(is_error) AS errors, avg(duration_ms) AS avg_duration
    FROM event_facts WHERE event_date = ?`;
const COUNT_BY = (column: string) => `SELECT ${column} AS k, count(*) AS n FROM event_facts WHERE event_date = ? GROUP BY ${column}`;
const DAY_TOKENS = `
  SELECT sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) AS total
    FROM token_ledger WHERE timestamp >= ? AND timestamp < ? AND counted = 1`;
const UPSERT_TRACE_STATS = `
  INSERT OR REPLACE INTO trace_stats (
    stat_date, total_events, unique_sessions, event_types, platform_breakdown, error_count,
    avg_duration_ms, total_tokens, computed_at
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPSERT_DAILY_METRICS = `
  INSERT OR REPLACE INTO daily_metrics (
    stat_date, sessions, events, ${METRIC_COLUMN_NAMES.join(', ')}, tab_edits, tab_lines_added, tab_lines_removed
  ) VALUES (?, ?, ?${', ?'.repeat(METRIC_COLUMN_NAMES.length)}, ?, ?, ?)`;

interface DaySummary {
  events: number;
  sessions: number;
  errors: number | null;
  avg_duration: number | null;
}

function countsBy(statements: StatementCache, column: 'event_type' | 'platform', day: string): string {
  const counts: Record<string, number> = {};
  for (const row of statements.all<{ k: string; n: number }>(COUNT_BY(column), [day])) counts[row.k] = row.n;
  return JSON.stringify(sortedRecord(counts));
}

/**
 * Recompute one UTC day: its trace_stats row (the columns of reference/database.md) and its
 * daily_metrics row. Days are UTC, like raw_traces.event_date, so a day means the same thing in
 * every table and on every machine.
 */
export function refreshDay(statements: StatementCache, day: string, now: () => Date = () => new Date()): void {
  const summary = statements.one<DaySummary>(DAY_SUMMARY, [day]);
  if (!summary || summary.events === 0) {
    statements.run('DELETE FROM trace_stats WHERE stat_date = ?', [day]);
    statements.run('DELETE FROM daily_metrics WHERE stat_date = ?', [day]);
    return;
  }
  const from = `${day}T00:00:00.000Z`;
  const to = `${nextDay(day)}T00:00:00.000Z`;
  const tokens = statements.one<{ total: number | null }>(DAY_TOKENS, [from, to]);
  statements.run(UPSERT_TRACE_STATS, [
    day, summary.events, summary.sessions, countsBy(statements, 'event_type', day), countsBy(statements, 'platform', day),
    summary.errors ?? 0, summary.avg_duration === null ? null : Math.round(summary.avg_duration * 1000) / 1000,
    tokens?.total ?? null, now().toISOString(),
  ]);
  const metrics = collectMetrics(statements, { from, to });
  const tab = collectTabMetrics(statements, from, to);
  statements.run(UPSERT_DAILY_METRICS, [
    day, summary.sessions, summary.events, ...metricColumnValues(metrics), tab.tab_edits, tab.tab_lines_added, tab.tab_lines_removed,
  ]);
}
