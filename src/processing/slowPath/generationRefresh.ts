import type { DirtyScopes } from './dirtyScopes';
import type { EventFact } from './eventFacts';
import { factFromRow, type FactRow } from './factRows';
import type { StatementCache } from './statementCache';
import { OPEN_SUBAGENT_SPAN_MS, subagentSpans } from './subagentLinks';
import { assembleTurns, type Turn } from './turnAssembly';

const SELECT_FACTS = `
  SELECT * FROM event_facts WHERE conversation_id = ? AND generation_id = ? ORDER BY timestamp, sequence`;
// Cursor files subagentStart/Stop under generation_id = conversation_id, not under the prompt
// whose Task call started the subagent (reference/cursor-hooks.md §3). The Task call shares
// their id, so the generation holding the Task call claims them.
const SELECT_TASK_OWNER = `
  SELECT generation_id FROM event_facts
   WHERE conversation_id = ? AND call_id = ? AND tool_name = 'Task' AND generation_id != ?
     AND hook_type IN ('preToolUse', 'postToolUse', 'postToolUseFailure')
   ORDER BY timestamp, sequence LIMIT 1`;
const SELECT_CLAIMED_SUBAGENT_FACTS = `
  SELECT * FROM event_facts
   WHERE conversation_id = ? AND call_id = ? AND tool_name = 'Task' AND event_type = 'subagent' AND generation_id != ?`;
const SELECT_LEDGER = `
  SELECT event_id, hook_type, timestamp, input_tokens, output_tokens, reported, counted, note
    FROM token_ledger WHERE conversation_id = ? AND generation_id = ?`;
const UPDATE_LEDGER = 'UPDATE token_ledger SET counted = ?, note = ? WHERE event_id = ?';
const SELECT_TURNS = 'SELECT turn_key, started_at FROM conversation_turns WHERE conversation_id = ? AND generation_id = ?';
const DELETE_TURN = 'DELETE FROM conversation_turns WHERE conversation_id = ? AND turn_key = ?';
const UPSERT_TURN = `
  INSERT INTO conversation_turns (
    conversation_id, turn_key, turn_number, generation_id, turn_type, tool_name, subject, started_at,
    ended_at, duration_ms, outcome, exit_code, model, tokens_used, content_hash, content_chars,
    first_sequence, event_ids
  ) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (conversation_id, turn_key) DO UPDATE SET
    generation_id = excluded.generation_id, turn_type = excluded.turn_type,
    tool_name = excluded.tool_name, subject = excluded.subject, started_at = excluded.started_at,
    ended_at = excluded.ended_at, duration_ms = excluded.duration_ms, outcome = excluded.outcome,
    exit_code = excluded.exit_code, model = excluded.model, tokens_used = excluded.tokens_used,
    content_hash = excluded.content_hash, content_chars = excluded.content_chars,
    first_sequence = excluded.first_sequence, event_ids = excluded.event_ids`;
const ATTRIBUTE_CHANGE = 'UPDATE code_changes SET turn_key = ?, prompt_turn_key = ? WHERE event_id = ?';
const SELECT_CHILD_CANDIDATES = `
  SELECT conversation_id FROM conversations
   WHERE workspace_hash = ? AND started_at >= ? AND started_at <= ? AND prompt_count = 0 AND conversation_id != ?`;

interface LedgerRow {
  event_id: string;
  hook_type: string;
  timestamp: string;
  input_tokens: number | null;
  output_tokens: number | null;
  reported: number;
  counted: number;
  note: string | null;
}

/**
 * Recompute one generation's turns from its facts: assemble, replace the stored turns, attribute
 * its code changes to their turn and prompt, and decide which token reports count. Then mark
 * what depends on it: its conversation, the days its turns fall on, and conversations that may
 * be subagents of a subagent call in it.
 */
export function refreshGeneration(statements: StatementCache, dirty: DirtyScopes, conversationId: string, generationId: string): void {
  const facts = generationFacts(statements, dirty, conversationId, generationId);
  const tokensByEvent = settleTokenLedger(statements, dirty, conversationId, generationId);
  const turns = facts.length > 0 ? assembleTurns(facts, generationId, tokensByEvent) : [];

  const keep = new Set(turns.map((t) => t.turn_key));
  for (const old of statements.all<{ turn_key: string; started_at: string }>(SELECT_TURNS, [conversationId, generationId])) {
    if (keep.has(old.turn_key)) continue;
    statements.run(DELETE_TURN, [conversationId, old.turn_key]);
    dirty.mark('day', old.started_at.slice(0, 10));
  }
  for (const turn of turns) {
    writeTurn(statements, conversationId, turn);
    dirty.mark('day', turn.started_at.slice(0, 10));
  }
  attributeCodeChanges(statements, facts, turns);
  markSubagentCandidates(statements, dirty, conversationId, facts);
  dirty.mark('conversation', conversationId);
}

