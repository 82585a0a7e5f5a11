// The slow path's derivation on real sql.js databases in temporary folders: the scripted
// sessions of slowpath-fixtures are stored by the fast path's own batch writer, derived, and the
// derived tables are checked row by row; then replays, shuffled deliveries and rebuilds must all
// give the same tables.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Database } from 'sql.js';
import { hashWorkspace } from '../../src/processing/database/fields';
import type { SqliteStore } from '../../src/processing/database/sqliteClient';
import { Deriver } from '../../src/processing/slowPath/deriver';
import { rebuildDerived } from '../../src/processing/slowPath/rebuild';
import { applyPrivacyMode } from '../../src/capture/privacy';
import type { TelemetryEvent } from '../../src/shared/event';
import { BASE_MS, CONV, GEN, openStore, scriptedEvents, shuffled, snapshot, storeEvents, TASK_CALL, WORKSPACE } from './slowpath-fixtures.test';

const FIXED_NOW = () => new Date('2025-11-08T00:00:00.000Z');

function drainAll(deriver: Deriver): void {
  while (deriver.drain({ budgetMs: 1000 }).more);
}

/** The live path: events in the given order, in small slices, scopes drained between some of them. */
function deriveLive(store: SqliteStore, sequences: Map<string, number>, order: TelemetryEvent[], seed = 1): void {
  const deriver = new Deriver(store, undefined, FIXED_NOW);
  try {
    const refs = order.map((e) => ({ sequence: sequences.get(e.event_id) as number, eventId: e.event_id }));
    for (let i = 0, slice = 1; i < refs.length; i += slice, slice = ((seed + i) % 4) + 1) {
      const results = deriver.applyEvents(refs.slice(i, i + slice));
      for (const r of results) assert.ok(r.ok, r.ok ? '' : r.error.message);
      // Drain sometimes, sometimes without days, as the live workers do.
      if ((seed + i) % 3 === 0) deriver.drain({ budgetMs: 1000, kinds: (seed + i) % 2 === 0 ? ['generation'] : ['generation', 'conversation'] });
    }
    drainAll(deriver);
  } finally {
    deriver.dispose();
  }
}

function rows<T>(db: Database, sql: string, params: Array<string | number | null> = []): T[] {
  const statement = db.prepare(sql);
  const out: T[] = [];
  try {
    statement.bind(params);
    while (statement.step()) out.push(statement.getAsObject() as T);
  } finally {
    statement.free();
  }
  return out;
}

const events = scriptedEvents();
const idOf = (hook: string, conv: string, nth = 0): string => {
  const found = events.filter((e) => e.hook_type === hook && (e.session_id === conv || (conv === '' && e.session_id === '')));
  assert.ok(found[nth], `no ${hook} #${nth} in ${conv}`);
  return found[nth].event_id;
};
const at = (seconds: number) => new Date(BASE_MS + seconds * 1000).toISOString();
const ACME = hashWorkspace(WORKSPACE.acme);
const BETA = hashWorkspace(WORKSPACE.beta);

