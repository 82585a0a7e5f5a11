// A scripted, realistic stretch of Cursor use, shared by the slow-path tests: two conversations
// in two workspaces, interleaved; a Task subagent whose own events arrive under a conversation
// of their own; a prompt-less conversation outside any subagent span; shell, MCP, read and edit
// tool calls reported through both the tool-level and the specific hooks (and some through the
// specific hooks alone, as older builds do); a failed shell command and a timed-out one; Tab
// edits; token counts on some stops and on a response; a generation that crosses midnight UTC.
// Payloads follow reference/cursor-hooks.md §5.
//
// This file also checks the script itself when run directly (node --test imports it from the
// other slowpath tests, where its own tests are not registered).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { SQLiteBatchWriter } from '../../src/processing/database/batchWriter';
import { schemaVersion } from '../../src/processing/database/schema';
import { SqliteStore } from '../../src/processing/database/sqliteClient';
import { DERIVED_MIGRATIONS, DERIVED_TABLES } from '../../src/processing/slowPath/derivedSchema';
import { parseStreamEntry, toStreamFields, type TelemetryEvent } from '../../src/shared/event';
import { eventTypeForHook } from '../../src/shared/eventTypes';

export const BASE_MS = Date.parse('2025-11-06T23:40:00.000Z');

export const CONV = {
  /** acme: two prompts, the second starts a subagent. */
  A: 'aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa',
  /** beta: a failing test run, an edit reported by afterFileEdit alone, a generation over midnight. */
  B: 'bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb',
  /** The subagent's own conversation (no parent link in its payloads). */
  S: 'cccccccc-3333-4333-8333-cccccccccccc',
  /** acme, no prompt, long after the subagent stopped: must not be linked. */
  D: 'dddddddd-4444-4444-8444-dddddddddddd',
} as const;

export const GEN = {
  A1: 'a1a1a1a1-0000-4000-8000-000000000001',
  A2: 'a2a2a2a2-0000-4000-8000-000000000002',
  B1: 'b1b1b1b1-0000-4000-8000-000000000001',
  B2: 'b2b2b2b2-0000-4000-8000-000000000002',
} as const;

export const WORKSPACE = { acme: '/w/acme', beta: '/w/beta' } as const;

export const TASK_CALL = 'call-2ec9530d-b502-4c4f-8a6e-63f0bf7ebc9a-29\nfc_49466487-df47-9fb4-8b10-079ee845fb97_0';

interface Step {
  at: number; // seconds after BASE_MS
  hook: string;
  conv: string;
  gen: string;
  workspace: string;
  model?: string;
  payload?: Record<string, unknown>;
}

let counter = 0;

function event(step: Step): TelemetryEvent {
  counter++;
  const isTab = step.hook === 'afterTabFileEdit' || step.hook === 'beforeTabFileRead';
  const payload: Record<string, unknown> = {
    conversation_id: step.conv,
    generation_id: step.gen,
    model: step.model ?? 'default',
    ...(isTab ? {} : { session_id: step.conv }),
    hook_event_name: step.hook,
    cursor_version: '3.18.25',
    workspace_roots: [step.workspace],
    user_email: 'dev@example.com',
    transcript_path: null,
    ...step.payload,
  };
  return {
    event_id: `evt-${String(counter).padStart(3, '0')}-${step.hook}`,
    timestamp: new Date(BASE_MS + step.at * 1000).toISOString(),
    platform: 'cursor',
    hook_type: step.hook,
    event_type: eventTypeForHook(step.hook),
    session_id: step.conv,
    payload,
    metadata: { cursor_version: '3.18.25' },
  };
}

