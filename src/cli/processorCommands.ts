import type { Command } from 'commander';
import type { Config } from '../config/config';
import { SqliteStore } from '../processing/database/sqliteClient';
import { SCHEMA_VERSION } from '../processing/database/schema';
import { openDatabaseReadOnly } from '../processing/databaseAccess';
import { tryAcquireLeaderLock } from '../processing/leaderLock';
import { TelemetryServer, type ServerOptions } from '../processing/server';
import { IPC_STATUS, IPC_STOP, isFresh, type ProcessorStatus, readStatusFile } from '../processing/status';
import { formatReport, runVerify, type VerifyOptions } from '../processing/verify';
import { stderrLogger } from '../shared/log';
import { fail, formatBytes, type GlobalOptions, loadCliConfig, printJson } from './common';
import { parseSince } from '../processing/slowPath/queries';

export interface ProcessorCommandDeps {
  /** Leader parts from other layers (spool forwarder, slow path). */
  components: (config: Config) => ServerOptions['components'];
  /** Extra verify checks from other layers (hooks installed). */
  verifyExtras: (config: Config) => VerifyOptions['extraChecks'];
  /** Lines from other layers for `stats` (metrics since a date). */
  statsExtras?: (config: Config, opts: { since?: string; json?: boolean }) => Promise<{ key: string; value: unknown; text: string } | undefined>;
}

