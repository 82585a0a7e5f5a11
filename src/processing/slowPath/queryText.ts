import type { MetricsSummary, SessionSummary, SessionTimeline, TimelineStep } from './queries';

// Text for people: what `blueplane sessions`, `blueplane session <id>` and `blueplane stats`
// print. Pure functions of the query results; times are shown in UTC, as they are stored.

export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function formatCount(n: number | null): string {
  return n === null ? '–' : n.toLocaleString('en-US');
}

function formatTokens(n: number | null): string {
  if (n === null) return '–';
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return formatCount(n);
}

function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

function dayAndClock(iso: string): string {
  return `${iso.slice(0, 10)} ${clock(iso)}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function unknownLines(edits: number): string {
  return edits > 0 ? ` (${edits} edit(s) without line counts)` : '';
}

function toolList(byTool: Record<string, number>): string {
  const entries = Object.entries(byTool).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return entries.length ? entries.map(([name, n]) => `${name} ${formatCount(n)}`).join(', ') : 'none';
}

export function formatSessions(sessions: SessionSummary[]): string {
  if (sessions.length === 0) return 'No sessions yet: use Cursor\'s agent with the Blueplane hooks installed, then look again.';
  const header = `${pad('SESSION', 10)}${pad('LAST ACTIVE (UTC)', 21)}${pad('STATUS', 11)}${pad('PROMPTS', 9)}${pad('TOOLS', 8)}${pad('LINES', 13)}TOKENS IN/OUT`;
  const lines = sessions.map((s) => {
    const kind = s.parent_conversation_id ? `  ↳ subagent of ${shortId(s.parent_conversation_id)}` : s.subagent_conversations ? `  (${s.subagent_conversations} subagent${s.subagent_conversations > 1 ? 's' : ''})` : '';
    return (
      pad(shortId(s.conversation_id), 10) +
      pad(dayAndClock(s.ended_at), 21) +
      pad(s.status, 11) +
      pad(String(s.prompts), 9) +
      pad(`${s.tool_calls}${s.tool_failures ? `/${s.tool_failures}✗` : ''}`, 8) +
      pad(`+${s.lines_added} −${s.lines_removed}`, 13) +
      `${formatTokens(s.input_tokens)}/${formatTokens(s.output_tokens)}` +
      kind
    );
  });
  return [header, ...lines, '', 'Show one with: blueplane session <id>'].join('\n');
}

function describeStep(s: TimelineStep): string {
  const quoted = s.text ? ` "${s.text}"` : '';
  switch (s.type) {
    case 'session_start':
      return 'session started';
    case 'session_end':
      return `session ended${s.outcome ? ` (${s.outcome})` : ''}`;
    case 'user_prompt':
      return `prompt${quoted}`;
    case 'thought':
      return `thought${s.duration_ms !== null ? ` (${formatDuration(s.duration_ms)})` : ''}${quoted}`;
    case 'response':
      return `response${quoted}${s.tokens !== null ? ` · ${formatCount(s.tokens)} tokens` : ''}`;
    case 'stop':
      return `stop: ${s.outcome ?? 'completed'}${s.tokens !== null ? ` · ${formatCount(s.tokens)} tokens` : ' · no token counts'}`;
    case 'compaction':
      return 'context compacted';
    case 'tool_call': {
      const parts = [`${s.tool ?? 'tool'}${s.subject ? ` ${s.subject}` : ''}`];
      if (s.duration_ms !== null) parts.push(formatDuration(s.duration_ms));
      let outcome = s.outcome ?? 'ok';
      if (s.exit_code !== null) outcome += ` (exit ${s.exit_code})`;
      parts.push(outcome);
      if (s.lines_added !== null) parts.push(`+${s.lines_added} −${s.lines_removed ?? 0}`);
      return parts.join(' · ');
    }
    default:
      return s.type;
  }
}

export function formatTimeline(t: SessionTimeline): string {
  const s = t.session;
  const m = t.metrics;
  const out = [
    `Session ${s.conversation_id} (${s.platform})`,
    `  ${s.status}${s.end_reason ? ` (${s.end_reason})` : ''} · ${dayAndClock(s.started_at)} → ${dayAndClock(s.ended_at)} UTC · workspace ${s.workspace_hash ?? 'unknown'}`,
    `  ${s.prompts} prompt(s) · ${m.tool_calls} tool call(s), ${m.tool_failures} failed · ${m.files_edited} file(s) edited, +${m.lines_added} −${m.lines_removed}${unknownLines(m.edits_without_lines)}`,
    `  models: ${s.models.join(', ') || 'unknown'} · tokens in ${formatCount(m.input_tokens)}, out ${formatCount(m.output_tokens)}, cache read ${formatCount(m.cache_read_tokens)}, cache write ${formatCount(m.cache_write_tokens)}${m.stops_without_tokens ? ` (${m.stops_without_tokens} stop(s) without counts)` : ''}`,
  ];
  if (s.parent_conversation_id) out.push(`  subagent${s.subagent_type ? ` (${s.subagent_type})` : ''} of session ${s.parent_conversation_id}`);
  for (const child of t.subagents) out.push(`  subagent session ${child.conversation_id}${child.subagent_type ? ` (${child.subagent_type})` : ''}: ${child.status}`);
  out.push('');
  let day = '';
  for (const step of t.steps) {
    if (step.at.slice(0, 10) !== day) {
      day = step.at.slice(0, 10);
      out.push(`  ${day} (UTC)`);
    }
    out.push(`  ${pad(String(step.number), 4)} ${clock(step.at)}  ${describeStep(step)}`);
  }
  if (t.steps.length === 0) out.push('  (no steps yet)');
  return out.join('\n');
}

export function formatMetricsSummary(s: MetricsSummary): string {
  const tokensLine =
    s.token_reports === 0
      ? `  Tokens: no event in this window reported token counts${s.stops_without_tokens ? ` (${s.stops_without_tokens} stop(s) without counts)` : ''}`
      : `  Tokens: input ${formatCount(s.input_tokens)} · output ${formatCount(s.output_tokens)} · cache read ${formatCount(s.cache_read_tokens)} · cache write ${formatCount(s.cache_write_tokens)} (from ${s.token_reports} report(s)${s.stops_without_tokens ? `; ${s.stops_without_tokens} stop(s) without counts` : ''})`;
  const out = [
    `Agent activity ${dayAndClock(s.since)} → ${dayAndClock(s.until)} UTC`,
    `  Sessions ${formatCount(s.sessions)} · prompts ${formatCount(s.prompts)} · tool calls ${formatCount(s.tool_calls)} (${formatCount(s.tool_failures)} failed)`,
    `  By tool: ${toolList(s.tool_calls_by_tool)}`,
    `  Shell commands ${formatCount(s.shell_commands)} (${formatCount(s.shell_failures)} failed) · MCP calls ${formatCount(s.mcp_calls)} · subagents ${formatCount(s.subagents)}`,
    `  Files read ${formatCount(s.files_read)} · files edited ${formatCount(s.files_edited)} · lines +${formatCount(s.lines_added)} −${formatCount(s.lines_removed)}${unknownLines(s.edits_without_lines)} · Tab edits ${formatCount(s.tab_edits)} (+${formatCount(s.tab_lines_added)} −${formatCount(s.tab_lines_removed)})`,
    `  Tool call time P50 ${formatDuration(s.tool_p50_ms)} · P95 ${formatDuration(s.tool_p95_ms)} · prompt to stop P50 ${formatDuration(s.loop_p50_ms)} · P95 ${formatDuration(s.loop_p95_ms)}`,
    `  Models: ${s.models.join(', ') || 'none seen'}`,
    tokensLine,
  ];
  if (s.per_day.length > 1) {
    out.push('  Per day (UTC):');
    for (const d of s.per_day) {
      out.push(`    ${d.date}  ${pad(`${d.sessions} session(s)`, 14)}${pad(`${d.prompts} prompt(s)`, 14)}${pad(`${d.tool_calls} tool call(s)`, 18)}+${d.lines_added} −${d.lines_removed}`);
    }
  }
  return out.join('\n');
}
