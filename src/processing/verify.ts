import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Database } from 'sql.js';
import { type Config, redactUrl } from '../config/config';
import { fieldsFromArray, toStreamFields } from '../shared/event';
import { errorMessage } from '../shared/log';
import { closeRedis, connectRedis, createRedis } from '../shared/redis';
import { decompress } from './database/compression';
import { SCHEMA_VERSION, schemaVersion } from './database/schema';
import { openDatabaseReadOnly } from './databaseAccess';
import { isFresh, readStatusFile } from './status';
import { readGroups } from './streamHealth';

export type CheckState = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  state: CheckState;
  detail: string;
  /** What to do about a failure or warning: one sentence. */
  fix?: string;
  ms: number;
}

export interface VerifyReport {
  ok: boolean;
  checks: CheckResult[];
  totalMs: number;
}

export interface VerifyOptions {
  /** Send a probe event through the pipeline (default true). */
  probe?: boolean;
  probeTimeoutMs?: number;
  /** Extra checks from layers above (hooks installed), run after the built-in ones. */
  extraChecks?: Array<() => Promise<Omit<CheckResult, 'ms'>>>;
}

/** A check may name itself (extra checks know their subject only when they run). */
type Check = () => Promise<Omit<CheckResult, 'ms' | 'name'> & { name?: string }>;

/**
 * The plan's verification checklist (Step 6.3), as a report with a pass/fail line per check, a
 * timing and a fix for each failure. Used by `blueplane verify` and `Blueplane: Verify Pipeline`.
 */