describe('slow path derivation of the scripted sessions', () => {
  let dir: string;
  let store: SqliteStore;
  let db: Database;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bp-slowpath-'));
    store = await openStore(dir);
    db = store.db;
    deriveLive(store, storeEvents(store, events), events);
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one conversation row per conversation, with status, counts and the subagent link', () => {
    const conversations = rows<Record<string, unknown>>(db, 'SELECT * FROM conversations ORDER BY conversation_id');
    assert.deepEqual(conversations, [
      {
        conversation_id: CONV.A, platform: 'cursor', workspace_hash: ACME, started_at: at(0), ended_at: at(69),
        status: 'completed', end_reason: null, models: '["default"]', parent_conversation_id: null,
        subagent_turn_key: null, subagent_type: null, event_count: 27, prompt_count: 2, turn_count: 14,
      },
      {
        conversation_id: CONV.B, platform: 'cursor', workspace_hash: BETA, started_at: at(1), ended_at: at(1210),
        status: 'ended', end_reason: 'user_close', models: '["default"]', parent_conversation_id: null,
        subagent_turn_key: null, subagent_type: null, event_count: 15, prompt_count: 2, turn_count: 10,
      },
      {
        conversation_id: CONV.S, platform: 'cursor', workspace_hash: ACME, started_at: at(32), ended_at: at(34),
        status: 'completed', end_reason: null, models: '[]', parent_conversation_id: CONV.A,
        subagent_turn_key: `tool:${TASK_CALL}`, subagent_type: 'general-purpose', event_count: 6, prompt_count: 0, turn_count: 3,
      },
      {
        conversation_id: CONV.D, platform: 'cursor', workspace_hash: ACME, started_at: at(100), ended_at: at(100.5),
        status: 'active', end_reason: null, models: '["default"]', parent_conversation_id: null,
        subagent_turn_key: null, subagent_type: null, event_count: 2, prompt_count: 0, turn_count: 1,
      },
    ]);
  });

  test("conversation A's turns: one per step, tool hooks folded into their call, in order", () => {
    const turns = rows<Record<string, unknown>>(
      db,
      `SELECT turn_number, turn_key, generation_id, turn_type, tool_name, subject, started_at, ended_at, duration_ms,
              outcome, exit_code, tokens_used, json_array_length(event_ids) AS events
         FROM conversation_turns WHERE conversation_id = ? ORDER BY turn_number`,
      [CONV.A],
    );
    const t = (n: number, key: string, gen: string, type: string, tool: string | null, subject: string | null, start: number, end: number | null, duration: number | null, outcome: string | null, exit: number | null, tokens: number | null, eventCount: number) => ({
      turn_number: n, turn_key: key, generation_id: gen, turn_type: type, tool_name: tool, subject, started_at: at(start),
      ended_at: end === null ? null : at(end), duration_ms: duration, outcome, exit_code: exit, tokens_used: tokens, events: eventCount,
    });
    assert.deepEqual(turns, [
      t(1, `event:${idOf('sessionStart', CONV.A)}`, '', 'session_start', null, null, 0, null, null, null, null, null, 1),
      t(2, `event:${idOf('beforeSubmitPrompt', CONV.A)}`, GEN.A1, 'user_prompt', null, null, 2, null, null, null, null, null, 1),
      t(3, `event:${idOf('afterAgentThought', CONV.A)}`, GEN.A1, 'thought', null, null, 3, null, 4120, null, null, null, 1),
      t(4, 'tool:tu-a1', GEN.A1, 'tool_call', 'Read', '/w/acme/src/server.ts', 5, 6, 6.139, 'ok', null, null, 3),
      t(5, 'tool:tu-a2', GEN.A1, 'tool_call', 'Write', '/w/acme/src/server.ts', 10, 11, 12, 'ok', null, null, 3),
      t(6, 'tool:tu-a3', GEN.A1, 'tool_call', 'Shell', 'npm test', 13, 18.1, 5283, 'ok', 0, null, 4),
      t(7, `event:${idOf('afterAgentResponse', CONV.A)}`, GEN.A1, 'response', null, null, 19, null, null, null, null, null, 1),
      t(8, `event:${idOf('stop', CONV.A)}`, GEN.A1, 'stop', null, null, 20, null, null, 'completed', null, 1200, 1),
      t(9, `event:${idOf('beforeSubmitPrompt', CONV.A, 1)}`, GEN.A2, 'user_prompt', null, null, 30, null, null, null, null, null, 1),
      t(10, `tool:${TASK_CALL}`, GEN.A2, 'tool_call', 'Task', 'Find parseConfig callers', 31, 35.5, 4400, 'ok', null, null, 4),
      t(11, `event:${idOf('beforeMCPExecution', CONV.A)}`, GEN.A2, 'tool_call', 'MCP:query', '{"sql":"SELECT 1"}', 36, 36.3, 212.4, 'ok', null, null, 2),
      t(12, 'tool:tu-a5', GEN.A2, 'tool_call', 'Shell', 'npm run e2e', 37, 67, 30004.2, 'timeout', null, null, 3),
      t(13, `event:${idOf('afterAgentResponse', CONV.A, 1)}`, GEN.A2, 'response', null, null, 68, null, null, null, null, null, 1),
      t(14, `event:${idOf('stop', CONV.A, 1)}`, GEN.A2, 'stop', null, null, 69, null, null, 'completed', null, 5300, 1),
    ]);
  });

  test("conversation B's turns: a failing test run, an edit without tool hooks, a session end", () => {
    const turns = rows<Record<string, unknown>>(
      db,
      'SELECT turn_number, turn_type, tool_name, subject, duration_ms, outcome, exit_code, tokens_used FROM conversation_turns WHERE conversation_id = ? ORDER BY turn_number',
      [CONV.B],
    );
    assert.deepEqual(turns, [
      { turn_number: 1, turn_type: 'session_start', tool_name: null, subject: null, duration_ms: null, outcome: null, exit_code: null, tokens_used: null },
      { turn_number: 2, turn_type: 'user_prompt', tool_name: null, subject: null, duration_ms: null, outcome: null, exit_code: null, tokens_used: null },
      { turn_number: 3, turn_type: 'tool_call', tool_name: 'Shell', subject: 'npm test', duration_ms: 1805, outcome: 'error', exit_code: 1, tokens_used: null },
      { turn_number: 4, turn_type: 'tool_call', tool_name: 'Write', subject: '/w/beta/test/date.test.ts', duration_ms: null, outcome: 'ok', exit_code: null, tokens_used: null },
      { turn_number: 5, turn_type: 'stop', tool_name: null, subject: null, duration_ms: null, outcome: 'error', exit_code: null, tokens_used: null },
      { turn_number: 6, turn_type: 'user_prompt', tool_name: null, subject: null, duration_ms: null, outcome: null, exit_code: null, tokens_used: null },
      { turn_number: 7, turn_type: 'tool_call', tool_name: 'Write', subject: '/w/beta/src/date.ts', duration_ms: 9800, outcome: 'ok', exit_code: null, tokens_used: null },
      { turn_number: 8, turn_type: 'response', tool_name: null, subject: null, duration_ms: null, outcome: null, exit_code: null, tokens_used: 750 },
      { turn_number: 9, turn_type: 'stop', tool_name: null, subject: null, duration_ms: null, outcome: 'completed', exit_code: null, tokens_used: null },
      { turn_number: 10, turn_type: 'session_end', tool_name: null, subject: null, duration_ms: 1209000, outcome: 'user_close', exit_code: null, tokens_used: null },
    ]);
  });

  test("the subagent's own conversation holds its own steps", () => {
    const turns = rows<Record<string, unknown>>(db, 'SELECT turn_type, tool_name, subject, outcome, duration_ms FROM conversation_turns WHERE conversation_id = ? ORDER BY turn_number', [CONV.S]);
    assert.deepEqual(turns, [
      { turn_type: 'tool_call', tool_name: 'Grep', subject: 'parseConfig', outcome: 'ok', duration_ms: 40 },
      { turn_type: 'tool_call', tool_name: 'Read', subject: '/w/acme/src/cli.ts', outcome: 'ok', duration_ms: 3.5 },
      { turn_type: 'response', tool_name: null, subject: null, outcome: null, duration_ms: null },
    ]);
  });

  test('one code change per edited file, attributed to its turn and prompt; Tab edits apart', () => {
    const changes = rows<Record<string, unknown>>(
      db,
      'SELECT event_id, file_path, source, conversation_id, generation_id, turn_key, prompt_turn_key, workspace_hash, timestamp, edit_count, lines_added, lines_removed FROM code_changes ORDER BY timestamp',
    );
    assert.deepEqual(changes, [
      {
        event_id: idOf('afterFileEdit', CONV.A), file_path: '/w/acme/src/server.ts', source: 'agent', conversation_id: CONV.A, generation_id: GEN.A1,
        turn_key: 'tool:tu-a2', prompt_turn_key: `event:${idOf('beforeSubmitPrompt', CONV.A)}`, workspace_hash: ACME, timestamp: at(10.5), edit_count: 1, lines_added: 1, lines_removed: 0,
      },
      {
        event_id: idOf('afterFileEdit', CONV.B), file_path: '/w/beta/test/date.test.ts', source: 'agent', conversation_id: CONV.B, generation_id: GEN.B1,
        turn_key: `event:${idOf('afterFileEdit', CONV.B)}`, prompt_turn_key: `event:${idOf('beforeSubmitPrompt', CONV.B)}`, workspace_hash: BETA, timestamp: at(12), edit_count: 1, lines_added: 2, lines_removed: 1,
      },
      {
        event_id: idOf('afterTabFileEdit', ''), file_path: '/w/acme/src/server.ts', source: 'tab', conversation_id: null, generation_id: null,
        turn_key: null, prompt_turn_key: null, workspace_hash: ACME, timestamp: at(22), edit_count: 1, lines_added: 1, lines_removed: 1,
      },
      {
        event_id: idOf('afterFileEdit', CONV.B, 1), file_path: '/w/beta/src/date.ts', source: 'agent', conversation_id: CONV.B, generation_id: GEN.B2,
        turn_key: 'tool:tu-b2', prompt_turn_key: `event:${idOf('beforeSubmitPrompt', CONV.B, 1)}`, workspace_hash: BETA, timestamp: at(1196), edit_count: 1, lines_added: 3, lines_removed: 0,
      },
    ]);
  });

  test('the token ledger keeps every report, counts each loop once and records stops without counts', () => {
    const ledger = rows<Record<string, unknown>>(
      db,
      'SELECT event_id, hook_type, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reported, counted, note FROM token_ledger ORDER BY timestamp',
    );
    assert.deepEqual(ledger, [
      { event_id: idOf('stop', CONV.A), hook_type: 'stop', input_tokens: 1000, output_tokens: 200, cache_read_tokens: 800, cache_write_tokens: 0, reported: 1, counted: 1, note: null },
      { event_id: idOf('stop', CONV.B), hook_type: 'stop', input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, reported: 0, counted: 0, note: 'no token counts reported' },
      { event_id: idOf('stop', CONV.A, 1), hook_type: 'stop', input_tokens: 5000, output_tokens: 300, cache_read_tokens: 4000, cache_write_tokens: 100, reported: 1, counted: 1, note: null },
      { event_id: idOf('afterAgentResponse', CONV.B), hook_type: 'afterAgentResponse', input_tokens: 700, output_tokens: 50, cache_read_tokens: null, cache_write_tokens: null, reported: 1, counted: 1, note: null },
      { event_id: idOf('stop', CONV.B, 1), hook_type: 'stop', input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, reported: 0, counted: 0, note: 'no token counts reported' },
    ]);
  });

  test('session metrics per conversation', () => {
    const [a] = rows<Record<string, unknown>>(db, 'SELECT * FROM session_metrics WHERE conversation_id = ?', [CONV.A]);
    assert.deepEqual(a, {
      conversation_id: CONV.A, prompts: 2, tool_calls: 6, tool_failures: 1,
      tool_calls_by_tool: '{"MCP:query":1,"Read":1,"Shell":2,"Task":1,"Write":1}',
      shell_commands: 2, shell_failures: 1, mcp_calls: 1, subagents: 1, files_read: 1, files_edited: 1, lines_added: 1, lines_removed: 0,
      edits_without_lines: 0, tool_p50_ms: 212.4, tool_p95_ms: 30004.2, loop_p50_ms: 18000, loop_p95_ms: 39000, models: '["default"]',
      input_tokens: 6000, output_tokens: 500, cache_read_tokens: 4800, cache_write_tokens: 100, token_reports: 2, stops_without_tokens: 0,
    });
    const [b] = rows<Record<string, unknown>>(db, 'SELECT * FROM session_metrics WHERE conversation_id = ?', [CONV.B]);
    assert.deepEqual(b, {
      conversation_id: CONV.B, prompts: 2, tool_calls: 3, tool_failures: 1, tool_calls_by_tool: '{"Shell":1,"Write":2}',
      shell_commands: 1, shell_failures: 1, mcp_calls: 0, subagents: 0, files_read: 0, files_edited: 2, lines_added: 5, lines_removed: 1,
      edits_without_lines: 0, tool_p50_ms: 1805, tool_p95_ms: 9800, loop_p50_ms: 17000, loop_p95_ms: 17000, models: '["default"]',
      input_tokens: 700, output_tokens: 50, cache_read_tokens: null, cache_write_tokens: null, token_reports: 1, stops_without_tokens: 2,
    });
  });

  test('daily metrics and trace_stats per UTC day', () => {
    const day1 = events.filter((e) => e.timestamp < '2025-11-07');
    const day2 = events.filter((e) => e.timestamp >= '2025-11-07');
    const types = (list: TelemetryEvent[]) => {
      const counts: Record<string, number> = {};
      for (const e of list) counts[e.event_type] = (counts[e.event_type] ?? 0) + 1;
      return JSON.stringify(Object.fromEntries(Object.entries(counts).sort(([x], [y]) => (x < y ? -1 : 1))));
    };
    const stats = rows<Record<string, unknown>>(db, 'SELECT stat_date, total_events, unique_sessions, event_types, platform_breakdown, error_count, total_tokens, computed_at FROM trace_stats ORDER BY stat_date');
    assert.deepEqual(stats, [
      { stat_date: '2025-11-06', total_events: day1.length, unique_sessions: 4, event_types: types(day1), platform_breakdown: `{"cursor":${day1.length}}`, error_count: 3, total_tokens: 6500, computed_at: FIXED_NOW().toISOString() },
      { stat_date: '2025-11-07', total_events: day2.length, unique_sessions: 1, event_types: types(day2), platform_breakdown: `{"cursor":${day2.length}}`, error_count: 0, total_tokens: 750, computed_at: FIXED_NOW().toISOString() },
    ]);
    const daily = rows<Record<string, unknown>>(
      db,
      'SELECT stat_date, sessions, events, prompts, tool_calls, tool_failures, shell_commands, shell_failures, files_read, files_edited, lines_added, lines_removed, input_tokens, output_tokens, token_reports, stops_without_tokens, tab_edits, tab_lines_added, tab_lines_removed FROM daily_metrics ORDER BY stat_date',
    );
    assert.deepEqual(daily, [
      {
        stat_date: '2025-11-06', sessions: 4, events: day1.length, prompts: 4, tool_calls: 12, tool_failures: 2, shell_commands: 3, shell_failures: 2,
        files_read: 3, files_edited: 3, lines_added: 6, lines_removed: 1, input_tokens: 6000, output_tokens: 500, token_reports: 2, stops_without_tokens: 1,
        tab_edits: 1, tab_lines_added: 1, tab_lines_removed: 1,
      },
      {
        stat_date: '2025-11-07', sessions: 1, events: day2.length, prompts: 0, tool_calls: 0, tool_failures: 0, shell_commands: 0, shell_failures: 0,
        files_read: 0, files_edited: 0, lines_added: 0, lines_removed: 0, input_tokens: 700, output_tokens: 50, token_reports: 1, stops_without_tokens: 1,
        tab_edits: 0, tab_lines_added: 0, tab_lines_removed: 0,
      },
    ]);
  });

  test('nothing is left to recompute', () => {
    assert.deepEqual(rows(db, 'SELECT * FROM derived_dirty'), []);
  });
});

