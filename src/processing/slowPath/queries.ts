import type { Database } from 'sql.js';
import { hasDerivedSchema } from './derivedSchema';
import { collectMetrics, collectTabMetrics, type Metrics, type QueryRunner, type TabMetrics } from './metricsCollector';
import { RawEventReader } from './rawEvents';
import type { SqlParams } from './statementCache';

/**
 * Read-only questions over the derived tables, for the CLI and the editor: which sessions, what
 * happened in one, what the agent did over a window. Each takes an open sql.js database and only
 * reads it.
 */

/** Queries straight on a database: prepare, read, free (no cache; these run once per command). */
export function queryRunner(db: Database): QueryRunner {
  const run = <T>(sql: string, params: SqlParams, limit: number): T[] => {
    const statement = db.prepare(sql);
    const rows: T[] = [];
    try {
      statement.bind(params);
      while (rows.length < limit && statement.step()) rows.push(statement.getAsObject() as T);
    } finally {
      statement.free();
    }
    return rows;
  };
  return {
    all: <T>(sql: string, params: SqlParams = []) => run<T>(sql, params, Infinity),
    one: <T>(sql: string, params: SqlParams = []) => run<T>(sql, params, 1)[0],
  };
}

function requireDerivedSchema(db: Database): void {
  if (!hasDerivedSchema(db)) {
    throw new Error('This database has no conversation tables yet (it predates the slow path); start the processor once or run `blueplane rebuild`.');
  }
}

export interface SessionSummary {
  conversation_id: string;
  platform: string;
  workspace_hash: string | null;
  started_at: string;
  ended_at: string;
  status: string;
  end_reason: string | null;
  models: string[];
  parent_conversation_id: string | null;
  subagent_type: string | null;
  prompts: number;
  turns: number;
  tool_calls: number;
  tool_failures: number;
  files_edited: number;
  lines_added: number;
  lines_removed: number;
  input_tokens: number | null;
  output_tokens: number | null;
  /** Conversations linked to this one as its subagents. */
  subagent_conversations: number;
}

export interface ListSessionsOptions {
  /** Most recent first; default 20. */
  limit?: number;
  /** Only sessions active at or after this time (epoch ms). */
  sinceMs?: number;
  /** Leave out the conversations of subagents (they show under their parent). */
  topLevelOnly?: boolean;
}

const SESSION_SELECT = `
  SELECT c.conversation_id, c.platform, c.workspace_hash, c.started_at, c.ended_at, c.status, c.end_reason,
         c.models, c.parent_conversation_id, c.subagent_type, c.prompt_count AS prompts, c.turn_count AS turns,
         coalesce(m.tool_calls, 0) AS tool_calls, coalesce(m.tool_failures, 0) AS tool_failures,
         coalesce(m.files_edited, 0) AS files_edited, coalesce(m.lines_added, 0) AS lines_added,
         coalesce(m.lines_removed, 0) AS lines_removed, m.input_tokens, m.output_tokens,
         (SELECT count(*) FROM conversations k WHERE k.parent_conversation_id = c.conversation_id) AS subagent_conversations
    FROM conversations c LEFT JOIN session_metrics m ON m.conversation_id = c.conversation_id`;

type SessionRow = Omit<SessionSummary, 'models'> & { models: string };

function toSummary(row: SessionRow): SessionSummary {
  return { ...row, models: JSON.parse(row.models) as string[] };
}

export function listSessions(db: Database, options: ListSessionsOptions = {}): SessionSummary[] {
  requireDerivedSchema(db);
  const where: string[] = [];
  const params: SqlParams = [];
  if (options.sinceMs !== undefined) {
    where.push('c.ended_at >= ?');
    params.push(new Date(options.sinceMs).toISOString());
  }
  if (options.topLevelOnly) where.push('c.parent_conversation_id IS NULL');
  params.push(options.limit ?? 20);
  const sql = `${SESSION_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.ended_at DESC, c.conversation_id LIMIT ?`;
  return queryRunner(db).all<SessionRow>(sql, params).map(toSummary);
}

export interface TimelineStep {
  number: number;
  at: string;
  type: string;
  tool: string | null;
  subject: string | null;
  duration_ms: number | null;
  outcome: string | null;
  exit_code: number | null;
  tokens: number | null;
  /** The first words of a prompt, thought or response, when the database keeps the text. */
  text: string | null;
  lines_added: number | null;
  lines_removed: number | null;
}

export interface SessionTimeline {
  session: SessionSummary;
  metrics: Metrics;
  subagents: Array<{ conversation_id: string; subagent_type: string | null; status: string; started_at: string }>;
  steps: TimelineStep[];
}

const SNIPPET_CHARS = 120;
const TEXT_TURNS = new Set(['user_prompt', 'thought', 'response']);

/** Find a conversation by its id or a unique prefix of it (like a short git hash). */
export function resolveConversationId(db: Database, idOrPrefix: string): string | undefined {
  requireDerivedSchema(db);
  const q = queryRunner(db);
  if (q.one('SELECT 1 AS hit FROM conversations WHERE conversation_id = ?', [idOrPrefix])) return idOrPrefix;
  if (idOrPrefix.length < 4) return undefined;
  const escaped = idOrPrefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  const matches = q.all<{ conversation_id: string }>(
    "SELECT conversation_id FROM conversations WHERE conversation_id LIKE ? ESCAPE '\\' LIMIT 2",
    [`${escaped}%`],
  );
  if (matches.length > 1) throw new Error(`Session id prefix "${idOrPrefix}" matches several sessions; give more characters.`);
  return matches[0]?.conversation_id;
}