export function registerProcessorCommands(program: Command, deps: ProcessorCommandDeps): void {
  const globals = () => program.opts<GlobalOptions>();

  program
    .command('start')
    .description('run the processor in the foreground: Redis streams to ~/.blueplane/telemetry.db (stops cleanly on Ctrl-C / SIGTERM)')
    .option('--ipc', 'report status to the parent process over IPC (used by the extension)')
    .action(async (opts: { ipc?: boolean }) => {
      const config = loadCliConfig(globals());
      const log = stderrLogger();
      const ipc = opts.ipc && typeof process.send === 'function';
      const server = new TelemetryServer({
        config,
        log,
        components: deps.components(config),
        onStatus: ipc ? (status) => process.send?.({ type: IPC_STATUS, status }) : undefined,
      });
      let exiting = false;
      const shutdown = (why: string) => {
        if (exiting) return;
        exiting = true;
        log.info(`Stopping (${why})...`);
        void server.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      if (ipc) {
        process.on('message', (m: { type?: string }) => m?.type === IPC_STOP && shutdown('asked by the extension'));
        // The extension host went away without telling us: do not outlive it as an orphan.
        process.on('disconnect', () => shutdown('parent disconnected'));
      }
      await server.start();
      log.info(server.currentRole === 'leader' ? `Processing ${config.streams.events} into ${config.paths.database}.` : `Processor is ${server.currentRole}.`);
      await server.run();
    });

  program
    .command('init-db')
    .description('create ~/.blueplane/telemetry.db (or migrate it) and check that it is ready')
    .action(async () => {
      const config = loadCliConfig(globals());
      const lock = await tryAcquireLeaderLock(config.paths.database);
      if (!lock) {
        const leader = readStatusFile(config.paths.status);
        process.stdout.write(`The database ${config.paths.database} is owned by a running processor${leader ? ` (pid ${leader.pid})` : ''}; it is initialised.\n`);
        return;
      }
      try {
        const opened = await SqliteStore.open(config.paths.database, stderrLogger());
        opened.store.close();
        if (opened.movedAside) process.stdout.write(`The old database was corrupt and was moved to ${opened.movedAside}.\n`);
        process.stdout.write(`${opened.created ? 'Created' : 'Checked'} ${config.paths.database} (schema v${SCHEMA_VERSION}).\n`);
      } finally {
        await lock.release();
      }
    });

  program
    .command('verify')
    .description('check the whole pipeline: Redis, processor, database, compression, CDC, DLQ, and an end-to-end probe event')
    .option('--json', 'print the report as JSON')
    .option('--no-probe', 'skip the end-to-end probe event')
    .option('--timeout <seconds>', 'how long to wait for the probe', (v) => Number(v))
    .action(async (opts: { json?: boolean; probe?: boolean; timeout?: number }) => {
      const config = loadCliConfig(globals());
      if (opts.timeout !== undefined && !(opts.timeout > 0)) fail('--timeout takes a number of seconds above 0.');
      const report = await runVerify(config, {
        probe: opts.probe,
        probeTimeoutMs: opts.timeout ? opts.timeout * 1000 : undefined,
        extraChecks: deps.verifyExtras(config),
      });
      if (opts.json) printJson(report);
      else process.stdout.write(formatReport(report) + '\n');
      process.exitCode = report.ok ? 0 : 1;
    });

  program
    .command('stats')
    .description('show the processor status (rate, lag, DLQ, flushes) and what the database holds')
    .option('--json', 'print JSON for scripts')
    .option('--since <duration>', 'metrics window: a span like 7d, 24h or 30m, or a date', '7d')
    .action(async (opts: { json?: boolean; since?: string }) => {
      const config = loadCliConfig(globals());
      try {
        parseSince(opts.since ?? '7d');
      } catch (err) {
        fail(err);
      }
      const status = readStatusFile(config.paths.status);
      const live = isFresh(status) && status.role === 'leader' ? status : undefined;
      let database: { rows: number; sessions: number; bytes: number; first?: string; last?: string } | undefined;
      try {
        const db = await openDatabaseReadOnly(config);
        try {
          const [rows, sessions, first, last] = db.exec(
            "SELECT count(*), count(DISTINCT session_id), min(timestamp), max(timestamp) FROM raw_traces WHERE event_type <> 'probe'",
          )[0].values[0];
          const { size } = await import('node:fs').then((fs) => fs.statSync(config.paths.database));
          database = { rows: Number(rows), sessions: Number(sessions), bytes: size, first: (first as string) ?? undefined, last: (last as string) ?? undefined };
        } finally {
          db.close();
        }
      } catch (err) {
        if (!opts.json) process.stderr.write(`note: ${(err as Error).message}\n`);
      }
      const extra = await deps.statsExtras?.(config, opts);
      if (opts.json) {
        printJson({ processor: live ?? null, database: database ?? null, ...(extra ? { [extra.key]: extra.value } : {}) });
        return;
      }
      process.stdout.write(formatStats(live, database) + '\n');
      if (extra) process.stdout.write('\n' + extra.text + '\n');
    });
}

function formatStats(status: ProcessorStatus | undefined, db: { rows: number; sessions: number; bytes: number; first?: string; last?: string } | undefined): string {
  const lines: string[] = [];
  if (!status) {
    lines.push('Processor: not running (no status in the last 10 s). Start it with `blueplane start` or open Cursor.');
  } else {
    const f = status.fastPath;
    const s = status.streams;
    lines.push(
      `Processor: pid ${status.pid}, up since ${status.startedAt}, Redis ${status.redis.state}${status.error ? ` (${status.error})` : ''}`,
      `  events: ${f.read} read, ${f.written} written, ${f.duplicates} duplicates, ${f.deadLettered} dead-lettered, ${f.ratePerSec}/s`,
      `  batches: ${f.batches}, P50 ${fmtMs(f.batchP50Ms)}, P95 ${fmtMs(f.batchP95Ms)}; compression ${f.compressionRatio ? f.compressionRatio.toFixed(2) + 'x' : 'n/a'}`,
      `  streams: events ${s.eventsLength ?? '?'} (lag ${s.lag ?? '?'}, pending ${s.pending ?? '?'}), DLQ ${s.dlqLength ?? '?'}, CDC ${s.cdcLength ?? '?'}`,
      `  flush: last ${status.database.lastFlushAt ?? 'never'} in ${fmtMs(status.database.lastFlushMs ?? null)}, every ${fmtMs(status.database.flushIntervalMs ?? null)}, ${status.database.flushShare !== undefined ? (status.database.flushShare * 100).toFixed(1) + '% of wall time' : ''}`,
    );
    for (const w of status.warnings) lines.push(`  warning: ${w}`);
  }
  if (db) {
    lines.push(`Database: ${db.rows} events in ${db.sessions} sessions, ${formatBytes(db.bytes)}${db.first ? `, ${db.first} .. ${db.last}` : ''}`);
  }
  return lines.join('\n');
}

function fmtMs(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : `${v < 10 ? v.toFixed(2) : Math.round(v)} ms`;
}
