import { collectMetrics, METRIC_COLUMN_NAMES, metricColumnValues } from './metricsCollector';
import type { StatementCache } from './statementCache';
import { findSubagentParent, NO_LINK, type SubagentLink } from './subagentLinks';

const SUMMARY = `
  SELECT count(*) AS events, min(timestamp) AS first_at, max(timestamp) AS last_at,
         sum(event_type = 'user_prompt') AS prompts,
         sum(event_type IN ('tool_use', 'shell_execution', 'mcp_execution', 'file_read', 'file_edit',
                            'assistant_response', 'assistant_thought', 'agent_stop')) AS agent_events
    FROM event_facts WHERE conversation_id = ?`;
const IDENTITY = `
  SELECT platform, workspace_hash FROM event_facts WHERE conversation_id = ?
   ORDER BY workspace_hash IS NULL, timestamp, sequence LIMIT 1`;
const MODELS = 'SELECT DISTINCT model FROM event_facts WHERE conversation_id = ? AND model IS NOT NULL ORDER BY model';
// The latest of: a prompt (the agent is at work again), a stop (its loop ended) and a sessionEnd.
const LAST_STATE_EVENT = `
  SELECT hook_type, outcome FROM event_facts
   WHERE conversation_id = ? AND hook_type IN ('beforeSubmitPrompt', 'stop', 'sessionEnd')
   ORDER BY timestamp DESC, sequence DESC LIMIT 1`;
const RENUMBER_TURNS = `
  UPDATE conversation_turns SET turn_number = ordered.n
    FROM (SELECT turn_key, row_number() OVER (ORDER BY started_at, first_sequence, turn_key) AS n
            FROM conversation_turns WHERE conversation_id = ?1) AS ordered
   WHERE conversation_turns.conversation_id = ?1 AND conversation_turns.turn_key = ordered.turn_key
     AND conversation_turns.turn_number != ordered.n`;
const COUNT_TURNS = 'SELECT count(*) AS n FROM conversation_turns WHERE conversation_id = ?';
const UPSERT_CONVERSATION = `
  INSERT INTO conversations (
    conversation_id, platform, workspace_hash, started_at, ended_at, status, end_reason, models,
    parent_conversation_id, subagent_turn_key, subagent_type, event_count, prompt_count, turn_count
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (conversation_id) DO UPDATE SET
    platform = excluded.platform, workspace_hash = excluded.workspace_hash,
    started_at = excluded.started_at, ended_at = excluded.ended_at, status = excluded.status,
    end_reason = excluded.end_reason, models = excluded.models,
    parent_conversation_id = excluded.parent_conversation_id,
    subagent_turn_key = excluded.subagent_turn_key, subagent_type = excluded.subagent_type,
    event_count = excluded.event_count, prompt_count = excluded.prompt_count,
    turn_count = excluded.turn_count`;
const UPSERT_SESSION_METRICS = `
  INSERT OR REPLACE INTO session_metrics (conversation_id, ${METRIC_COLUMN_NAMES.join(', ')})
  VALUES (?${', ?'.repeat(METRIC_COLUMN_NAMES.length)})`;
const DELETE_CONVERSATION = [
  'DELETE FROM conversations WHERE conversation_id = ?',
  'DELETE FROM session_metrics WHERE conversation_id = ?',
  'DELETE FROM conversation_turns WHERE conversation_id = ?',
];

interface Summary {
  events: number;
  first_at: string | null;
  last_at: string | null;
  prompts: number | null;
  agent_events: number | null;
}

/**
 * Status of a conversation: `active` while the agent works (or nothing says otherwise), the
 * last stop's status once its loop ends (completed, aborted, error), `ended` after sessionEnd
 * (end_reason says why). A subagent's conversation has no stop of its own: its parent's
 * subagentStop says how it ended.
 */
function statusOf(last: { hook_type: string; outcome: string | null } | undefined, link: SubagentLink): { status: string; endReason: string | null } {
  if (last?.hook_type === 'sessionEnd') return { status: 'ended', endReason: last.outcome };
  if (last?.hook_type === 'stop') return { status: last.outcome ?? 'completed', endReason: null };
  if (last?.hook_type === 'beforeSubmitPrompt') return { status: 'active', endReason: null };
  if (link.outcome) return { status: link.outcome === 'ok' ? 'completed' : link.outcome, endReason: null };
  return { status: 'active', endReason: null };
}

/** Recompute one conversation's row, the order of its turns, and its session metrics. */
export function refreshConversation(statements: StatementCache, conversationId: string): void {
  const summary = statements.one<Summary>(SUMMARY, [conversationId]);
  if (!summary || summary.events === 0 || !summary.first_at || !summary.last_at) {
    for (const sql of DELETE_CONVERSATION) statements.run(sql, [conversationId]);
    return;
  }
  const identity = statements.one<{ platform: string; workspace_hash: string | null }>(IDENTITY, [conversationId]);
  statements.run(RENUMBER_TURNS, [conversationId]);
  const turnCount = statements.one<{ n: number }>(COUNT_TURNS, [conversationId])?.n ?? 0;
  const models = statements.all<{ model: string }>(MODELS, [conversationId]).map((r) => r.model);
  const prompts = summary.prompts ?? 0;
  const workspace = identity?.workspace_hash ?? null;
  // Only a conversation that did agent work without ever being prompted can be a subagent's.
  const link =
    prompts === 0 && (summary.agent_events ?? 0) > 0 && workspace
      ? findSubagentParent(statements, conversationId, workspace, summary.first_at)
      : NO_LINK;
  const { status, endReason } = statusOf(statements.one(LAST_STATE_EVENT, [conversationId]), link);

  statements.run(UPSERT_CONVERSATION, [
    conversationId, identity?.platform ?? 'unknown', workspace, summary.first_at, summary.last_at, status, endReason,
    JSON.stringify(models), link.parent_conversation_id, link.subagent_turn_key, link.subagent_type, summary.events,
    prompts, turnCount,
  ]);
  const metrics = collectMetrics(statements, { conversationId });
  statements.run(UPSERT_SESSION_METRICS, [conversationId, ...metricColumnValues(metrics)]);
}