/** A conversation as a readable sequence of steps, with its metrics and subagents. */
export function sessionTimeline(db: Database, idOrPrefix: string): SessionTimeline | undefined {
  const id = resolveConversationId(db, idOrPrefix);
  if (!id) return undefined;
  const q = queryRunner(db);
  const row = q.one<SessionRow>(`${SESSION_SELECT} WHERE c.conversation_id = ?`, [id]);
  if (!row) return undefined;
  const lines = new Map<string, { added: number; removed: number }>();
  for (const r of q.all<{ turn_key: string; added: number; removed: number }>(
    'SELECT turn_key, sum(lines_added) AS added, sum(lines_removed) AS removed FROM code_changes WHERE conversation_id = ? AND turn_key IS NOT NULL GROUP BY turn_key',
    [id],
  )) {
    lines.set(r.turn_key, { added: r.added, removed: r.removed });
  }
  const reader = new RawEventReader(q);
  const steps = q
    .all<{
      turn_key: string;
      turn_number: number;
      started_at: string;
      turn_type: string;
      tool_name: string | null;
      subject: string | null;
      duration_ms: number | null;
      outcome: string | null;
      exit_code: number | null;
      tokens_used: number | null;
      event_ids: string;
    }>('SELECT * FROM conversation_turns WHERE conversation_id = ? ORDER BY turn_number', [id])
    .map((t): TimelineStep => {
      const changed = lines.get(t.turn_key);
      return {
        number: t.turn_number,
        at: t.started_at,
        type: t.turn_type,
        tool: t.tool_name,
        subject: t.subject,
        duration_ms: t.duration_ms,
        outcome: t.outcome,
        exit_code: t.exit_code,
        tokens: t.tokens_used,
        text: TEXT_TURNS.has(t.turn_type) ? snippet(q, reader, (JSON.parse(t.event_ids) as string[])[0]) : null,
        lines_added: changed?.added ?? null,
        lines_removed: changed?.removed ?? null,
      };
    });
  const subagents = q.all<{ conversation_id: string; subagent_type: string | null; status: string; started_at: string }>(
    'SELECT conversation_id, subagent_type, status, started_at FROM conversations WHERE parent_conversation_id = ? ORDER BY started_at',
    [id],
  );
  return { session: toSummary(row), metrics: collectMetrics(q, { conversationId: id }), subagents, steps };
}

function snippet(q: QueryRunner, reader: RawEventReader, eventId: string | undefined): string | null {
  if (!eventId) return null;
  const fact = q.one<{ sequence: number }>('SELECT sequence FROM event_facts WHERE event_id = ?', [eventId]);
  if (!fact) return null;
  try {
    const raw = reader.read(fact.sequence, eventId);
    const p = raw?.event.payload ?? {};
    const text = typeof p.prompt === 'string' ? p.prompt : typeof p.text === 'string' ? p.text : null;
    if (!text) return null;
    const flat = text.replace(/\s+/g, ' ').trim();
    return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS - 1)}…` : flat;
  } catch {
    return null; // raw row gone (retention) or unreadable: the step still shows, without its text
  }
}

export interface MetricsSummary extends Metrics, TabMetrics {
  since: string;
  until: string;
  sessions: number;
  events: number;
  per_day: Array<{
    date: string;
    sessions: number;
    prompts: number;
    tool_calls: number;
    lines_added: number;
    lines_removed: number;
    input_tokens: number | null;
    output_tokens: number | null;
  }>;
}

/** What the agent did between `sinceMs` and `untilMs` (epoch ms; until defaults to now). */
export function metricsSummary(db: Database, options: { sinceMs: number; untilMs?: number }): MetricsSummary {
  requireDerivedSchema(db);
  const q = queryRunner(db);
  const since = new Date(options.sinceMs).toISOString();
  const until = new Date(options.untilMs ?? Date.now()).toISOString();
  const metrics = collectMetrics(q, { from: since, to: until });
  const tab = collectTabMetrics(q, since, until);
  const counts = q.one<{ sessions: number; events: number }>(
    `SELECT count(DISTINCT NULLIF(conversation_id, '')) AS sessions, count(*) AS events FROM event_facts
      WHERE event_date >= substr(?1, 1, 10) AND event_date <= substr(?2, 1, 10) AND timestamp >= ?1 AND timestamp < ?2`,
    [since, until],
  );
  const perDay = q.all<MetricsSummary['per_day'][number]>(
    `SELECT stat_date AS date, sessions, prompts, tool_calls, lines_added, lines_removed, input_tokens, output_tokens
       FROM daily_metrics WHERE stat_date >= substr(?, 1, 10) AND stat_date <= substr(?, 1, 10) ORDER BY stat_date`,
    [since, until],
  );
  return { since, until, sessions: counts?.sessions ?? 0, events: counts?.events ?? 0, ...metrics, ...tab, per_day: perDay };
}

/** `7d`, `24h`, `30m`, `2w` or an ISO date, as the epoch ms it means (relative to `now`). */
export function parseSince(value: string, now = Date.now()): number {
  const relative = /^(\d+)\s*([mhdw])$/i.exec(value.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[relative[2].toLowerCase() as 'm' | 'h' | 'd' | 'w'];
    return now - Number(relative[1]) * unit;
  }
  const absolute = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(absolute)) return absolute;
  throw new Error(`"${value}" is not a time span; use a number with m, h, d or w (like 7d) or a date (like 2025-11-01).`);
}
