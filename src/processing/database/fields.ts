import { workspaceHash } from '../../capture/envelope';
import type { TelemetryEvent } from '../../shared/event';
import { num, str } from '../../shared/values';
import { countEditLines } from './lineDiff';

/** The workspace_hash column: the same hash the capture envelope puts in metadata. */
export const hashWorkspace: (root: string) => string = workspaceHash;

/** The columns of raw_traces that are extracted from an event, for indexes and quick queries. */
export interface IndexedFields {
  event_id: string;
  session_id: string | null;
  event_type: string;
  hook_type: string | null;
  platform: string;
  timestamp: string;
  workspace_hash: string | null;
  model: string | null;
  tool_name: string | null;
  duration_ms: number | null;
  tokens_used: number | null;
  lines_added: number | null;
  lines_removed: number | null;
}



/** UTC ISO with milliseconds, so that text order is time order and DATE() is the UTC day. */
export function normaliseTimestamp(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

// Which tool an event is about, for the hook events that do not name one.
const TOOL_BY_HOOK: Record<string, string> = {
  beforeShellExecution: 'Shell',
  afterShellExecution: 'Shell',
  beforeReadFile: 'Read',
  beforeTabFileRead: 'TabRead',
  afterFileEdit: 'Write',
  afterTabFileEdit: 'TabWrite',
  subagentStart: 'Task',
  subagentStop: 'Task',
};

/**
 * Tokens an event reports. Cursor's `stop` (and `afterAgentResponse` in recent builds) carry
 * input/output counts; cache reads are part of the input and are not added again. Events that
 * carry none give NULL, never a guess.
 */
function tokensOf(p: Record<string, unknown>, m: Record<string, unknown>): number | null {
  const input = num(p.input_tokens) ?? num(p.inputTokens);
  const output = num(p.output_tokens) ?? num(p.outputTokens);
  if (input !== null || output !== null) return (input ?? 0) + (output ?? 0);
  return num(m.tokens_used) ?? num(p.tokens_used);
}

export function extractIndexedFields(event: TelemetryEvent): IndexedFields {
  const p = event.payload;
  const m = event.metadata;
  const roots = Array.isArray(p.workspace_roots) ? p.workspace_roots : [];
  const workspaceHash = str(m.workspace_hash) ?? (typeof roots[0] === 'string' ? hashWorkspace(roots[0]) : null);
  const mcpTool = event.hook_type.endsWith('MCPExecution') && str(p.tool_name) ? `MCP:${p.tool_name as string}` : null;
  const duration = num(p.duration_ms) ?? num(p.duration) ?? num(m.duration_ms);
  const lines =
    event.event_type === 'file_edit' ? countEditLines(p.edits) : undefined;
  return {
    event_id: event.event_id,
    session_id: str(event.session_id),
    event_type: event.event_type,
    hook_type: str(event.hook_type),
    platform: event.platform,
    timestamp: normaliseTimestamp(event.timestamp),
    workspace_hash: workspaceHash,
    model: str(m.model) ?? str(p.model) ?? str(p.model_id) ?? str(p.subagent_model),
    tool_name: mcpTool ?? str(p.tool_name) ?? TOOL_BY_HOOK[event.hook_type] ?? null,
    duration_ms: duration === null ? null : Math.round(duration),
    tokens_used: tokensOf(p, m),
    lines_added: lines ? lines.added : null,
    lines_removed: lines ? lines.removed : null,
  };
}