/** The generation's own facts, less subagent events a Task call elsewhere claims, plus those its own Task calls claim. */
function generationFacts(statements: StatementCache, dirty: DirtyScopes, conversationId: string, generationId: string): EventFact[] {
  const own = statements.all<FactRow>(SELECT_FACTS, [conversationId, generationId]).map(factFromRow);
  const facts: EventFact[] = [];
  const taskCalls = new Set<string>();
  for (const f of own) {
    if (f.event_type === 'subagent' && f.call_id) {
      const owner = statements.one<{ generation_id: string }>(SELECT_TASK_OWNER, [conversationId, f.call_id, generationId]);
      if (owner) {
        dirty.markGeneration(conversationId, owner.generation_id);
        continue;
      }
    }
    if (f.tool_name === 'Task' && f.call_id && f.event_type === 'tool_use') taskCalls.add(f.call_id);
    facts.push(f);
  }
  for (const callId of taskCalls) {
    facts.push(...statements.all<FactRow>(SELECT_CLAIMED_SUBAGENT_FACTS, [conversationId, callId, generationId]).map(factFromRow));
  }
  return facts;
}

function writeTurn(statements: StatementCache, conversationId: string, t: Turn): void {
  statements.run(UPSERT_TURN, [
    conversationId, t.turn_key, t.generation_id, t.turn_type, t.tool_name, t.subject, t.started_at, t.ended_at,
    t.duration_ms, t.outcome, t.exit_code, t.model, t.tokens_used, t.content_hash, t.content_chars,
    t.first_sequence, JSON.stringify(t.event_ids),
  ]);
}

/**
 * Which token reports count. A `stop` reports the whole agent loop; some builds also put counts
 * on afterAgentResponse, and adding both would count the loop twice. So a generation's stop
 * counts when it has counts, and response counts only when no stop of the generation has any.
 * Returns each reporting event's input+output, for the turns.
 */
function settleTokenLedger(statements: StatementCache, dirty: DirtyScopes, conversationId: string, generationId: string): Map<string, number> {
  const rows = statements.all<LedgerRow>(SELECT_LEDGER, [conversationId, generationId]);
  const stopReported = rows.some((r) => r.hook_type === 'stop' && r.reported === 1);
  const totals = new Map<string, number>();
  for (const row of rows) {
    let counted = 0;
    let note: string | null = null;
    if (row.reported !== 1) note = 'no token counts reported';
    else if (row.hook_type === 'stop' || !stopReported) counted = 1;
    else note = 'covered by the stop of this generation';
    if (row.reported === 1) totals.set(row.event_id, (row.input_tokens ?? 0) + (row.output_tokens ?? 0));
    if (counted !== row.counted || note !== row.note) {
      statements.run(UPDATE_LEDGER, [counted, note, row.event_id]);
      dirty.mark('day', row.timestamp.slice(0, 10));
    }
  }
  return totals;
}

function attributeCodeChanges(statements: StatementCache, facts: EventFact[], turns: Turn[]): void {
  const edits = facts.filter((f) => f.hook_type === 'afterFileEdit');
  if (edits.length === 0) return;
  const turnOfEvent = new Map<string, string>();
  for (const turn of turns) for (const id of turn.event_ids) turnOfEvent.set(id, turn.turn_key);
  const promptTurn = turns.find((t) => t.turn_type === 'user_prompt')?.turn_key ?? null;
  for (const edit of edits) statements.run(ATTRIBUTE_CHANGE, [turnOfEvent.get(edit.event_id) ?? null, promptTurn, edit.event_id]);
}

/**
 * A subagent's own events arrive under a conversation id of their own, with no link to the
 * parent (reference/cursor-hooks.md §3); conversationRefresh links them by time. When a subagent
 * call changes here, every conversation that started inside its span, as it is now or as it was
 * while it had no stop (open for OPEN_SUBAGENT_SPAN_MS), must be linked again.
 */
function markSubagentCandidates(statements: StatementCache, dirty: DirtyScopes, conversationId: string, facts: EventFact[]): void {
  for (const span of subagentSpans(facts)) {
    if (!span.workspaceHash) continue;
    const to = Math.max(span.endMs, span.startMs + OPEN_SUBAGENT_SPAN_MS);
    const rows = statements.all<{ conversation_id: string }>(SELECT_CHILD_CANDIDATES, [
      span.workspaceHash, new Date(span.startMs).toISOString(), new Date(to).toISOString(), conversationId,
    ]);
    for (const row of rows) dirty.mark('conversation', row.conversation_id);
  }
}
