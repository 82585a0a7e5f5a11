// End to end: one realistic agent session through the commands `hooks install` wrote, the spool
// (or straight to Redis), the forwarder, the stream and the processor, into raw_traces, read back
// with another SQLite. Duplicate deliveries and garbage are mixed in, as Cursor sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Redis } from 'ioredis';
import { installHooks } from '../../src/capture/hooksInstaller';
import { spoolForwarderComponent } from '../../src/capture/spoolForwarder';
import { workspaceHash } from '../../src/capture/envelope';
import { TelemetryServer } from '../../src/processing/server';
import { eventTypeForHook } from '../../src/shared/eventTypes';
import { silentLogger } from '../../src/shared/log';
import type { Config } from '../../src/config/config';
import { cursorFixtures } from '../helpers/fixtures';
import { deleteKeys, tempHome, testConfig, testRedis, waitFor } from '../helpers/env';
import { openWithOtherSqlite } from '../helpers/readback';
import { SECRET_SAMPLES, payloadWithSecrets } from '../fixtures/secrets';

const C = '7d3f0c52-1a9b-4e6f-8c21-5b0e9a4d7f13';

interface Row {
  event_id: string;
  session_id: string | null;
  event_type: string;
  platform: string;
  workspace_hash: string | null;
  model: string | null;
  tool_name: string | null;
  duration_ms: number | null;
  tokens_used: number | null;
  lines_added: number | null;
  hook_type?: string | null;
}

