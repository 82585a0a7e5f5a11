import { collectMetrics, collectTabMetrics, METRIC_COLUMN_NAMES, metricColumnValues, nextDay, sortedRecord } from './metricsCollector';
import type { StatementCache } from './statementCache';

// One pass over the day's facts gives the totals, the counts by type and platform, the errors
// and the durations; the distinct sessions need a second.
const DAY_GROUPS = `
  SELECT event_type, platform, count(*) AS n, sum(is_error) AS errors,
         sum(duration_ms) AS duration_sum, count(duration_ms) AS durations
    FROM event_facts WHERE event_date = ? GROUP BY event_type, platform`;
const DAY_SESSIONS = "SELECT count(DISTINCT conversation_id) AS n FROM event_facts WHERE event_date = ? AND conversation_id != ''";
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
  errors: number;
  avgDuration: number | null;
  byType: Record<string, number>;
  byPlatform: Record<string, number>;
}

function summarise(statements: StatementCache, day: string): DaySummary {
  const summary: DaySummary = { events: 0, sessions: 0, errors: 0, avgDuration: null, byType: {}, byPlatform: {} };
  let durationSum = 0;
  let durations = 0;
  for (const g of statements.all<{ event_type: string; platform: string; n: number; errors: number; duration_sum: number | null; durations: number }>(DAY_GROUPS, [day])) {
    summary.events += g.n;
    summary.errors += g.errors;
    summary.byType[g.event_type] = (summary.byType[g.event_type] ?? 0) + g.n;
    summary.byPlatform[g.platform] = (summary.byPlatform[g.platform] ?? 0) + g.n;
    durationSum += g.duration_sum ?? 0;
    durations += g.durations;
  }
  if (durations > 0) summary.avgDuration = Math.round((durationSum / durations) * 1000) / 1000;
  if (summary.events > 0) summary.sessions = statements.one<{ n: number }>(DAY_SESSIONS, [day])?.n ?? 0;
  return summary;
}

/**
 * Recompute one UTC day: its trace_stats row (the columns of reference/database.md) and its
 * daily_metrics row. Days are UTC, like raw_traces.event_date, so a day means the same thing in
 * every table and on every machine.
 */
export function refreshDay(statements: StatementCache, day: string, now: () => Date = () => new Date()): void {
  const summary = summarise(statements, day);
  if (summary.events === 0) {
    statements.run('DELETE FROM trace_stats WHERE stat_date = ?', [day]);
    statements.run('DELETE FROM daily_metrics WHERE stat_date = ?', [day]);
    return;
  }
  const from = `${day}T00:00:00.000Z`;
  const to = `${nextDay(day)}T00:00:00.000Z`;
  const tokens = statements.one<{ total: number | null }>(DAY_TOKENS, [from, to]);
  statements.run(UPSERT_TRACE_STATS, [
    day, summary.events, summary.sessions, JSON.stringify(sortedRecord(summary.byType)), JSON.stringify(sortedRecord(summary.byPlatform)),
    summary.errors, summary.avgDuration, tokens?.total ?? null, now().toISOString(),
  ]);
  const metrics = collectMetrics(statements, { from, to });
  const tab = collectTabMetrics(statements, from, to);
  statements.run(UPSERT_DAILY_METRICS, [
    day, summary.sessions, summary.events, ...metricColumnValues(metrics), tab.tab_edits, tab.tab_lines_added, tab.tab_lines_removed,
  ]);
}
