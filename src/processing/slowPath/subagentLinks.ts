import type { EventFact } from './eventFacts';
import { factFromRow, type FactRow } from './factRows';
import type { QueryRunner } from './metricsCollector';

/**
 * Linking a subagent's conversation to its parent. Cursor sends a subagent's own events under a
 * new conversation_id with no parent link; only subagentStart/Stop, in the parent conversation,
 * carry parent_conversation_id, and they lack the child's id (reference/cursor-hooks.md §3). So
 * the link is made by time, as the reference advises: a conversation with no user prompt whose
 * first event falls inside a subagent span (start to stop) of the same workspace.
 *
 * When several spans contain it (parallel workers), the parent is still certain if they all
 * belong to one conversation; which worker it was is not, and is left empty. Spans of different
 * parents make the link ambiguous and no link is recorded: a missing link is better than a
 * wrong one.
 */

/** How long a span without a subagentStop stays open (a lost stop must not capture every later conversation). */
export const OPEN_SUBAGENT_SPAN_MS = 2 * 60 * 60 * 1000;
/** How far back a subagentStop's start is looked for. */
export const SUBAGENT_LOOKBACK_MS = 24 * 60 * 60 * 1000;

export interface SubagentSpan {
  parentConversationId: string;
  turnKey: string;
  subagentType: string | null;
  workspaceHash: string | null;
  startMs: number;
  endMs: number;
  /** The subagentStop's outcome (ok, error, aborted), or null while it runs. */
  outcome: string | null;
}

export interface SubagentLink {
  parent_conversation_id: string | null;
  subagent_turn_key: string | null;
  subagent_type: string | null;
  /** The span's outcome when the link is to one span. */
  outcome: string | null;
}

export const NO_LINK: SubagentLink = { parent_conversation_id: null, subagent_turn_key: null, subagent_type: null, outcome: null };

function attr(f: EventFact | undefined, name: string): string | null {
  const value = f?.attrs?.[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The subagent spans described by a set of subagentStart/Stop facts (any conversations). */
export function subagentSpans(facts: EventFact[]): SubagentSpan[] {
  const groups = new Map<string, { start?: EventFact; stop?: EventFact }>();
  for (const f of facts) {
    if (f.hook_type !== 'subagentStart' && f.hook_type !== 'subagentStop') continue;
    // Without an id a start and its stop cannot be paired: each stands alone.
    const key = JSON.stringify([f.conversation_id, f.call_id ?? f.event_id]);
    const group = groups.get(key) ?? {};
    if (f.hook_type === 'subagentStart') group.start ??= f;
    else group.stop ??= f;
    groups.set(key, group);
  }
  const spans: SubagentSpan[] = [];
  for (const { start, stop } of groups.values()) {
    const any = (start ?? stop) as EventFact;
    let startMs: number;
    if (start) startMs = Date.parse(start.timestamp);
    else if (stop?.duration_ms !== null && stop?.duration_ms !== undefined) startMs = Date.parse(stop.timestamp) - stop.duration_ms;
    else continue; // a stop with neither its start nor a duration gives no span to link by
    spans.push({
      parentConversationId: attr(start, 'parent_conversation_id') ?? attr(stop, 'parent_conversation_id') ?? any.conversation_id,
      turnKey: any.call_id ? `tool:${any.call_id}` : `event:${any.event_id}`,
      subagentType: attr(start, 'subagent_type') ?? attr(stop, 'subagent_type'),
      workspaceHash: any.workspace_hash,
      startMs,
      endMs: stop ? Date.parse(stop.timestamp) : startMs + OPEN_SUBAGENT_SPAN_MS,
      outcome: stop?.outcome ?? null,
    });
  }
  return spans;
}

/** Pick the parent of a conversation whose first event is at `firstEventAt`, given the spans around it. */
export function chooseParent(spans: SubagentSpan[], conversationId: string, workspaceHash: string, firstEventAt: string): SubagentLink {
  const at = Date.parse(firstEventAt);
  const containing = spans.filter(
    (s) => s.workspaceHash === workspaceHash && s.parentConversationId !== conversationId && s.startMs <= at && at <= s.endMs,
  );
  const parents = new Set(containing.map((s) => s.parentConversationId));
  if (parents.size !== 1) return NO_LINK;
  const [parent] = parents;
  if (containing.length > 1) return { ...NO_LINK, parent_conversation_id: parent };
  const span = containing[0];
  return { parent_conversation_id: parent, subagent_turn_key: span.turnKey, subagent_type: span.subagentType, outcome: span.outcome };
}

const SELECT_SPAN_FACTS = `
  SELECT * FROM event_facts
   WHERE event_type = 'subagent' AND workspace_hash = ? AND timestamp >= ? AND timestamp <= ? AND conversation_id != ?`;

/** Find the parent of a prompt-less conversation from the subagent facts around its first event. */
export function findSubagentParent(q: QueryRunner, conversationId: string, workspaceHash: string, firstEventAt: string): SubagentLink {
  const at = Date.parse(firstEventAt);
  const rows = q.all<FactRow>(SELECT_SPAN_FACTS, [
    workspaceHash,
    new Date(at - SUBAGENT_LOOKBACK_MS).toISOString(),
    new Date(at + SUBAGENT_LOOKBACK_MS).toISOString(),
    conversationId,
  ]);
  return chooseParent(subagentSpans(rows.map(factFromRow)), conversationId, workspaceHash, firstEventAt);
}