describe('idempotence and rebuild', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bp-slowpath-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('replaying every event (and storing them again) changes nothing', async () => {
    const store = await openStore(dir, 'replay.db');
    try {
      const sequences = storeEvents(store, events);
      deriveLive(store, sequences, events);
      const first = snapshot(store.db);
      // The fast path re-announces duplicates with the sequence of the row already stored.
      const again = storeEvents(store, events);
      assert.deepEqual([...again.entries()], [...sequences.entries()]);
      deriveLive(store, sequences, shuffled(events, 7), 7);
      assert.deepEqual(snapshot(store.db), first);
    } finally {
      store.close();
    }
  });

  test('any delivery order with duplicates gives the same tables as rebuild', async () => {
    for (const seed of [3, 11, 42, 1234]) {
      const store = await openStore(dir, `order-${seed}.db`);
      try {
        const sequences = storeEvents(store, events);
        const order = shuffled(events, seed);
        // Duplicate deliveries: a few events come twice, some before their first copy is drained.
        const withDuplicates = [...order.slice(0, 20), ...shuffled(events, seed + 1).slice(0, 8), ...order.slice(20)];
        deriveLive(store, sequences, withDuplicates, seed);
        const live = snapshot(store.db);
        const result = await rebuildDerived(store, { now: FIXED_NOW });
        assert.equal(result.events, events.length);
        assert.equal(result.failed, 0);
        assert.deepEqual(snapshot(store.db), live, `seed ${seed}`);
      } finally {
        store.close();
      }
    }
  });

  test('rebuild repairs derived tables that were damaged, and leaves raw_traces alone', async () => {
    const store = await openStore(dir, 'repair.db');
    try {
      storeEvents(store, events);
      await rebuildDerived(store, { now: FIXED_NOW });
      const good = snapshot(store.db);
      const raw = store.db.exec('SELECT sequence, event_id, event_data FROM raw_traces ORDER BY sequence')[0].values;
      store.db.run("DELETE FROM conversation_turns WHERE turn_type = 'tool_call'");
      store.db.run("UPDATE conversations SET status = 'bogus'");
      store.db.run('DELETE FROM event_facts WHERE sequence % 2 = 0');
      await rebuildDerived(store, { now: FIXED_NOW });
      assert.deepEqual(snapshot(store.db), good);
      assert.deepEqual(store.db.exec('SELECT sequence, event_id, event_data FROM raw_traces ORDER BY sequence')[0].values, raw);
    } finally {
      store.close();
    }
  });

  test('events arriving after a rebuild extend it exactly as the live path would', async () => {
    const store = await openStore(dir, 'extend.db');
    try {
      const firstHalf = events.slice(0, 30);
      const sequences = storeEvents(store, firstHalf);
      await rebuildDerived(store, { now: FIXED_NOW });
      const rest = events.slice(30);
      for (const [id, seq] of storeEvents(store, rest)) sequences.set(id, seq);
      deriveLive(store, sequences, rest, 5);
      const extended = snapshot(store.db);
      await rebuildDerived(store, { now: FIXED_NOW });
      assert.deepEqual(snapshot(store.db), extended);
    } finally {
      store.close();
    }
  });

  test('an event whose stored row cannot be decoded fails alone; the others of its slice are kept', async () => {
    const store = await openStore(dir, 'poison.db');
    try {
      const sequences = storeEvents(store, events.slice(0, 5));
      const poisoned = sequences.get(events[2].event_id) as number;
      store.db.run('UPDATE raw_traces SET event_data = ? WHERE sequence = ?', [new Uint8Array([1, 2, 3]), poisoned]);
      const deriver = new Deriver(store, undefined, FIXED_NOW);
      try {
        const results = deriver.applyEvents(events.slice(0, 5).map((e) => ({ sequence: sequences.get(e.event_id) as number, eventId: e.event_id })));
        assert.deepEqual(results.map((r) => r.ok), [true, true, false, true, true]);
        assert.match(results[2].ok ? '' : results[2].error.message, /cannot be inflated/);
        assert.deepEqual(deriver.applyEvents([{ sequence: 99999, eventId: 'nope' }]), [{ ok: true, outcome: 'missing' }]);
        drainAll(deriver);
      } finally {
        deriver.dispose();
      }
      assert.equal(rows(store.db, 'SELECT * FROM event_facts').length, 4);
    } finally {
      store.close();
    }
  });

  test('a CDC entry never derives the row of another event that reuses its sequence', async () => {
    const store = await openStore(dir, 'mismatch.db');
    try {
      const sequences = storeEvents(store, events.slice(0, 2));
      const deriver = new Deriver(store, undefined, FIXED_NOW);
      try {
        const results = deriver.applyEvents([{ sequence: sequences.get(events[0].event_id) as number, eventId: 'someone-else' }]);
        assert.deepEqual(results, [{ ok: true, outcome: 'missing' }]);
      } finally {
        deriver.dispose();
      }
    } finally {
      store.close();
    }
  });

  test('privacy mode metadata (texts replaced by size and hash): same steps and counts, lines unknown rather than zero', async () => {
    const store = await openStore(dir, 'metadata.db');
    try {
      const redacted = events.map((e) => ({ ...e, payload: applyPrivacyMode(e.payload, 'metadata') }));
      deriveLive(store, storeEvents(store, redacted), shuffled(redacted, 17), 17);
      const db = store.db;
      const counts = rows<Record<string, unknown>>(
        db,
        'SELECT c.conversation_id, c.turn_count, c.parent_conversation_id, m.tool_calls, m.shell_commands, m.shell_failures, m.lines_added, m.edits_without_lines FROM conversations c JOIN session_metrics m USING (conversation_id) ORDER BY c.conversation_id',
      );
      assert.deepEqual(counts, [
        { conversation_id: CONV.A, turn_count: 14, parent_conversation_id: null, tool_calls: 6, shell_commands: 2, shell_failures: 1, lines_added: 0, edits_without_lines: 1 },
        // B's failing `npm test` exited 1, which only tool_output says, and metadata mode redacts it.
        { conversation_id: CONV.B, turn_count: 10, parent_conversation_id: null, tool_calls: 3, shell_commands: 1, shell_failures: 0, lines_added: 0, edits_without_lines: 2 },
        { conversation_id: CONV.S, turn_count: 3, parent_conversation_id: CONV.A, tool_calls: 2, shell_commands: 0, shell_failures: 0, lines_added: 0, edits_without_lines: 0 },
        { conversation_id: CONV.D, turn_count: 1, parent_conversation_id: null, tool_calls: 1, shell_commands: 0, shell_failures: 0, lines_added: 0, edits_without_lines: 0 },
      ]);
      assert.deepEqual(rows(db, "SELECT lines_added, lines_removed FROM code_changes WHERE source = 'agent'"), Array(3).fill({ lines_added: null, lines_removed: null }));
      // Prompts keep a hash and a size; file paths (not content) are still there; commands are not.
      const prompt = rows<{ content_hash: string | null; content_chars: number }>(db, "SELECT content_hash, content_chars FROM conversation_turns WHERE turn_type = 'user_prompt' AND conversation_id = ? ORDER BY turn_number LIMIT 1", [CONV.A])[0];
      assert.match(prompt.content_hash ?? '', /^[0-9a-f]{16}$/);
      assert.equal(prompt.content_chars, 'Add a /health endpoint and a test for it'.length);
      assert.deepEqual(rows(db, "SELECT tool_name, subject FROM conversation_turns WHERE conversation_id = ? AND turn_type = 'tool_call' ORDER BY turn_number", [CONV.A]).slice(0, 3), [
        { tool_name: 'Read', subject: '/w/acme/src/server.ts' },
        { tool_name: 'Write', subject: '/w/acme/src/server.ts' },
        { tool_name: 'Shell', subject: null },
      ]);
    } finally {
      store.close();
    }
  });
});
