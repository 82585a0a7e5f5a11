// The status bar item's text, tooltip and warning state, computed by one pure function from
// everything the extension knows (statusbar-sample's habit). Unit-tested without an editor.
import { formatBytes } from '../cli/common';
import type { ProcessorStatus } from '../processing/status';
import type { HooksState } from './hooksState';
import type { SupervisorSnapshot } from './processSupervisor';
import type { CounterMode } from './settings';
import type { Trend } from './statusTrend';

export type Severity = 'ok' | 'warning' | 'error';

export interface StatusInputs {
  /** The latest status the processor child sent (a passive child relays the leader's). */
  processor: ProcessorStatus | undefined;
  supervisor: SupervisorSnapshot;
  hooks: HooksState;
  /** False when the user chose never to install hooks (blueplane.hooks.autoInstall "never"): no warning then. */
  hooksExpected: boolean;
  trend: Trend;
  counter: CounterMode;
  now: number;
}

export interface StatusView {
  /** Status bar text, with a codicon. */
  text: string;
  /** Markdown for the hover. */
  tooltip: string;
  /** Screen-reader label; it also names which window writes the database. */
  ariaLabel: string;
  severity: Severity;
  /** One sentence each, most serious first. */
  problems: string[];
}

/** A processor that has not reported for this long is treated as gone. */
export const STALE_AFTER_MS = 10_000;

const number = new Intl.NumberFormat('en-US');

export function counterValue(status: ProcessorStatus, mode: CounterMode): number {
  return mode === 'session' ? status.fastPath.written : status.database.rows;
}

export function renderStatus(input: StatusInputs): StatusView {
  const { supervisor, hooks, trend, now } = input;
  const status = input.processor && now - Date.parse(input.processor.updatedAt) < STALE_AFTER_MS ? input.processor : undefined;
  const errors: string[] = [];
  const warnings: string[] = [];

  if (supervisor.state === 'backoff' && supervisor.lastExit) errors.push(supervisor.lastExit);
  else if (supervisor.state === 'stopped') errors.push('The processor is stopped; run Blueplane: Restart Processor.');
  else if (!status && input.processor && supervisor.state === 'running') errors.push('The processor stopped reporting; run Blueplane: Restart Processor or look at Blueplane: Show Logs.');
  if (status) {
    if (status.redis.state === 'down') errors.push(status.redis.error ?? `Redis at ${status.redis.url} is not reachable; start redis-server.`);
    if (status.error && status.error !== status.redis.error) errors.push(status.error);
    if (status.role === 'error' && !status.error) errors.push('The processor failed to start; see Blueplane: Show Logs.');
    warnings.push(...status.warnings);
  }
  if (hooks.kind === 'error' || (input.hooksExpected && (hooks.kind === 'missing' || hooks.kind === 'partial'))) {
    warnings.push(`Cursor hooks are ${hooks.kind === 'error' ? 'unreadable' : hooks.kind === 'partial' ? 'incomplete' : 'not installed'}, so agent events are not captured; run Blueplane: Install Cursor Hooks.`);
  }
  if (trend.spoolStuck) warnings.push(`Events are waiting in the spool (${status?.spool?.backlog ?? '?'} files) instead of reaching Redis.`);
  if (trend.dlqGrowth > 0) warnings.push(`${trend.dlqGrowth} event(s) went to the dead letter queue in the last 10 minutes; run Blueplane: Show Dead Letter Queue.`);

  const severity: Severity = errors.length > 0 ? 'error' : warnings.length > 0 ? 'warning' : 'ok';
  const problems = [...errors, ...warnings];
  const count = status ? number.format(counterValue(status, input.counter)) : undefined;

  let text: string;
  if (!status && (supervisor.state === 'starting' || supervisor.state === 'idle' || (supervisor.state === 'running' && !input.processor))) {
    text = '$(sync~spin) Blueplane';
  } else if (!status) {
    text = '$(error) Blueplane';
  } else {
    const icon = severity === 'error' ? '$(error)' : severity === 'warning' ? '$(warning)' : '$(pulse)';
    text = `${icon} ${count} events`;
  }

  const role = describeRole(status, supervisor);
  const what = input.counter === 'session' ? 'events stored since the processor started' : 'events stored';
  const ariaLabel = [`Blueplane Telemetry: ${count !== undefined ? `${count} ${what}` : 'no processor status yet'}`, role, ...(problems.length > 0 ? [problems[0]] : [])].join('; ');
  return { text, tooltip: renderTooltip(input, status, role, problems), ariaLabel, severity, problems };
}

function describeRole(status: ProcessorStatus | undefined, supervisor: SupervisorSnapshot): string {
  if (!status) {
    if (supervisor.state === 'backoff') return 'the processor is restarting';
    if (supervisor.state === 'stopped') return 'the processor is stopped';
    return 'the processor is starting';
  }
  switch (status.role) {
    case 'leader':
      return `this window writes the database (processor pid ${status.pid})`;
    case 'passive':
      return status.leaderPid ? `another window writes the database (pid ${status.leaderPid}); this one shows its status` : 'waiting to take over writing the database';
    default:
      return `the processor is ${status.role}`;
  }
}

function renderTooltip(input: StatusInputs, status: ProcessorStatus | undefined, role: string, problems: string[]): string {
  const lines: string[] = ['**Blueplane Telemetry**', '', capitalise(role) + '.', ''];
  for (const p of problems) lines.push(`$(warning) ${escapeMarkdown(p)}`, '');
  if (status) {
    const f = status.fastPath;
    const s = status.streams;
    const rows: Array<[string, string]> = [
      ['Events stored', number.format(status.database.rows)],
      ['This session', `${number.format(f.written)} written, ${number.format(f.duplicates)} duplicates`],
      ['Rate', `${f.ratePerSec} events/s`],
      ['Backlog', `lag ${fmt(s.lag)}, pending ${fmt(s.pending)}${status.spool ? `, spool ${number.format(status.spool.backlog)}` : ''}`],
      ['Dead letters', fmt(s.dlqLength)],
      ['CDC stream', s.cdcLength === null ? 'unknown' : `${number.format(s.cdcLength)} entries`],
      ['Last durable flush', status.database.lastFlushAt ? `${ago(status.database.lastFlushAt, input.now)}${status.database.lastFlushMs !== undefined ? ` (${Math.round(status.database.lastFlushMs)} ms)` : ''}` : 'none yet'],
      ['Database size', status.database.bytes > 0 ? formatBytes(status.database.bytes) : 'not flushed yet'],
      ['Redis', status.redis.state === 'up' ? `up (${status.redis.url})` : `down (${status.redis.url})`],
      ['Cursor hooks', `${input.hooks.kind}: ${input.hooks.detail}`],
    ];
    lines.push('| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${escapeMarkdown(v)} |`), '');
  } else {
    lines.push(`Cursor hooks: ${escapeMarkdown(`${input.hooks.kind}: ${input.hooks.detail}`)}`, '');
  }
  lines.push('Click for Blueplane commands.');
  return lines.join('\n');
}

function fmt(v: number | null): string {
  return v === null ? 'unknown' : number.format(v);
}

/** "3 s ago", "5 min ago", "2 h ago". */
export function ago(iso: string, now: number): string {
  const ms = Math.max(0, now - Date.parse(iso));
  if (Number.isNaN(ms)) return 'unknown';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Table cells and list lines must not break on `|`, newlines or markdown markup in messages. */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/([\\`*_{}[\]<>()#+!|~])/g, '\\$1');
}
