// End-to-end benchmark of the fast path: a stream pre-filled with realistic events is drained by
// the real processor (dist/cli.js start, a child process), and we measure the time until every
// entry is acknowledged, which the processor only does once the row is durable on disk.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { toStreamFields } from '../src/shared/event';
import { readGroups } from '../src/processing/streamHealth';
import type { ProcessorStatus } from '../src/processing/status';
import { buildCorpus } from './corpus';

export interface PipelineFigures {
  events: number;
  avgEventBytes: number;
  eventsPerSec: number;
  /** Rate until the last entry was read and written in memory (before its final flush). */
  readPerSec: number;
  batchP50Ms: number | null;
  batchP95Ms: number | null;
  batchEndToEndP50Ms: number | null;
  batchEndToEndP95Ms: number | null;
  compressionRatio: number | null;
  plainZlibRatio: number;
  flushShare: number;
  flushes: Array<{ bytes: number; ms: number }>;
  databaseBytes: number;
  peakRssMb: number;
  processorCpuSeconds: number;
  redisCpuSeconds: number;
  wallSeconds: number;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_sys') + get('used_cpu_user');
}

function procCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // not Linux
  }
}

const REDIS_URL = process.env.BLUEPLANE_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function benchPipeline(count: number, log: (line: string) => void, options: { slowPath?: boolean } = {}): Promise<PipelineFigures> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bp-bench-'));
  const home = path.join(root, '.blueplane');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const prefix = `bpbench:${randomUUID().slice(0, 8)}`;
  const streams = { events: `${prefix}:events`, dlq: `${prefix}:dlq`, cdc: `${prefix}:cdc` };
  writeFileSync(
    path.join(home, 'config.yaml'),
    `streams:\n  events: ${streams.events}\n  dlq: ${streams.dlq}\n  cdc: ${streams.cdc}\nslow_path:\n  enabled: false\n`,
  );
  const redis = new Redis(REDIS_URL);
  try {
    log(`generating ${count} events...`);
    const corpus = buildCorpus(count);
    let plainIn = 0;
    let plainOut = 0;
    for (const e of corpus.events.slice(0, 2000)) {
      const json = JSON.stringify(e);
      plainIn += Buffer.byteLength(json);
      plainOut += deflateSync(json, { level: 6 }).length;
    }
    log(`pre-filling ${streams.events} (${(corpus.contentBytes / 1e6).toFixed(0)} MB)...`);
    for (let i = 0; i < corpus.events.length; i += 500) {
      const pipe = redis.pipeline();
      for (const e of corpus.events.slice(i, i + 500)) pipe.xadd(streams.events, '*', ...Object.entries(toStreamFields(e)).flat());
      await pipe.exec();
    }
    corpus.events.length = 0;
    log('starting the processor...');
    const redisCpuAtStart = await redisCpuSeconds(redis);
    const profile = process.env.BLUEPLANE_BENCH_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BLUEPLANE_BENCH_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, path.resolve(__dirname, '../dist/cli.js'), 'start'], {
      env: { ...process.env, HOME: root, BLUEPLANE_HOME: home, BLUEPLANE_REDIS_URL: REDIS_URL, BLUEPLANE_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let t0 = performance.now();
    let started = false;
    let startedAtMs = Date.now();
    let allReadAt = 0;
    let lastReport = t0;
    let peakRss = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      peakRss = Math.max(peakRss, rssMb(child.pid!));
      const group = (await readGroups(redis, streams.events)).find((g) => g.name === 'processors');
      // The clock starts with the first entry read, so process start-up is not counted.
      if (!started && group && (group.entriesRead ?? 0) > 0) {
        started = true;
        t0 = performance.now();
        startedAtMs = Date.now();
      }
      if (group && group.entriesRead === count && !allReadAt) allReadAt = performance.now();
      if (group && group.entriesRead === count && group.pending === 0) break;
      if (child.exitCode !== null) throw new Error(`processor exited early:\n${stderr.slice(-2000)}`);
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(`  ${group?.entriesRead ?? 0} read, ${group?.pending ?? 0} pending after ${((lastReport - t0) / 1000).toFixed(0)} s`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const doneAtMs = Date.now();
    const cpuSeconds = procCpuSeconds(child.pid!);
    const redisCpu = (await redisCpuSeconds(redis)) - redisCpuAtStart;
    const readSeconds = (allReadAt - t0) / 1000;
    peakRss = Math.max(peakRss, hwmMb(child.pid!));
    await new Promise((r) => setTimeout(r, 1200));
    const status = JSON.parse(readFileSync(path.join(home, 'status.json'), 'utf8')) as ProcessorStatus;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    // Only flushes inside the measured window count (not the one at shutdown, after it).
    const flushes = [...stderr.matchAll(/^(\S+) DEBUG flush bytes=(\d+) export_ms=([\d.]+) write_ms=([\d.]+)/gm)]
      .filter((m) => Date.parse(m[1]) >= startedAtMs && Date.parse(m[1]) <= doneAtMs)
      .map((m) => ({ bytes: Number(m[2]), ms: Number(m[3]) + Number(m[4]) }));
    const flushMs = flushes.reduce((a, f) => a + f.ms, 0);
    return {
      events: count,
      avgEventBytes: Math.round(corpus.contentBytes / count),
      eventsPerSec: count / seconds,
      readPerSec: count / readSeconds,
      batchP50Ms: status.fastPath.batchP50Ms,
      batchP95Ms: status.fastPath.batchP95Ms,
      batchEndToEndP50Ms: status.fastPath.batchEndToEndP50Ms ?? null,
      batchEndToEndP95Ms: status.fastPath.batchEndToEndP95Ms ?? null,
      compressionRatio: status.fastPath.compressionRatio,
      plainZlibRatio: plainIn / plainOut,
      flushShare: flushMs / (seconds * 1000),
      flushes,
      databaseBytes: flushes.length > 0 ? flushes[flushes.length - 1].bytes : 0,
      peakRssMb: peakRss,
      processorCpuSeconds: cpuSeconds,
      redisCpuSeconds: redisCpu,
      wallSeconds: seconds,
    };
  } finally {
    await redis.del(streams.events, streams.dlq, streams.cdc, `${streams.events}:failures:processors`);
    redis.disconnect();
    rmSync(root, { recursive: true, force: true });
  }
}

function rssMb(pid: number): number {
  return procStatusKb(pid, 'VmRSS') / 1024;
}

function hwmMb(pid: number): number {
  return procStatusKb(pid, 'VmHWM') / 1024;
}

function procStatusKb(pid: number, key: string): number {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // not Linux, or the process is gone: RSS is reported as 0
  }
}