async function session(t: { after(fn: () => Promise<void> | void): void }, direct: boolean) {
  const h = tempHome(direct ? 'bp-e2e-direct' : 'bp-e2e-spool');
  const config: Config = testConfig(h.home, (c) => {
    c.spool.scan_interval_ms = 200;
    c.slow_path.enabled = false;
  });
  const redis: Redis = await testRedis();
  const server = new TelemetryServer({ config, log: silentLogger, components: [spoolForwarderComponent] });
  t.after(async () => {
    await server.stop();
    const keys = (await redis.keys(`${config.streams.events.replace(/:events$/, '')}*`)) as string[];
    await deleteKeys(redis, ...keys);
    redis.disconnect();
    h.cleanup();
  });
  const installed = installHooks({ config, env: h.env, direct, nodePath: process.execPath });
  const hooks = (JSON.parse(readFileSync(installed.hooksFile, 'utf8')) as { hooks: Record<string, Array<{ command: string }>> }).hooks;
  const env = { HOME: h.userHome, PATH: process.env.PATH ?? '/usr/bin:/bin', CURSOR_VERSION: '3.18.25' };
  const fire = (event: string, stdin: string) => {
    const r = spawnSync('sh', ['-c', hooks[event][0].command], { input: stdin, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  return { config, redis, server, fire };
}

/** The reference fixtures in session order, plus what Cursor also does: duplicates, secrets, garbage. */
function agentSession(fire: (event: string, stdin: string) => void): { events: number; secretsEvent: string } {
  const fixtures = cursorFixtures().filter((f) => f.conversation_id === C); // the agent session, not Tab or workspaceOpen
  for (const f of fixtures) fire(f.hook_event_name, JSON.stringify(f));
  const pre = fixtures.find((f) => f.hook_event_name === 'preToolUse')!;
  fire('preToolUse', JSON.stringify(pre)); // delivered twice by Cursor: same tool_use_id
  const withSecrets = { ...payloadWithSecrets(pre), tool_use_id: 'call-with-secrets' };
  fire('preToolUse', JSON.stringify(withSecrets));
  fire('stop', 'this is not JSON'); // to the DLQ, never a row
  return { events: fixtures.length + 1, secretsEvent: 'call-with-secrets' };
}

async function rowsWhenDurable(config: Config, count: number): Promise<Row[]> {
  // The processor flushes to disk and only then acknowledges; the file is read by another SQLite.
  return waitFor(
    () => {
      if (!existsSync(config.paths.database)) return undefined;
      const db = openWithOtherSqlite(config.paths.database);
      try {
        const rows = db.prepare('SELECT * FROM raw_traces ORDER BY sequence').all() as Row[];
        return rows.length >= count ? rows : undefined;
      } finally {
        db.close();
      }
    },
    { timeoutMs: 20_000, what: `${count} rows in raw_traces` },
  );
}

function checkRows(rows: Row[], expected: number): void {
  assert.equal(rows.length, expected, 'one row per real event: the duplicate delivery merged');
  assert.equal(new Set(rows.map((r) => r.event_id)).size, rows.length);
  const byType = (hook: string) => rows.filter((r) => r.hook_type === hook || (r.hook_type === undefined && r.event_type === eventTypeForHook(hook)));
  for (const r of rows) {
    assert.equal(r.platform, 'cursor');
    assert.equal(r.session_id, C);
    assert.equal(r.workspace_hash, workspaceHash('/w/acme'));
  }
  const pre = byType('preToolUse');
  assert.equal(pre.length, 2, 'the fixture (delivered twice) and the call with secrets');
  assert.equal(pre[0].tool_name, 'Shell');
  assert.equal(pre[0].model, 'default');
  assert.equal(pre[0].event_type, 'tool_use');
  const shell = byType('afterShellExecution')[0];
  assert.equal(shell.duration_ms, 5280);
  assert.equal(shell.event_type, 'shell_execution');
  const stop = byType('stop')[0];
  assert.equal(stop.tokens_used, 1449004 + 10324);
  const edit = byType('afterFileEdit')[0];
  assert.equal(edit.lines_added, 1);
  assert.equal(byType('beforeSubmitPrompt')[0].event_type, 'user_prompt');
}

async function assertNoSecretsStored(config: Config, redis: Redis): Promise<void> {
  const stream = JSON.stringify(await redis.xrange(config.streams.events, '-', '+'));
  const db = openWithOtherSqlite(config.paths.database);
  try {
    const { inflateSync } = await import('node:zlib');
    const blobs = (db.prepare('SELECT event_data, dictionary_id FROM raw_traces').all() as Array<{ event_data: Buffer; dictionary_id: number | null }>).map((r) => {
      if (r.dictionary_id === null) return inflateSync(r.event_data).toString();
      const dict = (db.prepare('SELECT dictionary FROM compression_dictionaries WHERE id = ?').get(r.dictionary_id) as { dictionary: Buffer }).dictionary;
      return inflateSync(r.event_data, { dictionary: dict }).toString();
    });
    const stored = stream + blobs.join('\n');
    assert.ok(stored.includes('call-with-secrets'), 'the event carrying the secrets is stored');
    for (const s of SECRET_SAMPLES) assert.ok(!stored.includes(s.secret), `${s.kind} reached Redis or the database`);
  } finally {
    db.close();
  }
}

test('an agent session through the installed spool hooks lands once per event in raw_traces', async (t) => {
  const s = await session(t, false);
  await s.server.start();
  const { events } = agentSession(s.fire);
  const rows = await rowsWhenDurable(s.config, events);
  checkRows(rows, events);
  await waitFor(async () => (await s.redis.xlen(s.config.streams.dlq)) === 1, { what: 'the garbage in the DLQ' });
  // The processor's status (refreshed about once a second) reports the forwarder's counts.
  await waitFor(() => s.server.status().spool?.parseFailures === 1, { what: 'spool stats in the processor status' });
  assert.equal(s.server.status().spool?.backlog, 0);
  await assertNoSecretsStored(s.config, s.redis);
});

test('the same session through the installed direct hooks lands once per event too', async (t) => {
  const s = await session(t, true);
  await s.server.start();
  const { events } = agentSession(s.fire);
  const rows = await rowsWhenDurable(s.config, events);
  checkRows(rows, events);
  await assertNoSecretsStored(s.config, s.redis);
  assert.equal(path.basename(s.config.paths.database), 'telemetry.db');
});