/** The script, in the order the hooks fired. Event ids are stable across calls. */
export function scriptedEvents(): TelemetryEvent[] {
  counter = 0;
  const { A, B, S, D } = CONV;
  const acme = WORKSPACE.acme;
  const beta = WORKSPACE.beta;
  const shell = (command: string) => ({ tool_name: 'Shell', tool_input: { command, cwd: '', timeout: 30000 }, cwd: '' });
  const steps: Step[] = [
    { at: 0, hook: 'sessionStart', conv: A, gen: '', workspace: acme, payload: { is_background_agent: false, composer_mode: 'agent' } },
    { at: 1, hook: 'sessionStart', conv: B, gen: '', workspace: beta, payload: { is_background_agent: false, composer_mode: 'agent' } },
    { at: 2, hook: 'beforeSubmitPrompt', conv: A, gen: GEN.A1, workspace: acme, payload: { prompt: 'Add a /health endpoint and a test for it', attachments: [] } },
    { at: 3, hook: 'afterAgentThought', conv: A, gen: GEN.A1, workspace: acme, payload: { text: 'The app uses express.', duration_ms: 4120 } },
    { at: 4, hook: 'beforeSubmitPrompt', conv: B, gen: GEN.B1, workspace: beta, payload: { prompt: 'Fix the flaky date test', attachments: [] } },
    { at: 5, hook: 'preToolUse', conv: A, gen: GEN.A1, workspace: acme, payload: { tool_name: 'Read', tool_input: { file_path: '/w/acme/src/server.ts' }, tool_use_id: 'tu-a1' } },
    { at: 5.5, hook: 'beforeReadFile', conv: A, gen: GEN.A1, workspace: acme, payload: { file_path: '/w/acme/src/server.ts', content: 'const app = express();\n', attachments: [] } },
    { at: 6, hook: 'postToolUse', conv: A, gen: GEN.A1, workspace: acme, payload: { tool_name: 'Read', tool_input: { file_path: '/w/acme/src/server.ts' }, tool_output: '{"file_path":"/w/acme/src/server.ts","content_length":1464}', duration: 6.139, tool_use_id: 'tu-a1' } },
    { at: 7, hook: 'preToolUse', conv: B, gen: GEN.B1, workspace: beta, payload: { ...shell('npm test'), tool_use_id: 'tu-b1' } },
    { at: 7.2, hook: 'beforeShellExecution', conv: B, gen: GEN.B1, workspace: beta, payload: { command: 'npm test', cwd: '/w/beta', sandbox: false } },
    { at: 9, hook: 'afterShellExecution', conv: B, gen: GEN.B1, workspace: beta, payload: { command: 'npm test', output: 'Tests: 1 failed, 41 passed', duration: 1800.5, sandbox: false } },
    { at: 9.1, hook: 'postToolUse', conv: B, gen: GEN.B1, workspace: beta, payload: { ...shell('npm test'), tool_output: '{"output":"Tests: 1 failed","exitCode":1}', duration: 1805, tool_use_id: 'tu-b1' } },
    { at: 10, hook: 'preToolUse', conv: A, gen: GEN.A1, workspace: acme, payload: { tool_name: 'Write', tool_input: { file_path: '/w/acme/src/server.ts' }, tool_use_id: 'tu-a2' } },
    { at: 10.5, hook: 'afterFileEdit', conv: A, gen: GEN.A1, workspace: acme, payload: { file_path: '/w/acme/src/server.ts', edits: [{ old_string: 'app.listen(port);', new_string: "app.get('/health', (_req, res) => res.json({ ok: true }));\napp.listen(port);" }] } },
    { at: 11, hook: 'postToolUse', conv: A, gen: GEN.A1, workspace: acme, payload: { tool_name: 'Write', tool_input: { file_path: '/w/acme/src/server.ts' }, tool_output: '{"file_path":"/w/acme/src/server.ts","success":true}', duration: 12, tool_use_id: 'tu-a2' } },
    // An edit reported by afterFileEdit alone (no tool-level hooks for it).
    { at: 12, hook: 'afterFileEdit', conv: B, gen: GEN.B1, workspace: beta, payload: { file_path: '/w/beta/test/date.test.ts', edits: [{ old_string: 'expect(a).toBe(b);\nfoo();', new_string: 'expect(a).toEqual(b);\nfoo();\nbar();' }] } },
    { at: 13, hook: 'preToolUse', conv: A, gen: GEN.A1, workspace: acme, payload: { ...shell('npm test'), tool_use_id: 'tu-a3' } },
    { at: 13.1, hook: 'beforeShellExecution', conv: A, gen: GEN.A1, workspace: acme, payload: { command: 'npm test', cwd: '/w/acme', sandbox: false } },
    { at: 18, hook: 'afterShellExecution', conv: A, gen: GEN.A1, workspace: acme, payload: { command: 'npm test', output: 'Tests  43 passed (43)', duration: 5279.7, sandbox: false } },
    { at: 18.1, hook: 'postToolUse', conv: A, gen: GEN.A1, workspace: acme, payload: { ...shell('npm test'), tool_output: '{"output":"Tests  43 passed (43)","exitCode":0}', duration: 5283, tool_use_id: 'tu-a3' } },
    { at: 19, hook: 'afterAgentResponse', conv: A, gen: GEN.A1, workspace: acme, payload: { text: 'I added GET /health and a vitest case; all 43 tests pass.' } },
    { at: 20, hook: 'stop', conv: A, gen: GEN.A1, workspace: acme, payload: { model_id: 'default', status: 'completed', loop_count: 0, input_tokens: 1000, output_tokens: 200, cache_read_tokens: 800, cache_write_tokens: 0 } },
    { at: 21, hook: 'stop', conv: B, gen: GEN.B1, workspace: beta, payload: { status: 'error', loop_count: 0 } },
    { at: 22, hook: 'afterTabFileEdit', conv: '', gen: '', workspace: acme, model: '', payload: { file_path: '/w/acme/src/server.ts', edits: [{ old_string: 'res.json({ ok: true })', new_string: 'res.json({ ok: true, uptime: process.uptime() })', range: { start_line_number: 12, start_column: 5, end_line_number: 12, end_column: 27 }, old_line: '  res.json({ ok: true });', new_line: '  res.json({ ok: true, uptime: process.uptime() });' }] } },
    { at: 23, hook: 'beforeTabFileRead', conv: '', gen: '', workspace: acme, model: '', payload: { file_path: '/w/acme/src/server.ts', content: 'x' } },
    // Second prompt in A: a Task subagent. Its start and stop come under generation_id = A.
    { at: 30, hook: 'beforeSubmitPrompt', conv: A, gen: GEN.A2, workspace: acme, payload: { prompt: 'Find every caller of parseConfig', attachments: [] } },
    { at: 31, hook: 'preToolUse', conv: A, gen: GEN.A2, workspace: acme, payload: { tool_name: 'Task', tool_input: { description: 'Find parseConfig callers', prompt: 'Find every caller of parseConfig' }, tool_use_id: TASK_CALL } },
    { at: 31.5, hook: 'subagentStart', conv: A, gen: A, workspace: acme, payload: { subagent_id: TASK_CALL, subagent_type: 'general-purpose', task: 'Find every caller of parseConfig and summarize them', parent_conversation_id: A, tool_call_id: TASK_CALL, subagent_model: 'default', is_parallel_worker: false } },
    { at: 32, hook: 'preToolUse', conv: S, gen: S, workspace: acme, model: '', payload: { tool_name: 'Grep', tool_input: { pattern: 'parseConfig' }, tool_use_id: 'tu-s1' } },
    { at: 32.5, hook: 'postToolUse', conv: S, gen: S, workspace: acme, model: '', payload: { tool_name: 'Grep', tool_input: { pattern: 'parseConfig' }, tool_output: '{"matches":3}', duration: 40, tool_use_id: 'tu-s1' } },
    { at: 33, hook: 'preToolUse', conv: S, gen: S, workspace: acme, model: '', payload: { tool_name: 'Read', tool_input: { file_path: '/w/acme/src/cli.ts' }, tool_use_id: 'tu-s2' } },
    { at: 33.2, hook: 'beforeReadFile', conv: S, gen: S, workspace: acme, model: '', payload: { file_path: '/w/acme/src/cli.ts', content: 'parseConfig()', attachments: [] } },
    { at: 33.5, hook: 'postToolUse', conv: S, gen: S, workspace: acme, model: '', payload: { tool_name: 'Read', tool_input: { file_path: '/w/acme/src/cli.ts' }, tool_output: '{"file_path":"/w/acme/src/cli.ts","content_length":300}', duration: 3.5, tool_use_id: 'tu-s2' } },
    { at: 34, hook: 'afterAgentResponse', conv: S, gen: S, workspace: acme, model: '', payload: { text: 'parseConfig is called from cli.ts, server.ts and worker.ts.' } },
    { at: 35, hook: 'subagentStop', conv: A, gen: A, workspace: acme, payload: { subagent_id: TASK_CALL, subagent_type: 'general-purpose', status: 'completed', task: 'Find every caller of parseConfig and summarize them', description: 'Find parseConfig callers', summary: 'three callers', duration_ms: 3500, message_count: 4, tool_call_count: 2, loop_count: 0, modified_files: [], parent_conversation_id: A, agent_transcript_path: null } },
    { at: 35.5, hook: 'postToolUse', conv: A, gen: GEN.A2, workspace: acme, payload: { tool_name: 'Task', tool_input: { description: 'Find parseConfig callers' }, tool_output: '{"summary":"three callers"}', duration: 4400, tool_use_id: TASK_CALL } },
    // An MCP call reported by the MCP hooks alone.
    { at: 36, hook: 'beforeMCPExecution', conv: A, gen: GEN.A2, workspace: acme, payload: { tool_name: 'query', tool_input: '{"sql":"SELECT 1"}', command: 'npx -y @acme/db-mcp' } },
    { at: 36.3, hook: 'afterMCPExecution', conv: A, gen: GEN.A2, workspace: acme, payload: { tool_name: 'query', tool_input: '{"sql":"SELECT 1"}', result_json: '{"rows":[{"1":1}]}', duration: 212.4 } },
    { at: 37, hook: 'preToolUse', conv: A, gen: GEN.A2, workspace: acme, payload: { ...shell('npm run e2e'), tool_use_id: 'tu-a5' } },
    { at: 37.1, hook: 'beforeShellExecution', conv: A, gen: GEN.A2, workspace: acme, payload: { command: 'npm run e2e', cwd: '/w/acme', sandbox: false } },
    { at: 67, hook: 'postToolUseFailure', conv: A, gen: GEN.A2, workspace: acme, payload: { ...shell('npm run e2e'), tool_use_id: 'tu-a5', error_message: 'Command timed out after 30s', failure_type: 'timeout', duration: 30004.2, is_interrupt: false } },
    { at: 68, hook: 'afterAgentResponse', conv: A, gen: GEN.A2, workspace: acme, payload: { text: 'Callers: cli.ts, server.ts, worker.ts. The e2e run timed out.' } },
    { at: 69, hook: 'stop', conv: A, gen: GEN.A2, workspace: acme, payload: { model_id: 'default', status: 'completed', loop_count: 0, input_tokens: 5000, output_tokens: 300, cache_read_tokens: 4000, cache_write_tokens: 100 } },
    { at: 100, hook: 'preToolUse', conv: D, gen: D, workspace: acme, payload: { tool_name: 'Read', tool_input: { file_path: '/w/acme/README.md' }, tool_use_id: 'tu-d1' } },
    { at: 100.5, hook: 'postToolUse', conv: D, gen: D, workspace: acme, payload: { tool_name: 'Read', tool_input: { file_path: '/w/acme/README.md' }, tool_output: '{}', duration: 2, tool_use_id: 'tu-d1' } },
    { at: 150, hook: 'workspaceOpen', conv: '', gen: '', workspace: acme, payload: {} },
    // B's second prompt starts at 23:59:50 UTC and ends after midnight.
    { at: 1190, hook: 'beforeSubmitPrompt', conv: B, gen: GEN.B2, workspace: beta, payload: { prompt: 'Add a date helper', attachments: [{ type: 'file', file_path: '/w/beta/src/date.ts' }] } },
    { at: 1195, hook: 'preToolUse', conv: B, gen: GEN.B2, workspace: beta, payload: { tool_name: 'Write', tool_input: { file_path: '/w/beta/src/date.ts' }, tool_use_id: 'tu-b2' } },
    { at: 1196, hook: 'afterFileEdit', conv: B, gen: GEN.B2, workspace: beta, payload: { file_path: '/w/beta/src/date.ts', edits: [{ old_string: '', new_string: 'a\nb\nc' }] } },
    { at: 1205, hook: 'postToolUse', conv: B, gen: GEN.B2, workspace: beta, payload: { tool_name: 'Write', tool_input: { file_path: '/w/beta/src/date.ts' }, tool_output: '{"success":true}', duration: 9800, tool_use_id: 'tu-b2' } },
    { at: 1206, hook: 'afterAgentResponse', conv: B, gen: GEN.B2, workspace: beta, payload: { text: 'Added src/date.ts.', input_tokens: 700, output_tokens: 50 } },
    { at: 1207, hook: 'stop', conv: B, gen: GEN.B2, workspace: beta, payload: { status: 'completed', loop_count: 0 } },
    { at: 1210, hook: 'sessionEnd', conv: B, gen: '', workspace: beta, payload: { reason: 'user_close', duration_ms: 1209000, is_background_agent: false, final_status: 'completed' } },
  ];
  return steps.map((s) => {
    const e = event(s);
    // Tab and workspaceOpen hooks carry no conversation id.
    if (s.conv === '') e.session_id = '';
    if (s.hook === 'workspaceOpen') e.payload = { hook_event_name: 'workspaceOpen', cursor_version: '3.18.25', workspace_roots: [s.workspace], user_email: 'dev@example.com' };
    return e;
  });
}

