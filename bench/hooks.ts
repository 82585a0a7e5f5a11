// Hook benchmark (`npm run bench`, or `node --import tsx bench/hooks.ts`): what the agent waits
// for on every event, and how soon the event is durable in telemetry.db.
//
//  1. Start-up: wall time of `node -e 0`, the installed spool hook and the installed direct hook
//     (dist/hook.js, Redis up), run as Cursor runs them (the hooks.json command through `sh -c`,
//     the payload on stdin), interleaved round by round so machine noise hits all of them alike.
//     Also `sh -c true` through `sh -c`: two shells that do nothing, the floor under any shell
//     hook (Cursor's shell plus ours), so the spool hook's own share can be read off.
//  2. Hook to durable row: the processor (TelemetryServer with the spool forwarder) runs; each
//     event is timed from the hook's start until the processor has acknowledged its entry, which it
//     does only after the row is flushed to disk.
// Prints figures and returns them; asserts nothing (benchmarks are not tests).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defaultConfig, type Config } from '../src/config/config';
import { installHooks } from '../src/capture/hooksInstaller';
import { createRedis } from '../src/shared/redis';
import { silentLogger } from '../src/shared/log';
import { TelemetryServer } from '../src/processing/server';
import { readGroups } from '../src/processing/streamHealth';
import { spoolForwarderComponent } from '../src/capture/spoolForwarder';
import { cursorFixtures } from '../test/helpers/fixtures';

export interface Timing {
  medianMs: number;
  p95Ms: number;
  runs: number;
}

export interface HookFigures {
  node: Timing;
  /** `sh -c true` run through `sh -c`: what two shell starts cost, before any work. */
  shellFloor: Timing;
  spoolHook: Timing;
  directHook: Timing;
  /** Hook start to durable row, per route; undefined when the processor could not run. */
  toDurableRow?: { spool: Timing; direct: Timing };
  note?: string;
}

export interface BenchHooksOptions {
  /** Interleaved rounds of the start-up comparison. */
  rounds?: number;
  /** Events timed to a durable row, per route. */
  latencyEvents?: number;
  out?: (line: string) => void;
}

function timing(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least 95% of the samples at or below it.
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { medianMs: rank(0.5), p95Ms: rank(0.95), runs: s.length };
}

function runShell(command: string, input: string, env: NodeJS.ProcessEnv, isHook = true): number {
  const started = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', command], { input, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 || (isHook && !String(r.stdout).startsWith('{'))) throw new Error(`"${command}" failed (exit ${r.status}): ${String(r.stderr).slice(0, 300)}`);
  return ms;
}

function commandsOf(hooksFile: string): Record<string, string> {
  const doc = JSON.parse(readFileSync(hooksFile, 'utf8')) as { hooks: Record<string, Array<{ command: string }>> };
  return Object.fromEntries(Object.entries(doc.hooks).map(([event, list]) => [event, list[list.length - 1].command]));
}

function fmt(t: Timing): string {
  return `${t.medianMs.toFixed(1).padStart(7)} ms ${t.p95Ms.toFixed(1).padStart(8)} ms`;
}

async function waitAcked(redis: Redis, config: Config, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const group = (await readGroups(redis, config.streams.events)).find((g) => g.name === config.processor.consumer_group);
    if (group && (group.entriesRead ?? 0) >= count && group.pending === 0) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`the processor did not acknowledge ${count} entries within ${timeoutMs} ms`);
}

