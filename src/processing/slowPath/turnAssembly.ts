import type { EventFact } from './eventFacts';

/**
 * Folding one generation's events (one user message and the agent work it started) into the
 * steps of a conversation timeline. Cursor reports one tool call through several hooks: for a
 * shell command with every hook installed, preToolUse, beforeShellExecution,
 * afterShellExecution and postToolUse. Counted separately that would be four steps and two
 * "shell commands", so they are merged into one `tool_call` turn:
 *
 * - pre/postToolUse(Failure) and subagentStart/Stop share an id (tool_use_id, subagent_id);
 * - before/afterShellExecution and before/afterMCPExecution carry no id: an `after` closes the
 *   earliest open `before` with the same command (or MCP input);
 * - those pairs, beforeReadFile and afterFileEdit then join the id-keyed call of the same kind
 *   and subject (command, file path, MCP tool) nearest in time, or stand alone when the
 *   tool-level hooks did not fire (older Cursor builds, or a read of an attachment).
 *
 * Pure and deterministic: the result depends only on the set of facts, not on the order they
 * arrived in, so the live path and a rebuild give the same turns.
 */

export type TurnType =
  | 'session_start'
  | 'user_prompt'
  | 'thought'
  | 'tool_call'
  | 'response'
  | 'stop'
  | 'compaction'
  | 'session_end'
  | string;

export interface Turn {
  turn_key: string;
  generation_id: string;
  turn_type: TurnType;
  tool_name: string | null;
  subject: string | null;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  /** tool calls: ok | error | timeout | permission_denied | interrupted | aborted | pending. */
  outcome: string | null;
  exit_code: number | null;
  model: string | null;
  tokens_used: number | null;
  content_hash: string | null;
  content_chars: number | null;
  first_sequence: number;
  event_ids: string[];
}

type Family = 'shell' | 'mcp' | 'read' | 'edit' | 'task' | 'other';

const KEYED_TOOL_HOOKS = new Set(['preToolUse', 'postToolUse', 'postToolUseFailure', 'subagentStart', 'subagentStop']);
const PAIRED_HOOKS: Record<string, 'before' | 'after'> = {
  beforeShellExecution: 'before',
  afterShellExecution: 'after',
  beforeMCPExecution: 'before',
  afterMCPExecution: 'after',
};
const SINGLE_TOOL_HOOKS = new Set(['beforeReadFile', 'afterFileEdit']);
// Which hook's report of a call's end wins when several describe it (the tool-level one is the
// most complete: it has the exit code and reports failures).
const COMPLETION_RANK: Record<string, number> = {
  postToolUseFailure: 0,
  postToolUse: 1,
  afterShellExecution: 2,
  afterMCPExecution: 2,
  subagentStop: 3,
};

const TURN_TYPE_BY_HOOK: Record<string, TurnType> = {
  sessionStart: 'session_start',
  beforeSubmitPrompt: 'user_prompt',
  afterAgentThought: 'thought',
  afterAgentResponse: 'response',
  stop: 'stop',
  preCompact: 'compaction',
  sessionEnd: 'session_end',
};

const EDIT_TOOLS = new Set(['Write', 'Edit', 'StrReplace', 'MultiEdit', 'Delete', 'ApplyPatch', 'NotebookEdit', 'Create']);

export function toolFamily(toolName: string | null): Family {
  if (!toolName) return 'other';
  if (toolName === 'Shell' || toolName === 'Bash') return 'shell';
  if (toolName.startsWith('MCP:')) return 'mcp';
  if (toolName === 'Read') return 'read';
  if (toolName === 'Task') return 'task';
  if (EDIT_TOOLS.has(toolName)) return 'edit';
  return 'other';
}

function hookFamily(fact: EventFact): Family {
  switch (fact.hook_type) {
    case 'beforeShellExecution':
    case 'afterShellExecution':
      return 'shell';
    case 'beforeMCPExecution':
    case 'afterMCPExecution':
      return 'mcp';
    case 'beforeReadFile':
      return 'read';
    case 'afterFileEdit':
      return 'edit';
    default:
      return 'other';
  }
}

export function compareFacts(a: EventFact, b: EventFact): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.sequence - b.sequence;
}

interface Builder {
  key: string;
  facts: EventFact[];
  /** Hook families already folded in, so one call takes at most one shell pair, one read... */
  attached: Set<Family>;
}

function sameSubject(family: Family, call: Builder, group: EventFact[]): boolean {
  const callFact = call.facts[0];
  const hookFact = group[0];
  // MCP inputs arrive as a JSON string on the MCP hooks and as an object on preToolUse: the
  // tool name is the reliable match.
  if (family === 'mcp') return callFact.tool_name === hookFact.tool_name;
  // In privacy mode `metadata` commands and tool inputs are redacted: when a side has no
  // subject, the kind of call and the nearest time have to do.
  if (callFact.subject === null || hookFact.subject === null) return true;
  return callFact.subject === hookFact.subject;
}

function timeMs(iso: string): number {
  return Date.parse(iso);
}

/**
 * Assemble the turns of one generation. `facts` may include events filed under another
 * generation (a subagent's start and stop, see generationRefresh.ts): the turns still belong to
 * `generationId`. `tokensByEvent` gives input+output for events that reported them.
 */
