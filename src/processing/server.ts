import { availableParallelism } from 'node:os';
import type { Redis } from 'ioredis';
import { type Config, redactUrl } from '../config/config';
import { errorMessage, type Logger } from '../shared/log';
import { closeRedis, createRedis } from '../shared/redis';
import { SQLiteBatchWriter } from './database/batchWriter';
import { atomicWrite, ensurePrivateDir, SqliteStore } from './database/sqliteClient';
import type { FlushParticipant } from './durability';
import { FastPathConsumer } from './fastPath/consumer';
import { trimAcknowledged } from './fastPath/streamTrimmer';
import { FlushScheduler } from './flushScheduler';
import { type LeaderLock, tryAcquireLeaderLock } from './leaderLock';
import { applyRetention } from './retention';
import { isFresh, type ProcessorStatus, readStatusFile } from './status';
import { readStreamHealth } from './streamHealth';

/** A part of the leader that starts after the database and Redis are ready (spool forwarder, slow path). */
export interface LeaderComponent extends Partial<FlushParticipant> {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status?(): Partial<ProcessorStatus>;
}

export interface LeaderContext {
  config: Config;
  log: Logger;
  redis: Redis;
  store: SqliteStore;
}

export interface ServerOptions {
  config: Config;
  log: Logger;
  /** Called with a fresh status about once a second (IPC to the extension, the CLI's display). */
  onStatus?: (status: ProcessorStatus) => void;
  /** Extra leader parts, made once the leader has its database and Redis. */
  components?: Array<(ctx: LeaderContext) => LeaderComponent>;
  statusIntervalMs?: number;
  /** How often a passive processor tries to become the leader. */
  takeoverIntervalMs?: number;
}

const RETENTION_EVERY_MS = 60 * 60 * 1000;

/**
 * TelemetryServer (plan Step 4.1): one leader per database file (invariant 4) runs the fast path
 * and its companions; every other instance stays passive, shows the leader's status and takes
 * over when the leader's lock is released or goes stale.
 */