/** A deterministic shuffle (so a failing order can be replayed). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---- Databases for the tests ----------------------------------------------------------------

/** A real store in `dir` with the slow path's tables. */
export async function openStore(dir: string, name = 'telemetry.db'): Promise<SqliteStore> {
  const { store } = await SqliteStore.open(path.join(dir, name));
  // Until the lead appends DERIVED_MIGRATIONS to MIGRATIONS, apply them here the same way.
  for (const migration of DERIVED_MIGRATIONS) {
    if (schemaVersion(store.db) >= migration.version) continue;
    store.db.run('BEGIN');
    migration.up(store.db);
    store.db.run(`PRAGMA user_version = ${migration.version}`);
    store.db.run('COMMIT');
  }
  return store;
}

/** Store events through the fast path's writer; returns event_id -> sequence. */
export function storeEvents(store: SqliteStore, events: TelemetryEvent[]): Map<string, number> {
  const writer = new SQLiteBatchWriter(store);
  try {
    const result = writer.writeBatch(events);
    assert.equal(result.failed.length, 0, JSON.stringify(result.failed));
    return new Map(result.stored.map((r) => [r.row.fields.event_id, r.sequence]));
  } finally {
    writer.dispose();
  }
}

/** Every derived table, every row, in a stable order (trace_stats without its computed_at stamp). */
export function snapshot(db: Database): Record<string, unknown[][]> {
  const out: Record<string, unknown[][]> = {};
  for (const table of DERIVED_TABLES) {
    if (table === 'derived_dirty' || table === 'slow_path_state') continue;
    const columns = (db.exec(`SELECT name FROM pragma_table_info('${table}')`)[0]?.values ?? []).map((r) => String(r[0])).filter((c) => c !== 'computed_at');
    const rows = db.exec(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`)[0]?.values ?? [];
    out[table] = rows;
  }
  return out;
}

if (require.main === module) {
  test('the script survives the wire format unchanged', () => {
    for (const e of scriptedEvents()) {
      const fields = toStreamFields(e);
      const parsed = parseStreamEntry(fields, '1-0');
      assert.ok(parsed.ok, `${e.event_id} parses`);
      if (parsed.ok) {
        assert.equal(parsed.event.event_id, e.event_id);
        assert.deepEqual(parsed.event.payload, e.payload);
      }
    }
  });

  test('event ids are unique and stable', () => {
    const first = scriptedEvents().map((e) => e.event_id);
    assert.equal(new Set(first).size, first.length);
    assert.deepEqual(scriptedEvents().map((e) => e.event_id), first);
  });
}