export async function runVerify(config: Config, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const checks: CheckResult[] = [];
  const run = async (name: string, check: Check) => {
    const t0 = performance.now();
    let result: Omit<CheckResult, 'ms' | 'name'> & { name?: string };
    try {
      result = await check();
    } catch (err) {
      result = { state: 'fail', detail: errorMessage(err) };
    }
    checks.push({ name, ...result, ms: Math.round(performance.now() - t0) });
  };

  const redis = createRedis({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, failFast: true, name: 'blueplane-verify' });
  let redisUp = false;
  let db: Database | undefined;
  try {
    await run('Redis reachable', async () => {
      await connectRedis(redis, config.redis.url);
      const t0 = performance.now();
      await redis.ping();
      redisUp = true;
      return { state: 'pass', detail: `${redactUrl(config.redis.url)} answered PING in ${(performance.now() - t0).toFixed(1)} ms` };
    });
    if (!redisUp) checks[checks.length - 1].fix = 'Start redis-server (or fix BLUEPLANE_REDIS_URL / redis.url in config.yaml).';

    const status = readStatusFile(config.paths.status);
    await run('Processor running', async () => {
      if (isFresh(status) && status.role === 'leader') {
        return { state: 'pass', detail: `pid ${status.pid} owns the database; ${status.fastPath.written} events written since ${status.startedAt}` };
      }
      return {
        state: 'fail',
        detail: 'no processor has reported in the last 10 s',
        fix: 'Open Cursor with the Blueplane extension, or run `blueplane start`.',
      };
    });

    await run(`Stream ${config.streams.events} consumed by group ${config.processor.consumer_group}`, async () => {
      if (!redisUp) return { state: 'skip', detail: 'Redis is not reachable' };
      const group = (await readGroups(redis, config.streams.events)).find((g) => g.name === config.processor.consumer_group);
      if (!group) {
        return { state: 'fail', detail: 'the consumer group does not exist', fix: 'Start the processor once; it creates the group.' };
      }
      const lag = group.lag ?? 0;
      const state: CheckState = lag > 10_000 ? 'warn' : 'pass';
      return {
        state,
        detail: `last delivered ${group.lastDeliveredId}, ${group.entriesRead ?? '?'} read, ${group.pending} pending, lag ${group.lag ?? 'unknown'}`,
        fix: state === 'warn' ? 'The processor is behind; check `blueplane stats` for its rate and errors.' : undefined,
      };
    });

    await run('Database exists', async () => {
      if (!existsSync(config.paths.database)) {
        return { state: 'fail', detail: `${config.paths.database} does not exist`, fix: 'Run `blueplane init-db` or start the processor.' };
      }
      db = await openDatabaseReadOnly(config);
      const version = schemaVersion(db);
      const mode = (statSync(config.paths.database).mode & 0o777).toString(8);
      const state: CheckState = version === SCHEMA_VERSION && mode === '600' ? 'pass' : 'warn';
      return {
        state,
        detail: `${config.paths.database}: ${(statSync(config.paths.database).size / 1e6).toFixed(1)} MB, schema v${version}, mode ${mode}`,
        fix: state === 'warn' ? (version !== SCHEMA_VERSION ? 'Restart the processor to migrate the schema.' : `Run \`chmod 600 ${config.paths.database}\`.`) : undefined,
      };
    });

    await run('raw_traces has rows', async () => {
      if (!db) return { state: 'skip', detail: 'no database' };
      const n = Number(db.exec("SELECT count(*) FROM raw_traces WHERE event_type <> 'probe'")[0].values[0][0]);
      return n > 0
        ? { state: 'pass', detail: `${n} events stored` }
        : { state: 'warn', detail: 'no events yet', fix: 'Install the hooks (`blueplane hooks install`) and use Cursor\'s agent.' };
    });

    await run('Events compressed and readable', async () => {
      if (!db) return { state: 'skip', detail: 'no database' };
      const rows = db.exec(
        `SELECT r.event_data, d.dictionary FROM raw_traces r LEFT JOIN compression_dictionaries d ON d.id = r.dictionary_id
         WHERE r.event_type <> 'probe' ORDER BY r.sequence DESC LIMIT 50`,
      )[0]?.values ?? [];
      if (rows.length === 0) return { state: 'skip', detail: 'no events yet' };
      let raw = 0;
      let stored = 0;
      for (const [blob, dict] of rows) {
        const json = decompress(blob as Uint8Array, (dict as Uint8Array | null) ?? undefined);
        JSON.parse(json);
        raw += Buffer.byteLength(json);
        stored += (blob as Uint8Array).byteLength;
      }
      return { state: 'pass', detail: `last ${rows.length} events inflate to valid JSON; ${(raw / stored).toFixed(2)}x smaller stored` };
    });

    await run('Indexed fields populated', async () => {
      if (!db) return { state: 'skip', detail: 'no database' };
      const r = db.exec(
        `SELECT count(*), sum(session_id IS NULL OR session_id = ''), sum(timestamp IS NULL), sum(event_date IS NULL),
                sum(event_type = 'file_edit' AND lines_added IS NULL), sum(tool_name IS NOT NULL), sum(workspace_hash IS NOT NULL)
         FROM (SELECT * FROM raw_traces WHERE event_type NOT IN ('probe', 'workspace_open', 'file_read') ORDER BY sequence DESC LIMIT 1000)`,
      )[0].values[0].map((v) => Number(v ?? 0));
      const [n, noSession, noTime, noDate, editsWithoutLines, withTool, withWorkspace] = r;
      if (n === 0) return { state: 'skip', detail: 'no events yet' };
      const bad = noTime + noDate + editsWithoutLines;
      return bad > 0
        ? { state: 'fail', detail: `${bad} of the last ${n} rows lack timestamp, date or line counts`, fix: 'Report this with `blueplane dlq list` output; the rows were stored by an old version.' }
        : {
            state: noSession > 0 ? 'warn' : 'pass',
            detail: `last ${n} rows: ${n - noSession} with a session, ${withTool} with a tool, ${withWorkspace} with a workspace hash`,
            fix: noSession > 0 ? 'Some events came without a conversation id (Tab events do); nothing to do unless all do.' : undefined,
          };
    });

    await run(`CDC stream ${config.streams.cdc} has entries`, async () => {
      if (!redisUp) return { state: 'skip', detail: 'Redis is not reachable' };
      const n = await redis.xlen(config.streams.cdc);
      return n > 0 ? { state: 'pass', detail: `${n} entries` } : { state: 'warn', detail: 'empty', fix: 'It fills as events are stored; run the probe below.' };
    });

    await run(`Dead letter queue ${config.streams.dlq}`, async () => {
      if (!redisUp) return { state: 'skip', detail: 'Redis is not reachable' };
      const n = await redis.xlen(config.streams.dlq);
      return n === 0
        ? { state: 'pass', detail: 'empty' }
        : { state: 'warn', detail: `${n} entries could not be stored`, fix: 'Inspect them with `blueplane dlq list` (or Blueplane: Show Dead Letter Queue), then retry or delete.' };
    });

    if (options.probe !== false) {
      await run('End-to-end probe', async () => {
        if (!redisUp) return { state: 'skip', detail: 'Redis is not reachable' };
        const interval = status?.database.flushIntervalMs ?? 0;
        const timeout = options.probeTimeoutMs ?? Math.max(10_000, 2 * interval + 5_000);
        const ms = await sendProbe(redis, config, timeout);
        return { state: 'pass', detail: `a probe event went stream → processor → durable SQLite row → CDC in ${ms} ms` };
      });
      const last = checks[checks.length - 1];
      if (last.state === 'fail') last.fix = 'Check that the processor is running (above) and look at its log (Blueplane: Show Logs).';
    }

    for (const extra of options.extraChecks ?? []) await run('extra check', extra);
  } finally {
    db?.close();
    await closeRedis(redis);
  }
  return { ok: checks.every((c) => c.state !== 'fail'), checks, totalMs: Math.round(performance.now() - started) };
}

