import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { cursorFixtures } from '../helpers/fixtures';
import { testRedis, waitFor } from '../helpers/env';
import { makeEvent, readStatus, setupHome, startProcessor, waitAllAcked, xaddEvents } from '../helpers/processor';
import { countWithSqliteCli, inflateWithPython, openWithOtherSqlite } from '../helpers/readback';
import { eventTypeForHook } from '../../src/shared/eventTypes';
import { fieldsFromArray } from '../../src/shared/event';

test('events from the stream land in telemetry.db, readable by another SQLite and another zlib', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const proc = startProcessor(setup);
  try {
    const fixtures = cursorFixtures();
    const events = fixtures.map((payload) =>
      makeEvent(
        { hook_type: payload.hook_event_name, event_type: eventTypeForHook(payload.hook_event_name), session_id: String(payload.conversation_id ?? '') },
        payload,
      ),
    );
    await xaddEvents(redis, setup.streams.events, events);
    // The original Python hooks wrote flat fields with `data` (not `payload`) and no event_type.
    const pythonId = randomUUID();
    await redis.xadd(setup.streams.events, '*',
      'event_id', pythonId, 'timestamp', '2025-11-06T15:30:45.100+00:00', 'platform', 'cursor', 'hook_type', 'afterFileEdit',
      'session_id', 'py-session', 'enqueued_at', '2025-11-06T15:30:45.120+00:00', 'retry_count', '0',
      'data', JSON.stringify({ file_path: '/w/a.py', edits: [{ old_string: 'a\nb\n', new_string: 'a\nc\nd\n' }] }),
      'metadata', JSON.stringify({ workspace_hash: 'abc123' }), 'sequence_num', '7');
    await waitAllAcked(redis, setup.streams.events, events.length + 1);

    const file = path.join(setup.home, 'telemetry.db');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the database is readable by its owner only');
    assert.equal(statSync(setup.home).mode & 0o777, 0o700);
    const db = openWithOtherSqlite(file);
    try {
      const rows = db.prepare('SELECT r.*, d.dictionary FROM raw_traces r LEFT JOIN compression_dictionaries d ON d.id = r.dictionary_id ORDER BY sequence').all() as Array<Record<string, unknown>>;
      assert.equal(rows.length, events.length + 1);
      const inflated = inflateWithPython(rows.map((r) => ({ blob: r.event_data as Buffer, dictionary: (r.dictionary as Buffer | null) ?? null })));
      const byId = new Map(events.map((e) => [e.event_id, e]));
      for (const [i, row] of rows.entries()) {
        const stored = JSON.parse(inflated[i]);
        assert.equal(stored.event_id, row.event_id);
        assert.ok((row.event_data as Buffer).length < Buffer.byteLength(inflated[i]) || Buffer.byteLength(inflated[i]) < 300, 'event_data is compressed');
        const original = byId.get(row.event_id as string);
        if (original) assert.deepEqual(stored.payload, original.payload, `payload of ${original.hook_type} survives unchanged`);
        assert.match(String(row.event_date), /^\d{4}-\d{2}-\d{2}$/);
        assert.equal(typeof row.event_hour, 'number');
      }
      const edit = rows.find((r) => r.hook_type === 'afterFileEdit' && r.event_id !== pythonId)!;
      assert.equal(edit.lines_added, 1);
      assert.equal(edit.lines_removed, 0);
      assert.equal(edit.tool_name, 'Write');
      const stop = rows.find((r) => r.hook_type === 'stop')!;
      assert.equal(stop.tokens_used, 1449004 + 10324);
      assert.equal(stop.event_type, 'agent_stop');
      const shell = rows.find((r) => r.hook_type === 'afterShellExecution')!;
      assert.equal(shell.duration_ms, 5280);
      assert.equal(shell.tool_name, 'Shell');
      assert.equal(shell.session_id, '7d3f0c52-1a9b-4e6f-8c21-5b0e9a4d7f13');
      assert.ok(String(shell.workspace_hash).length > 0);
      const mcp = rows.find((r) => r.hook_type === 'afterMCPExecution')!;
      assert.equal(mcp.tool_name, 'MCP:query');
      const py = rows.find((r) => r.event_id === pythonId)!;
      assert.equal(py.session_id, 'py-session');
      assert.equal(py.event_type, 'file_edit');
      assert.equal(py.workspace_hash, 'abc123');
      assert.equal(py.lines_added, 2);
      assert.equal(py.lines_removed, 1);
      assert.equal(py.event_date, '2025-11-06');
      assert.equal(py.event_hour, 15);
      const pyStored = JSON.parse(inflated[rows.indexOf(py)]);
      assert.equal(pyStored.extra.sequence_num, '7', 'extra top-level fields are kept');
    } finally {
      db.close();
    }
    const cliCount = countWithSqliteCli(file);
    if (cliCount !== undefined) assert.equal(cliCount, events.length + 1);

    // One CDC entry per durable row, with the priority of its type.
    const cdc = (await redis.xrange(setup.streams.cdc, '-', '+')) as Array<[string, string[]]>;
    const announced = cdc.map(([, f]) => fieldsFromArray(f));
    assert.equal(new Set(announced.map((c) => c.event_id)).size, events.length + 1);
    const prompt = announced.find((c) => c.event_type === 'user_prompt')!;
    assert.equal(prompt.priority, '1');
    assert.ok(Number(prompt.sequence) > 0);
    assert.equal(announced.find((c) => c.event_type === 'session_start')!.priority, '4');
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('a redelivered or replayed event_id never creates a second row', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const proc = startProcessor(setup);
  try {
    const events = Array.from({ length: 50 }, () => makeEvent());
    await xaddEvents(redis, setup.streams.events, events);
    await xaddEvents(redis, setup.streams.events, events.slice(0, 20)); // the same events again
    await waitAllAcked(redis, setup.streams.events, 70);
    await waitFor(() => (readStatus(setup)?.fastPath.duplicates ?? 0) >= 20, { what: 'duplicates counted' });
    const db = openWithOtherSqlite(path.join(setup.home, 'telemetry.db'));
    try {
      const { n, d } = db.prepare('SELECT count(*) n, count(DISTINCT event_id) d FROM raw_traces').get() as { n: number; d: number };
      assert.equal(n, 50);
      assert.equal(d, 50);
    } finally {
      db.close();
    }
  } finally {
    await proc.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('entries are acknowledged only after the flush that made their rows durable', async () => {
  const redis = await testRedis();
  // A flush interval far longer than the test: rows sit in memory until the shutdown flush.
  const setup = setupHome('processor:\n  flush_min_interval_ms: 600000\n  flush_max_interval_ms: 600000\n');
  const proc = startProcessor(setup);
  try {
    await waitFor(() => readStatus(setup)?.role === 'leader', { what: 'leader' });
    const events = Array.from({ length: 30 }, () => makeEvent());
    await xaddEvents(redis, setup.streams.events, events);
    // All read and written to memory, none acknowledged: they wait in the pending entries list.
    await waitFor(() => (readStatus(setup)?.fastPath.written ?? 0) === 30, { what: '30 rows written in memory' });
    const pending = (await redis.xpending(setup.streams.events, 'processors')) as [number, ...unknown[]];
    assert.equal(pending[0], 30, 'nothing is acked before the flush');
    const db = openWithOtherSqlite(path.join(setup.home, 'telemetry.db'));
    try {
      assert.equal((db.prepare('SELECT count(*) n FROM raw_traces').get() as { n: number }).n, 0, 'the file does not hold them yet');
    } finally {
      db.close();
    }
    // A clean stop flushes, then acknowledges.
    assert.equal(await proc.stop('SIGTERM'), 0);
    const after = (await redis.xpending(setup.streams.events, 'processors')) as [number, ...unknown[]];
    assert.equal(after[0], 0);
    const db2 = openWithOtherSqlite(path.join(setup.home, 'telemetry.db'));
    try {
      assert.equal((db2.prepare('SELECT count(*) n FROM raw_traces').get() as { n: number }).n, 30);
    } finally {
      db2.close();
    }
  } finally {
    await proc.stop('SIGKILL');
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

test('SIGINT during a load stops cleanly: every acknowledged entry is on disk', async () => {
  const redis = await testRedis();
  const setup = setupHome();
  const proc = startProcessor(setup);
  try {
    const events = Array.from({ length: 3000 }, () => makeEvent({}, { output: 'x'.repeat(2000) }));
    await xaddEvents(redis, setup.streams.events, events);
    await waitFor(() => (readStatus(setup)?.fastPath.written ?? 0) > 200, { what: 'some progress' });
    const t0 = Date.now();
    assert.equal(await proc.stop('SIGINT'), 0, proc.output());
    assert.ok(Date.now() - t0 < 15_000, 'the stop is bounded');
    const pending = (await redis.xpending(setup.streams.events, 'processors', '-', '+', 10_000)) as Array<[string]>;
    const pendingIds = new Set(pending.map(([id]) => id));
    const entries = (await redis.xrange(setup.streams.events, '-', '+')) as Array<[string, string[]]>;
    const groups = (await redis.xinfo('GROUPS', setup.streams.events)) as unknown[][];
    const lastDelivered = String(groups[0][groups[0].indexOf('last-delivered-id') + 1]);
    const db = openWithOtherSqlite(path.join(setup.home, 'telemetry.db'));
    try {
      const stored = new Set((db.prepare('SELECT event_id FROM raw_traces').all() as Array<{ event_id: string }>).map((r) => r.event_id));
      let acked = 0;
      for (const [id, flat] of entries) {
        const delivered = compareIds(id, lastDelivered) <= 0;
        if (delivered && !pendingIds.has(id)) {
          acked++;
          assert.ok(stored.has(fieldsFromArray(flat).event_id), `acked entry ${id} is in the database`);
        }
      }
      assert.ok(acked > 0);
    } finally {
      db.close();
    }
  } finally {
    await proc.stop('SIGKILL');
    await setup.cleanup(redis);
    redis.disconnect();
  }
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

test('the leader trims acknowledged entries and never one that is still pending', async () => {
  const redis = await testRedis();
  const setup = setupHome('', '  trim_interval_ms: 200\n');
  try {
    const events = Array.from({ length: 600 }, () => makeEvent());
    const ids = await xaddEvents(redis, setup.streams.events, events);
    // A consumer that takes 10 entries and dies without acknowledging them.
    await redis.xgroup('CREATE', setup.streams.events, 'processors', '0');
    await redis.xreadgroup('GROUP', 'processors', 'ghost', 'COUNT', 10, 'STREAMS', setup.streams.events, '>');
    const proc = startProcessor(setup);
    try {
      await waitFor(async () => {
        const pending = (await redis.xpending(setup.streams.events, 'processors')) as [number];
        return pending[0] === 10 && (readStatus(setup)?.fastPath.acked ?? 0) === 590;
      }, { what: '590 acked, 10 left with the ghost' });
      // Nothing can be trimmed past the ghost's oldest pending entry, which is the first one.
      await new Promise((r) => setTimeout(r, 600));
      const remaining = (await redis.xrange(setup.streams.events, '-', '+')) as Array<[string, string[]]>;
      const kept = new Set(remaining.map(([id]) => id));
      for (const id of ids.slice(0, 10)) assert.ok(kept.has(id), `pending entry ${id} is kept`);
      // Once the ghost's entries are acknowledged, the acknowledged history goes.
      await redis.xack(setup.streams.events, 'processors', ...ids.slice(0, 10));
      await waitFor(async () => (await redis.xlen(setup.streams.events)) < 600, { what: 'a trim' });
    } finally {
      await proc.stop();
    }
  } finally {
    await setup.cleanup(redis);
    redis.disconnect();
  }
});
