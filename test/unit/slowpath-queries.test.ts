// The read side: listSessions, sessionTimeline, metricsSummary and their text, and the CLI
// commands `sessions`, `session <id>` and `rebuild`, on a real database file derived from the
// scripted sessions.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import type { Database } from 'sql.js';
import { registerSlowPathCommands } from '../../src/cli/slowPathCommands';
import { defaultConfig, type Config } from '../../src/config/config';
import { openDatabaseReadOnly } from '../../src/processing/databaseAccess';
import { loadSqlJs, SqliteStore } from '../../src/processing/database/sqliteClient';
import { MIGRATIONS } from '../../src/processing/database/schema';
import { listSessions, metricsSummary, parseSince, sessionTimeline } from '../../src/processing/slowPath/queries';
import { formatMetricsSummary, formatSessions, formatTimeline } from '../../src/processing/slowPath/queryText';
import { rebuildDerived } from '../../src/processing/slowPath/rebuild';
import { BASE_MS, CONV, openStore, scriptedEvents, storeEvents } from './slowpath-fixtures.test';

const events = scriptedEvents();

describe('slow path queries and commands', () => {
  let dir: string;
  let store: SqliteStore;
  let db: Database;
  let config: Config;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bp-slowpath-q-'));
    store = await openStore(dir);
    storeEvents(store, events);
    await rebuildDerived(store);
    store.flush();
    db = store.db;
    config = defaultConfig({ HOME: dir, BLUEPLANE_HOME: dir });
    config.paths.database = store.filePath;
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('listSessions: most recent first, subagents marked, filters', () => {
    const all = listSessions(db);
    assert.deepEqual(all.map((s) => s.conversation_id), [CONV.B, CONV.D, CONV.A, CONV.S]);
    const a = all.find((s) => s.conversation_id === CONV.A);
    assert.equal(a?.subagent_conversations, 1);
    assert.deepEqual(a?.models, ['default']);
    assert.equal(a?.tool_calls, 6);
    assert.equal(all.find((s) => s.conversation_id === CONV.S)?.parent_conversation_id, CONV.A);
    assert.deepEqual(listSessions(db, { limit: 2 }).map((s) => s.conversation_id), [CONV.B, CONV.D]);
    assert.deepEqual(listSessions(db, { topLevelOnly: true }).map((s) => s.conversation_id), [CONV.B, CONV.D, CONV.A]);
    assert.deepEqual(listSessions(db, { sinceMs: BASE_MS + 90_000 }).map((s) => s.conversation_id), [CONV.B, CONV.D]);
    const text = formatSessions(all);
    assert.match(text, /^SESSION/);
    assert.match(text, /bbbbbbbb\s+2025-11-07 00:00:10\s+ended/);
    assert.match(text, /cccccccc .*↳ subagent of aaaaaaaa/);
    assert.match(formatSessions([]), /No sessions yet/);
  });

  test('sessionTimeline: steps in order with text, tools, outcomes, lines; found by a prefix', () => {
    const timeline = sessionTimeline(db, 'aaaaaaaa');
    assert.ok(timeline);
    assert.equal(timeline.session.conversation_id, CONV.A);
    assert.equal(timeline.steps.length, 14);
    assert.deepEqual(timeline.subagents.map((s) => [s.conversation_id, s.subagent_type, s.status]), [[CONV.S, 'general-purpose', 'completed']]);
    const prompt = timeline.steps[1];
    assert.equal(prompt.type, 'user_prompt');
    assert.equal(prompt.text, 'Add a /health endpoint and a test for it');
    const write = timeline.steps[4];
    assert.deepEqual([write.tool, write.lines_added, write.lines_removed], ['Write', 1, 0]);
    const text = formatTimeline(timeline);
    assert.match(text, /^Session aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa \(cursor\)/);
    assert.match(text, /subagent session cccccccc-3333-4333-8333-cccccccccccc \(general-purpose\): completed/);
    assert.match(text, /2\s+23:40:02 {2}prompt "Add a \/health endpoint and a test for it"/);
    assert.match(text, /Shell npm test · 5\.3 s · ok \(exit 0\)/);
    assert.match(text, /Write \/w\/acme\/src\/server\.ts · 12 ms · ok · \+1 −0/);
    assert.match(text, /Shell npm run e2e · 30\.0 s · timeout/);
    assert.match(text, /stop: completed · 5,300 tokens/);
    assert.equal(sessionTimeline(db, 'zz'), undefined, 'prefixes under 4 characters are not guessed');
    assert.equal(sessionTimeline(db, 'ffffffff'), undefined);
  });

  test('an ambiguous prefix is an error that says what to do', async () => {
    const other = await openStore(dir, 'ambiguous.db');
    try {
      for (const id of ['abcd1111', 'abcd2222']) {
        other.db.run("INSERT INTO conversations VALUES (?, 'cursor', NULL, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', 'active', NULL, '[]', NULL, NULL, NULL, 0, 0, 0)", [id]);
      }
      assert.throws(() => sessionTimeline(other.db, 'abcd'), /matches several sessions; give more characters/);
    } finally {
      other.close();
    }
  });

  test('metricsSummary over a window, and its text', () => {
    const summary = metricsSummary(db, { sinceMs: BASE_MS - 3_600_000, untilMs: BASE_MS + 7_200_000 });
    assert.equal(summary.sessions, 4);
    assert.equal(summary.events, events.length);
    assert.equal(summary.prompts, 4);
    assert.equal(summary.tool_calls, 12);
    assert.deepEqual(summary.tool_calls_by_tool, { Grep: 1, 'MCP:query': 1, Read: 3, Shell: 3, Task: 1, Write: 3 });
    assert.deepEqual([summary.lines_added, summary.lines_removed, summary.files_edited, summary.tab_edits], [6, 1, 3, 1]);
    assert.deepEqual([summary.input_tokens, summary.output_tokens, summary.cache_read_tokens, summary.cache_write_tokens], [6700, 550, 4800, 100]);
    assert.deepEqual([summary.token_reports, summary.stops_without_tokens], [3, 2]);
    assert.deepEqual(summary.per_day.map((d) => [d.date, d.prompts]), [['2025-11-06', 4], ['2025-11-07', 0]]);
    const text = formatMetricsSummary(summary);
    assert.match(text, /Sessions 4 · prompts 4 · tool calls 12 \(2 failed\)/);
    assert.match(text, /By tool: Read 3, Shell 3, Write 3, Grep 1, MCP:query 1, Task 1/);
    assert.match(text, /Tokens: input 6,700 · output 550 · cache read 4,800 · cache write 100 \(from 3 report\(s\); 2 stop\(s\) without counts\)/);
    assert.match(text, /Per day \(UTC\):\n {4}2025-11-06/);
    // A window with nothing in it says so rather than showing zeros as if tokens were counted.
    const empty = metricsSummary(db, { sinceMs: BASE_MS - 86_400_000 * 30, untilMs: BASE_MS - 86_400_000 * 29 });
    assert.equal(empty.input_tokens, null);
    assert.match(formatMetricsSummary(empty), /no event in this window reported token counts/);
  });

  test('the queries of docs/queries.md run and answer their questions', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../docs/queries.md'), 'utf8');
    const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.equal(blocks.length, 3);
    const run = (sql: string) => {
      const result = db.exec(sql)[0];
      return result ? result.values.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))) : [];
    };
    // The script is from 2025: widen "this week" to see its rows.
    const prompts = run(blocks[0].replace("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')", "'2000-01-01'"));
    assert.deepEqual(prompts.map((r) => Number(r.added) + Number(r.removed)), [3, 3, 1]);
    assert.equal(run(blocks[0]).length, 0, 'nothing from 2025 is in the last 7 days');
    const shell = run(blocks[1]);
    assert.deepEqual(shell.map((r) => [r.command, r.runs, r.failed]), [['npm test', 2, 1], ['npm run e2e', 1, 1]]);
    const days = run(blocks[2]);
    assert.deepEqual(days.map((r) => [r.stat_date, r.prompts, r.input_tokens, r.stops_without_tokens]), [['2025-11-07', 0, 700, 1], ['2025-11-06', 4, 6000, 1]]);
  });

  test('parseSince understands spans and dates, and explains what it does not', () => {
    const now = Date.parse('2025-11-10T12:00:00.000Z');
    assert.equal(parseSince('7d', now), now - 7 * 86_400_000);
    assert.equal(parseSince('24h', now), now - 86_400_000);
    assert.equal(parseSince('30m', now), now - 1_800_000);
    assert.equal(parseSince('2w', now), now - 14 * 86_400_000);
    assert.equal(parseSince('2025-11-01', now), Date.parse('2025-11-01'));
    assert.throws(() => parseSince('soon', now), /^Error: "soon" is not a time span; use a number with m, h, d or w \(like 7d\) or a date/);
  });

  test('a database without the slow path tables gets a one-sentence answer', async () => {
    // A file written before the slow path existed: schema version 1 only.
    const SQL = await loadSqlJs();
    const bare = new SQL.Database();
    MIGRATIONS[0].up(bare);
    try {
      assert.throws(() => listSessions(bare), /^Error: This database has no conversation tables yet \(it predates the slow path\); start the processor once or run `blueplane rebuild`\.$/);
    } finally {
      bare.close();
    }
  });

  describe('commands', () => {
    function cli() {
      const out: string[] = [];
      const err: string[] = [];
      const program = new Command('blueplane');
      program.exitOverride();
      program.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
      registerSlowPathCommands(program, {
        loadConfig: () => config,
        openDatabaseReadOnly,
        // The lead's withWriterLock takes the leader lock and opens the file; here the test's own store.
        withWriterLock: async (_config, fn) => fn(store),
        write: (text) => out.push(text),
      });
      // As src/cli.ts's main does: a thrown error is one sentence on stderr and exit code 1.
      const run = async (...args: string[]) => {
        try {
          await program.parseAsync(['node', 'blueplane', ...args]);
          return 0;
        } catch (e) {
          if (e instanceof CommanderError) return e.exitCode;
          err.push(`blueplane: ${(e as Error).message}`);
          return 1;
        }
      };
      return { run, out, err };
    }

    test('sessions, as text and JSON', async () => {
      const c = cli();
      assert.equal(await c.run('sessions', '--json', '--limit', '3'), 0);
      const list = JSON.parse(c.out.join('')) as Array<{ conversation_id: string }>;
      assert.deepEqual(list.map((s) => s.conversation_id), [CONV.B, CONV.D, CONV.A]);
      const t = cli();
      assert.equal(await t.run('sessions'), 0);
      assert.match(t.out.join(''), /Show one with: blueplane session <id>/);
    });

    test('session <id>, as a timeline and as JSON', async () => {
      const c = cli();
      assert.equal(await c.run('session', CONV.B.slice(0, 8)), 0);
      assert.match(c.out.join(''), /Shell npm test · 1\.8 s · error \(exit 1\)/);
      const j = cli();
      assert.equal(await j.run('session', CONV.B, '--json'), 0);
      assert.equal((JSON.parse(j.out.join('')) as { steps: unknown[] }).steps.length, 10);
    });

    test('rebuild reports what it did', async () => {
      const c = cli();
      assert.equal(await c.run('rebuild'), 0);
      assert.match(c.out.join(''), new RegExp(`^Rebuilt the derived tables from ${events.length} stored event\\(s\\) in \\d+ ms: 4 conversation\\(s\\)\\.$`));
    });

    test('failures exit non-zero with one sentence', async () => {
      const missing = cli();
      assert.equal(await missing.run('session', 'nope-nope'), 1);
      assert.equal(missing.err.join(''), 'blueplane: No session "nope-nope" in the database; list sessions with `blueplane sessions`.');
      const badLimit = cli();
      assert.equal(await badLimit.run('sessions', '--limit', '0'), 1);
      assert.match(badLimit.err.join(''), /--limit must be a positive whole number, not "0"\./);
      const noDb = cli();
      const saved = config.paths.database;
      config.paths.database = path.join(dir, 'absent.db');
      try {
        assert.equal(await noDb.run('sessions'), 1);
        assert.match(noDb.err.join(''), /No database at .*absent\.db yet/);
      } finally {
        config.paths.database = saved;
      }
    });

    test('every command has help text', () => {
      const program = new Command('blueplane');
      registerSlowPathCommands(program, { loadConfig: () => config, openDatabaseReadOnly, withWriterLock: async (_c, fn) => fn(store) });
      for (const name of ['sessions', 'session', 'rebuild']) {
        const command = program.commands.find((c) => c.name() === name);
        assert.ok(command, name);
        assert.ok(command.description().length > 20, `${name} has a description`);
        assert.ok(command.helpInformation().includes('Usage: blueplane'), `${name} has usage`);
      }
    });
  });
});