async function durableLatency(
  config: Config,
  redis: Redis,
  commands: { spool: Record<string, string>; direct: Record<string, string> },
  env: NodeJS.ProcessEnv,
  events: number,
): Promise<{ spool: Timing; direct: Timing }> {
  const server = new TelemetryServer({ config, log: silentLogger, components: [spoolForwarderComponent] });
  await server.start();
  try {
    const [prompt] = cursorFixtures().filter((f) => f.hook_event_name === 'beforeSubmitPrompt');
    // Warm up: the first entry creates the consumer group and the database file.
    let sent = 0;
    runShell(commands.spool.beforeSubmitPrompt, JSON.stringify({ ...prompt, generation_id: randomUUID() }), env);
    await waitAcked(redis, config, ++sent, 30_000);
    const samples = { spool: [] as number[], direct: [] as number[] };
    for (let i = 0; i < events; i++) {
      for (const route of ['spool', 'direct'] as const) {
        const started = process.hrtime.bigint();
        runShell(commands[route].beforeSubmitPrompt, JSON.stringify({ ...prompt, generation_id: randomUUID() }), env);
        await waitAcked(redis, config, ++sent, 10_000);
        samples[route].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    return { spool: timing(samples.spool), direct: timing(samples.direct) };
  } finally {
    await server.stop();
  }
}

export async function benchHooks(options: BenchHooksOptions = {}): Promise<HookFigures> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rounds = options.rounds ?? 100;
  const latencyEvents = options.latencyEvents ?? 40;
  const hookJs = path.resolve(__dirname, '../dist/hook.js');
  if (!existsSync(hookJs)) throw new Error('dist/hook.js is missing; run `npm run build` first.');

  const root = mkdtempSync(path.join(os.tmpdir(), 'bp-bench-hooks-'));
  const userHome = path.join(root, 'user');
  const home = path.join(userHome, '.blueplane');
  const env = { HOME: userHome, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const config = defaultConfig({ HOME: userHome, BLUEPLANE_HOME: home });
  if (process.env.BLUEPLANE_REDIS_URL) config.redis.url = process.env.BLUEPLANE_REDIS_URL;
  const prefix = `bpbench:${randomUUID().slice(0, 8)}`;
  config.streams.events = `${prefix}:events`;
  config.streams.dlq = `${prefix}:dlq`;
  config.streams.cdc = `${prefix}:cdc`;
  config.slow_path.enabled = false;
  const redis = createRedis({ url: config.redis.url, name: 'bp-bench-hooks' });
  await redis.connect();

  try {
    const project = path.join(root, 'project');
    mkdirSync(project);
    const spool = commandsOf(installHooks({ config, env }).hooksFile);
    const direct = commandsOf(installHooks({ config, env, project, direct: true, nodePath: process.execPath }).hooksFile);
    const [pre] = cursorFixtures().filter((f) => f.hook_event_name === 'preToolUse');
    const payload = JSON.stringify(pre);

    const contenders = [
      { name: 'node', command: `${process.execPath} -e 0`, isHook: false },
      { name: 'floor', command: 'sh -c true', isHook: false },
      { name: 'spool', command: spool.preToolUse, isHook: true },
      { name: 'direct', command: direct.preToolUse, isHook: true },
    ];
    const samples: Record<string, number[]> = { node: [], floor: [], spool: [], direct: [] };
    for (const c of contenders) runShell(c.command, payload, env, c.isHook); // warm the file cache
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round, so no contender always runs right after another.
      for (let k = 0; k < contenders.length; k++) {
        const c = contenders[(round + k) % contenders.length];
        samples[c.name].push(runShell(c.command, payload, env, c.isHook));
      }
    }
    const figures: HookFigures = { node: timing(samples.node), shellFloor: timing(samples.floor), spoolHook: timing(samples.spool), directHook: timing(samples.direct) };
    rmSync(config.paths.spool, { recursive: true, force: true });
    await redis.del(config.streams.events, config.streams.dlq);

    try {
      figures.toDurableRow = await durableLatency(config, redis, { spool, direct }, env, latencyEvents);
    } catch (err) {
      figures.note = `hook-to-row latency not measured: ${(err as Error).message}`;
    }

    const ratio = (t: Timing) => `${(t.p95Ms / figures.node.p95Ms).toFixed(2)}x`;
    out('');
    out(`Hooks: wall time per event, ${rounds} interleaved rounds, each command as installed in hooks.json, run through sh -c with a preToolUse payload`);
    out('                               median        P95');
    out(`  node -e 0                  ${fmt(figures.node)}`);
    out(`  two shells, no work        ${fmt(figures.shellFloor)}   the floor under any sh hook`);
    out(`  spool hook (sh)            ${fmt(figures.spoolHook)}   goal: P95 ≤ 15 ms`);
    out(`  direct hook (hook.js)      ${fmt(figures.directHook)}   P95 ${ratio(figures.directHook)} node -e 0 (goal ≤ 1.3x); Redis up`);
    if (figures.toDurableRow) {
      out(`Hook start → row durable in telemetry.db (processor running, ${latencyEvents} prompts per route, one at a time)`);
      out(`  via the spool + forwarder  ${fmt(figures.toDurableRow.spool)}   goal: P95 < 2000 ms`);
      out(`  via the direct hook        ${fmt(figures.toDurableRow.direct)}`);
    } else out(`  ${figures.note}`);
    return figures;
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchHooks().catch((err) => {
    process.stderr.write(`hook benchmark failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