export class TelemetryServer {
  private readonly config: Config;
  private readonly log: Logger;
  private role: ProcessorStatus['role'] = 'stopped';
  private readonly startedAt = new Date().toISOString();
  private lock?: LeaderLock;
  private redis?: Redis;
  private blockingRedis?: Redis;
  private store?: SqliteStore;
  private writer?: SQLiteBatchWriter;
  private consumer?: FastPathConsumer;
  private scheduler?: FlushScheduler;
  private components: LeaderComponent[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stopping?: Promise<void>;
  private redisState: ProcessorStatus['redis'];
  private lastError?: string;
  private rowsAtStart = 0;
  private lastStatus?: ProcessorStatus;
  private rate = { at: Date.now(), written: 0, perSec: 0 };
  private stopped = false;
  private becomingLeader = false;
  private lockLost = false;
  private markStopped!: () => void;
  /** Settles once stop() has finished: what run() waits for. */
  private readonly stoppedSignal = new Promise<void>((resolve) => (this.markStopped = resolve));

  constructor(private readonly options: ServerOptions) {
    this.config = options.config;
    this.log = options.log;
    this.redisState = { state: 'down', url: redactUrl(this.config.redis.url) };
  }

  get currentRole(): ProcessorStatus['role'] {
    return this.role;
  }

  /** Become the leader, or passive when another process owns the database. */
  async start(): Promise<void> {
    if (this.role !== 'stopped' || this.stopped) return;
    this.role = 'starting';
    ensurePrivateDir(this.config.paths.home);
    const became = await this.tryBecomeLeader();
    if (!became && !this.stopped) {
      this.role = 'passive';
      this.log.info('Another Blueplane processor owns the database; staying passive and showing its status.');
      this.every(this.options.takeoverIntervalMs ?? 1000, () => {
        if (this.role === 'passive') void this.tryBecomeLeader();
      });
    }
    this.every(this.options.statusIntervalMs ?? 1000, () => void this.reportStatus());
    void this.reportStatus();
  }

  /** Run until stop() is called (the CLI wires SIGINT/SIGTERM to stop()). */
  async run(): Promise<void> {
    // The server's own timers are unref'd (a library user decides its lifetime); run() is the
    // process's whole job, so it holds the event loop open until stop() has finished.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await this.start();
      await this.stoppedSignal;
    } finally {
      clearInterval(keepAlive);
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref?.();
    this.timers.push(t);
  }

  private async tryBecomeLeader(): Promise<boolean> {
    if (this.becomingLeader || this.stopped) return false;
    this.becomingLeader = true;
    try {
      const lock = await tryAcquireLeaderLock(this.config.paths.database, (err) => {
        this.lastError = `Lost the database lock (${err.message}); this process stopped writing so another can take over.`;
        this.log.error(this.lastError);
        // Another process may own the file now: write nothing more, acknowledge nothing more;
        // what this process held unflushed is still pending in Redis for the new owner.
        this.lockLost = true;
        void this.stop();
      });
      if (!lock) return false;
      if (this.stopped) {
        await lock.release();
        return false;
      }
      this.lock = lock;
      await this.startLeader();
      return true;
    } catch (err) {
      this.lastError = errorMessage(err);
      this.log.error(this.lastError);
      this.role = 'error';
      await this.releaseLeaderResources();
      return false;
    } finally {
      this.becomingLeader = false;
    }
  }

  private async startLeader(): Promise<void> {
    const { config, log } = this;
    const opened = await SqliteStore.open(config.paths.database, log);
    this.store = opened.store;
    if (opened.movedAside) this.lastError = `The database was corrupt and was moved to ${opened.movedAside}; a new one was started.`;
    this.rowsAtStart = countRows(this.store);
    this.writer = new SQLiteBatchWriter(this.store);
    this.redis = createRedis({
      url: config.redis.url,
      connectTimeoutMs: config.redis.connect_timeout_ms,
      name: 'blueplane-processor',
      onError: (err) => this.onRedisError(err),
    });
    this.blockingRedis = createRedis({
      url: config.redis.url,
      connectTimeoutMs: config.redis.connect_timeout_ms,
      blocking: true,
      name: 'blueplane-processor-read',
      onError: (err) => this.onRedisError(err),
    });
    this.redis.on('ready', () => {
      this.redisState = { state: 'up', url: redactUrl(config.redis.url) };
    });
    this.consumer = new FastPathConsumer({
      config,
      redis: this.redis,
      blockingRedis: this.blockingRedis,
      writer: this.writer,
      store: this.store,
      log,
      encodeWorkers: config.processor.encode_workers ?? Math.max(1, Math.min(4, availableParallelism() - 1)),
    });
    const ctx: LeaderContext = { config, log, redis: this.redis, store: this.store };
    this.components = (this.options.components ?? []).map((make) => make(ctx));
    const participants: FlushParticipant[] = [this.consumer, ...this.components.filter(isParticipant)];
    this.scheduler = new FlushScheduler(this.store, participants, config.processor, log, {
      canWrite: () => !this.lockLost && !!this.lock && !this.lock.compromised,
    });
    this.role = 'leader';
    log.info(`Processor ${process.pid} owns ${config.paths.database} (${this.rowsAtStart} rows).`);
    this.scheduler.start();
    this.every(RETENTION_EVERY_MS, () => this.runRetention());
    this.every(config.streams.trim_interval_ms, () => void this.trimStream());
    this.runRetention();
    // Redis may be down at start: keep the database open and connect in the background, so the
    // user sees a clear status and events flow as soon as Redis is back.
    void this.connectAndConsume();
  }

  private async connectAndConsume(): Promise<void> {
    let attempt = 0;
    while (this.role === 'leader' && this.redis && this.blockingRedis) {
      try {
        if (this.redis.status === 'wait') await this.redis.connect();
        if (this.blockingRedis.status === 'wait') await this.blockingRedis.connect();
        await this.redis.ping();
        this.redisState = { state: 'up', url: redactUrl(this.config.redis.url) };
        await this.consumer!.start();
        for (const c of this.components) await c.start();
        return;
      } catch (err) {
        attempt++;
        this.onRedisError(err as Error);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private onRedisError(err: Error): void {
    const message = `Redis at ${redactUrl(this.config.redis.url)} is not reachable (${err.message}); start redis-server or set BLUEPLANE_REDIS_URL / redis.url in config.yaml.`;
    if (this.redisState.state === 'up' || this.redisState.error !== message) this.log.warn(message);
    this.redisState = { state: 'down', url: redactUrl(this.config.redis.url), error: message };
  }

  private async trimStream(): Promise<void> {
    if (!this.redis || this.redisState.state !== 'up') return;
    try {
      await trimAcknowledged(this.redis, this.config.streams.events);
    } catch (err) {
      this.log.warn(`Trimming acknowledged entries of ${this.config.streams.events} failed (${errorMessage(err)}); will retry.`);
    }
  }

  private runRetention(): void {
    if (!this.store || this.config.database.retention_days === 0) return;
    try {
      const deleted = applyRetention(this.store, this.config.database.retention_days);
      if (deleted > 0) {
        this.rowsAtStart -= deleted;
        this.log.info(`Retention removed ${deleted} events older than ${this.config.database.retention_days} days.`);
      }
    } catch (err) {
      this.log.error(`Retention failed (${errorMessage(err)}); old events are kept until the next try.`);
    }
  }

  /** Graceful stop (invariant 7): stop reading, finish the batch, flush, ack, close. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.stopped = true;
    const wasLeader = this.role === 'leader';
    this.role = 'stopping';
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (wasLeader) {
      const timeout = this.config.processor.shutdown_timeout_ms;
      const drained = await withTimeout(this.drainLeader(), timeout);
      if (!drained) this.log.error(`Shutdown did not finish within ${timeout} ms; unacknowledged entries will be redelivered at the next start.`);
    }
    await this.releaseLeaderResources();
    this.role = 'stopped';
    this.emit(this.buildStatus());
    this.markStopped();
  }

  private async drainLeader(): Promise<void> {
    for (const c of [...this.components].reverse()) {
      try {
        await c.stop();
      } catch (err) {
        this.log.error(`Stopping ${c.name} failed: ${errorMessage(err)}`);
      }
    }
    await this.consumer?.stop();
    // The final flush makes every stored row durable; only then are the entries acknowledged.
    await this.scheduler?.stop();
  }

  private async releaseLeaderResources(): Promise<void> {
    try {
      this.writer?.dispose();
      if (this.lockLost) this.store?.discard();
      else this.store?.close();
    } catch (err) {
      this.log.error(`Closing the database failed: ${errorMessage(err)}`);
    }
    this.writer = undefined;
    this.store = undefined;
    await closeRedis(this.blockingRedis);
    await closeRedis(this.redis);
    this.blockingRedis = undefined;
    this.redis = undefined;
    await this.lock?.release().catch((err) => this.log.error(`Releasing the database lock failed: ${errorMessage(err)}`));
    this.lock = undefined;
  }

  /** The latest status (cheap; refreshed once a second). */
  status(): ProcessorStatus {
    return this.lastStatus ?? this.buildStatus();
  }

  private async reportStatus(): Promise<void> {
    if (this.role === 'passive') {
      const leader = readStatusFile(this.config.paths.status);
      const status = this.buildStatus();
      if (isFresh(leader)) {
        this.emit({ ...leader, role: 'passive', pid: process.pid, leaderPid: leader.pid });
      } else {
        this.emit({ ...status, warnings: [...status.warnings, 'The processor that owns the database is not reporting; waiting to take over.'] });
      }
      return;
    }
    if (this.role !== 'leader') return;
    const status = this.buildStatus();
    if (this.redis && this.redisState.state === 'up') {
      try {
        status.streams = await readStreamHealth(this.redis, this.config);
      } catch (err) {
        this.onRedisError(err as Error);
        status.redis = this.redisState;
      }
    }
    try {
      atomicWrite(this.config.paths.status, Buffer.from(JSON.stringify(status, null, 2)));
    } catch (err) {
      this.log.warn(`Cannot write ${this.config.paths.status} (${errorMessage(err)}); other windows will not see this status.`);
    }
    this.emit(status);
  }

  private emit(status: ProcessorStatus): void {
    this.lastStatus = status;
    this.options.onStatus?.(status);
  }

  private buildStatus(): ProcessorStatus {
    const s = this.consumer?.stats;
    const now = Date.now();
    if (s && now - this.rate.at >= 900) {
      const perSec = ((s.written - this.rate.written) * 1000) / (now - this.rate.at);
      this.rate = { at: now, written: s.written, perSec: this.rate.perSec === 0 ? perSec : 0.5 * perSec + 0.5 * this.rate.perSec };
    }
    const flush = this.scheduler?.last;
    const warnings: string[] = [];
    const extra: Partial<ProcessorStatus> = {};
    for (const c of this.components) Object.assign(extra, c.status?.() ?? {});
    if (extra.spool && extra.spool.backlog > 100) warnings.push(`${extra.spool.backlog} events are waiting in the spool.`);
    const status: ProcessorStatus = {
      role: this.role,
      pid: process.pid,
      leaderPid: this.role === 'leader' ? process.pid : undefined,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      redis: this.redisState,
      error: (this.role === 'leader' && this.redisState.state === 'down' && this.redisState.error) || this.scheduler?.failure || this.lastError,
      warnings,
      database: {
        path: this.config.paths.database,
        bytes: flush?.result?.bytes ?? 0,
        rows: this.rowsAtStart + (s?.written ?? 0),
        lastFlushAt: flush?.at,
        lastFlushMs: flush?.result?.totalMs,
        flushIntervalMs: this.scheduler?.intervalMs,
        flushShare: this.scheduler?.share ?? undefined,
      },
      fastPath: {
        read: s?.read ?? 0,
        written: s?.written ?? 0,
        duplicates: s?.duplicates ?? 0,
        deadLettered: s?.deadLettered ?? 0,
        failures: s?.failures ?? 0,
        batches: s?.batches ?? 0,
        acked: s?.acked ?? 0,
        cdcPublished: s?.cdcPublished ?? 0,
        batchP50Ms: s?.batchPercentile(50) ?? null,
        batchP95Ms: s?.batchPercentile(95) ?? null,
        batchEndToEndP50Ms: s?.batchEndToEndPercentile(50) ?? null,
        batchEndToEndP95Ms: s?.batchEndToEndPercentile(95) ?? null,
        compressionRatio: s && s.compressedBytes > 0 ? s.rawBytes / s.compressedBytes : null,
        ratePerSec: Math.round(this.rate.perSec * 10) / 10,
      },
      streams: this.lastStatus?.streams ?? { eventsLength: null, lag: null, pending: null, dlqLength: null, cdcLength: null },
      ...extra,
    };
    return status;
  }
}

function isParticipant(c: LeaderComponent): c is LeaderComponent & FlushParticipant {
  return typeof c.onDurable === 'function';
}

function countRows(store: SqliteStore): number {
  return Number(store.db.exec("SELECT count(*) FROM raw_traces WHERE event_type <> 'probe'")[0]?.values[0]?.[0] ?? 0);
}

async function withTimeout(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timedOut]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