export function assembleTurns(facts: EventFact[], generationId: string, tokensByEvent: ReadonlyMap<string, number> = new Map()): Turn[] {
  const ordered = [...facts].sort(compareFacts);
  const keyed = new Map<string, Builder>();
  const builders: Builder[] = [];
  const groups: Array<{ family: Family; facts: EventFact[] }> = [];
  const openPairs = new Map<string, EventFact[][]>();

  for (const fact of ordered) {
    if (KEYED_TOOL_HOOKS.has(fact.hook_type) && fact.call_id) {
      const key = `tool:${fact.call_id}`;
      let builder = keyed.get(key);
      if (!builder) {
        builder = { key, facts: [], attached: new Set() };
        keyed.set(key, builder);
        builders.push(builder);
      }
      builder.facts.push(fact);
    } else if (PAIRED_HOOKS[fact.hook_type]) {
      const pairKey = `${fact.tool_name}\u0000${fact.subject ?? ''}`;
      const open = openPairs.get(pairKey) ?? [];
      if (PAIRED_HOOKS[fact.hook_type] === 'before') {
        const group = [fact];
        open.push(group);
        openPairs.set(pairKey, open);
        groups.push({ family: hookFamily(fact), facts: group });
      } else {
        const before = open.shift();
        if (before) before.push(fact);
        else groups.push({ family: hookFamily(fact), facts: [fact] });
      }
    } else if (SINGLE_TOOL_HOOKS.has(fact.hook_type)) {
      groups.push({ family: hookFamily(fact), facts: [fact] });
    } else {
      builders.push({ key: `event:${fact.event_id}`, facts: [fact], attached: new Set() });
    }
  }

  groups.sort((a, b) => compareFacts(a.facts[0], b.facts[0]));
  const keyedCalls = [...keyed.values()];
  for (const group of groups) {
    const start = timeMs(group.facts[0].timestamp);
    let best: Builder | undefined;
    let bestDistance = Infinity;
    for (const call of keyedCalls) {
      if (call.attached.has(group.family)) continue;
      if (toolFamily(call.facts[0].tool_name) !== group.family) continue;
      if (!sameSubject(group.family, call, group.facts)) continue;
      const distance = Math.abs(timeMs(call.facts[0].timestamp) - start);
      if (distance < bestDistance) {
        best = call;
        bestDistance = distance;
      }
    }
    if (best) {
      best.facts.push(...group.facts);
      best.attached.add(group.family);
    } else {
      builders.push({ key: `event:${group.facts[0].event_id}`, facts: group.facts, attached: new Set([group.family]) });
    }
  }

  return builders.map((b) => buildTurn(b, generationId, tokensByEvent)).sort((a, b) =>
    a.started_at !== b.started_at ? (a.started_at < b.started_at ? -1 : 1) : a.first_sequence - b.first_sequence,
  );
}

function buildTurn(builder: Builder, generationId: string, tokensByEvent: ReadonlyMap<string, number>): Turn {
  const facts = [...builder.facts].sort(compareFacts);
  const first = facts[0];
  const isTool = builder.key.startsWith('tool:') || builder.attached.size > 0 || KEYED_TOOL_HOOKS.has(first.hook_type);
  const firstWith = <K extends keyof EventFact>(field: K): EventFact[K] | null => {
    for (const f of facts) if (f[field] !== null && f[field] !== undefined) return f[field];
    return null;
  };
  const turn: Turn = {
    turn_key: builder.key,
    generation_id: generationId,
    turn_type: isTool ? 'tool_call' : (TURN_TYPE_BY_HOOK[first.hook_type] ?? first.event_type),
    tool_name: firstWith('tool_name'),
    subject: firstWith('subject'),
    started_at: first.timestamp,
    ended_at: null,
    duration_ms: null,
    outcome: null,
    exit_code: null,
    model: firstWith('model'),
    tokens_used: null,
    content_hash: firstWith('content_hash'),
    content_chars: firstWith('content_chars'),
    first_sequence: Math.min(...facts.map((f) => f.sequence)),
    event_ids: [...facts].sort((a, b) => a.sequence - b.sequence).map((f) => f.event_id),
  };
  for (const f of facts) {
    const tokens = tokensByEvent.get(f.event_id);
    if (tokens !== undefined) turn.tokens_used = (turn.tokens_used ?? 0) + tokens;
  }

  if (!isTool) {
    turn.outcome = first.outcome;
    turn.duration_ms = first.duration_ms;
    return turn;
  }
  const completions = facts
    .filter((f) => COMPLETION_RANK[f.hook_type] !== undefined)
    .sort((a, b) => COMPLETION_RANK[a.hook_type] - COMPLETION_RANK[b.hook_type] || compareFacts(a, b));
  if (completions.length === 0) {
    // An edit or read reported without its tool call (older builds, attachments) has happened;
    // a tool call whose end has not arrived yet is pending.
    const standalone = !facts.some((f) => KEYED_TOOL_HOOKS.has(f.hook_type));
    turn.outcome = standalone && facts.some((f) => f.hook_type === 'afterFileEdit' || f.hook_type === 'beforeReadFile') ? 'ok' : 'pending';
    return turn;
  }
  turn.ended_at = completions.reduce((latest, f) => (f.timestamp > latest ? f.timestamp : latest), completions[0].timestamp);
  turn.outcome = completions[0].outcome ?? 'ok';
  turn.exit_code = completions.find((f) => f.exit_code !== null)?.exit_code ?? null;
  const reported = completions.find((f) => f.duration_ms !== null)?.duration_ms ?? null;
  // A reported duration is measured by Cursor; the span between two hook timestamps is the
  // fallback, and only when the call really has a start and an end.
  turn.duration_ms = reported ?? (facts.length > 1 ? Math.max(0, timeMs(turn.ended_at) - timeMs(turn.started_at)) : null);
  return turn;
}