/**
 * XADD a probe event and wait for its CDC announcement, which the processor only sends once the
 * row is durable. The processor deletes probe rows after announcing them and leaves them out of
 * every count, so the user's statistics stay clean.
 */
export async function sendProbe(redis: Redis, config: Config, timeoutMs: number): Promise<number> {
  const eventId = `probe-${randomUUID()}`;
  const lastCdc = (await redis.xrevrange(config.streams.cdc, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
  let after = lastCdc[0]?.[0] ?? '0-0';
  const t0 = performance.now();
  const fields = toStreamFields({
    event_id: eventId,
    timestamp: new Date().toISOString(),
    platform: 'blueplane',
    hook_type: 'verifyProbe',
    event_type: 'probe',
    session_id: 'blueplane-verify',
    payload: {},
    metadata: {},
  });
  await redis.xadd(config.streams.events, '*', ...Object.entries(fields).flat());
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const block = Math.max(1, Math.min(1000, deadline - Date.now()));
    const reply = (await redis.xread('COUNT', 1000, 'BLOCK', block, 'STREAMS', config.streams.cdc, after)) as Array<[string, Array<[string, string[]]>]> | null;
    for (const [id, flat] of reply?.[0]?.[1] ?? []) {
      after = id;
      if (fieldsFromArray(flat).event_id === eventId) return Math.round(performance.now() - t0);
    }
  }
  throw new Error(`the probe did not come out of the pipeline within ${Math.round(timeoutMs / 1000)} s`);
}

export function formatReport(report: VerifyReport): string {
  const icon: Record<CheckState, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
  const lines = report.checks.map((c) => {
    const head = `${icon[c.state]}  ${c.name} (${c.ms} ms): ${c.detail}`;
    return c.fix && c.state !== 'pass' ? `${head}\n      fix: ${c.fix}` : head;
  });
  const failed = report.checks.filter((c) => c.state === 'fail').length;
  lines.push('', report.ok ? `Pipeline OK (${report.totalMs} ms).` : `${failed} check(s) failed (${report.totalMs} ms).`);
  return lines.join('\n');
}
