import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SqliteStore } from '../../src/processing/database/sqliteClient';
import { SQLiteBatchWriter, encodeEvent } from '../../src/processing/database/batchWriter';
import { applyRetention } from '../../src/processing/retention';
import { SCHEMA_VERSION } from '../../src/processing/database/schema';
import { tempHome, waitFor } from '../helpers/env';
import { openWithOtherSqlite } from '../helpers/readback';
import { makeEvent } from '../helpers/processor';

test('a new database is created private, migrated and valid on disk at once', async () => {
  const t = tempHome('bp-db');
  try {
    const file = path.join(t.home, 'telemetry.db');
    const { store, created } = await SqliteStore.open(file);
    store.close();
    assert.ok(created);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(t.home).mode & 0o777, 0o700);
    const db = openWithOtherSqlite(file);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as Array<{ name: string }>).map((r) => r.name);
    for (const name of ['raw_traces', 'conversations', 'conversation_turns', 'code_changes', 'compression_dictionaries', 'trace_stats']) assert.ok(tables.includes(name), name);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='raw_traces'").all() as Array<{ name: string }>).length;
    assert.ok(indexes >= 5, 'four query indexes and the unique event_id');
    db.close();
    // Opening again neither migrates nor rewrites.
    const again = await SqliteStore.open(file);
    assert.equal(again.created, false);
    again.store.close();
  } finally {
    t.cleanup();
  }
});

test('a row SQLite refuses fails alone; the rest of its batch is stored', async () => {
  const t = tempHome('bp-db');
  try {
    const { store } = await SqliteStore.open(path.join(t.home, 'telemetry.db'));
    const writer = new SQLiteBatchWriter(store);
    const rows = Array.from({ length: 5 }, () => encodeEvent(makeEvent()));
    (rows[2].fields as { platform: string | null }).platform = null; // NOT NULL column
    const result = writer.writeEncoded(rows);
    assert.equal(result.stored.length, 4);
    assert.equal(result.failed.length, 1);
    assert.match(result.failed[0].error, /NOT NULL/);
    assert.equal(Number(store.db.exec('SELECT count(*) FROM raw_traces')[0].values[0][0]), 4);
    writer.dispose();
    store.close();
  } finally {
    t.cleanup();
  }
});

test('statements survive a flush (sql.js frees them on export)', async () => {
  const t = tempHome('bp-db');
  try {
    const { store } = await SqliteStore.open(path.join(t.home, 'telemetry.db'));
    const writer = new SQLiteBatchWriter(store);
    writer.writeBatch([makeEvent()]);
    store.flush();
    writer.writeBatch([makeEvent()]);
    store.flush();
    assert.equal(Number(store.db.exec('SELECT count(*) FROM raw_traces')[0].values[0][0]), 2);
    writer.dispose();
    store.close();
  } finally {
    t.cleanup();
  }
});

test('retention deletes events older than the configured days, and only those', async () => {
  const t = tempHome('bp-db');
  try {
    const { store } = await SqliteStore.open(path.join(t.home, 'telemetry.db'));
    const writer = new SQLiteBatchWriter(store);
    const now = Date.parse('2026-11-30T12:00:00Z');
    writer.writeBatch([
      makeEvent({ timestamp: new Date(now - 91 * 86_400_000).toISOString() }),
      makeEvent({ timestamp: new Date(now - 89 * 86_400_000).toISOString() }),
      makeEvent({ timestamp: new Date(now).toISOString() }),
    ]);
    assert.equal(applyRetention(store, 90, now), 1);
    assert.equal(Number(store.db.exec('SELECT count(*) FROM raw_traces')[0].values[0][0]), 2);
    writer.dispose();
    store.close();
  } finally {
    t.cleanup();
  }
});

test('kill -9 at any moment of a flush loop leaves a valid SQLite file', async () => {
  const t = tempHome('bp-db');
  const file = path.join(t.home, 'telemetry.db');
  try {
    let lastCount = 0;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../fixtures/flushLoop.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
      let dots = 0;
      child.stdout!.on('data', (d: Buffer) => (dots += d.length));
      const target = 2 + round * 3;
      await waitFor(() => dots >= target, { timeoutMs: 30_000, what: `${target} flushes` });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const db = openWithOtherSqlite(file);
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `round ${round}`);
        const n = (db.prepare('SELECT count(*) n FROM raw_traces').get() as { n: number }).n;
        assert.ok(n >= lastCount, 'rows only grow across crashes');
        lastCount = n;
      } finally {
        db.close();
      }
    }
    assert.ok(lastCount > 0);
  } finally {
    t.cleanup();
  }
});

test('leftover temp files of a crashed flush are removed at the next open', async () => {
  const t = tempHome('bp-db');
  try {
    const file = path.join(t.home, 'telemetry.db');
    const { store } = await SqliteStore.open(file);
    store.close();
    const stale = path.join(t.home, `.telemetry.db.${999999}.tmp`);
    writeFileSync(stale, 'half written');
    const again = await SqliteStore.open(file);
    again.store.close();
    assert.equal(existsSync(stale), false);
    assert.deepEqual(readdirSync(t.home).filter((f) => f.endsWith('.tmp')), []);
  } finally {
    t.cleanup();
  }
});
