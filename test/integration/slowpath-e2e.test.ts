// End to end through the real stream and processor: the scripted sessions are XADDed in the
// wire format (with duplicate deliveries and a garbage entry) to the events stream; the
// TelemetryServer's fast path stores them, announces them on CDC, and the slow-path workers
// derive conversations, turns, code changes and metrics. The result is read back with another
// SQLite (better-sqlite3), checked against what the script implies, and must equal what
// `rebuildDerived` computes from the same raw_traces.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { loadSqlJs } from '../../src/processing/database/sqliteClient';
import { TelemetryServer } from '../../src/processing/server';
import { rebuildDerived } from '../../src/processing/slowPath/rebuild';
import { slowPathComponent } from '../../src/processing/slowPath/workerPool';
import { toStreamFields } from '../../src/shared/event';
import { silentLogger } from '../../src/shared/log';
import { deleteKeys, tempHome, testConfig, testRedis, waitFor } from '../helpers/env';
import { openWithOtherSqlite } from '../helpers/readback';
import { CONV, openStore, scriptedEvents, snapshot, TASK_CALL } from '../unit/slowpath-fixtures.test';

test('scripted sessions through the stream, the processor and the workers give the derived tables the script implies', async (t) => {
  const h = tempHome('bp-slowpath-e2e');
  const config = testConfig(h.home, (c) => {
    c.processor.block_ms = 100;
  });
  const redis: Redis = await testRedis();
  const server = new TelemetryServer({ config, log: silentLogger, components: [slowPathComponent] });
  t.after(async () => {
    await server.stop();
    const group = config.slow_path.consumer_group;
    await deleteKeys(redis, config.streams.events, config.streams.dlq, config.streams.cdc, `${config.streams.events}:failures:${config.processor.consumer_group}`, `${config.streams.cdc}:failures:${group}`);
    redis.disconnect();
    h.cleanup();
  });
  await server.start();
  assert.equal(server.currentRole, 'leader');

  const events = scriptedEvents();
  for (const e of events) await redis.xadd(config.streams.events, '*', ...Object.entries(toStreamFields(e)).flat());
  // Cursor delivers some events twice; one producer sends garbage.
  for (const e of events.slice(10, 16)) await redis.xadd(config.streams.events, '*', ...Object.entries(toStreamFields(e)).flat());
  await redis.xadd(config.streams.events, '*', 'payload', '{not json', 'hook_type', 'stop');

  // Derived rows are durable (read from the file by another SQLite) and every CDC entry is acknowledged.
  await waitFor(
    async () => {
      let done = false;
      try {
        const db = openWithOtherSqlite(config.paths.database);
        try {
          const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
          done =
            count('SELECT count(*) AS n FROM event_facts') === events.length &&
            count('SELECT count(*) AS n FROM derived_dirty') === 0 &&
            count('SELECT count(*) AS n FROM daily_metrics') === 2;
        } finally {
          db.close();
        }
      } catch {
        return false; // the file or its tables are not there yet
      }
      if (!done) return false;
      const pending = (await redis.xpending(config.streams.cdc, config.slow_path.consumer_group)) as [number];
      return Number(pending[0]) === 0;
    },
    { timeoutMs: 20_000, what: 'durable derived rows and an acknowledged CDC stream' },
  );

  const db = openWithOtherSqlite(config.paths.database);
  try {
    const conversations = db.prepare('SELECT conversation_id, status, prompt_count, turn_count, parent_conversation_id, subagent_turn_key FROM conversations ORDER BY conversation_id').all();
    assert.deepEqual(conversations, [
      { conversation_id: CONV.A, status: 'completed', prompt_count: 2, turn_count: 14, parent_conversation_id: null, subagent_turn_key: null },
      { conversation_id: CONV.B, status: 'ended', prompt_count: 2, turn_count: 10, parent_conversation_id: null, subagent_turn_key: null },
      { conversation_id: CONV.S, status: 'completed', prompt_count: 0, turn_count: 3, parent_conversation_id: CONV.A, subagent_turn_key: `tool:${TASK_CALL}` },
      { conversation_id: CONV.D, status: 'active', prompt_count: 0, turn_count: 1, parent_conversation_id: null, subagent_turn_key: null },
    ]);
    const metrics = db.prepare('SELECT conversation_id, tool_calls, tool_failures, shell_commands, shell_failures, lines_added, lines_removed, input_tokens, output_tokens, stops_without_tokens FROM session_metrics ORDER BY conversation_id').all();
    assert.deepEqual(metrics.slice(0, 2), [
      { conversation_id: CONV.A, tool_calls: 6, tool_failures: 1, shell_commands: 2, shell_failures: 1, lines_added: 1, lines_removed: 0, input_tokens: 6000, output_tokens: 500, stops_without_tokens: 0 },
      { conversation_id: CONV.B, tool_calls: 3, tool_failures: 1, shell_commands: 1, shell_failures: 1, lines_added: 5, lines_removed: 1, input_tokens: 700, output_tokens: 50, stops_without_tokens: 2 },
    ]);
    const changes = db.prepare('SELECT source, file_path, lines_added, lines_removed FROM code_changes ORDER BY timestamp').all();
    assert.deepEqual(changes, [
      { source: 'agent', file_path: '/w/acme/src/server.ts', lines_added: 1, lines_removed: 0 },
      { source: 'agent', file_path: '/w/beta/test/date.test.ts', lines_added: 2, lines_removed: 1 },
      { source: 'tab', file_path: '/w/acme/src/server.ts', lines_added: 1, lines_removed: 1 },
      { source: 'agent', file_path: '/w/beta/src/date.ts', lines_added: 3, lines_removed: 0 },
    ]);
    const stats = db.prepare('SELECT stat_date, total_events, unique_sessions, total_tokens FROM trace_stats ORDER BY stat_date').all();
    assert.deepEqual(stats, [
      { stat_date: '2025-11-06', total_events: events.filter((e) => e.timestamp < '2025-11-07').length, unique_sessions: 4, total_tokens: 6500 },
      { stat_date: '2025-11-07', total_events: events.filter((e) => e.timestamp >= '2025-11-07').length, unique_sessions: 1, total_tokens: 750 },
    ]);
  } finally {
    db.close();
  }

  // What the live path made is what a rebuild makes from the same raw_traces.
  await server.stop();
  const SQL = await loadSqlJs();
  const live = new SQL.Database(readFileSync(config.paths.database));
  const liveTables = snapshot(live);
  live.close();
  // raw_traces copied as stored (same sequences, same blobs) into a fresh database, rebuilt there.
  const copy = await openStore(h.home, 'rebuilt.db');
  try {
    const source = new SQL.Database(readFileSync(config.paths.database));
    const columns = 'sequence, ingested_at, event_id, session_id, event_type, hook_type, platform, timestamp, workspace_hash, model, tool_name, duration_ms, tokens_used, lines_added, lines_removed, event_data, dictionary_id';
    const rows = source.exec(`SELECT ${columns} FROM raw_traces`)[0].values;
    source.close();
    const insert = copy.db.prepare(`INSERT INTO raw_traces (${columns}) VALUES (${columns.split(',').map(() => '?').join(', ')})`);
    try {
      for (const row of rows) insert.run(row);
    } finally {
      insert.free();
    }
    const result = await rebuildDerived(copy);
    assert.equal(result.failed, 0);
    assert.equal(result.events, events.length);
    assert.deepEqual(snapshot(copy.db), liveTables);
  } finally {
    copy.close();
  }
});
