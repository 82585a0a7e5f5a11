import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { toStreamFields, type TelemetryEvent } from '../../src/shared/event';
import type { ProcessorStatus } from '../../src/processing/status';
import { REDIS_URL, tempHome, waitFor } from './env';

export const CLI = path.resolve(__dirname, '../../dist/cli.js');

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing; run `npm run build` (npm test does it first).');
}

export interface TestSetup {
  home: string;
  userHome: string;
  env: Record<string, string>;
  streams: { events: string; dlq: string; cdc: string };
  /** Every Redis key the processor may create for these streams, for cleanup. */
  keys: string[];
  cleanup(redis: Redis): Promise<void>;
}

/** A temp BLUEPLANE_HOME with a config.yaml naming unique streams, plus extra YAML. */
export function setupHome(extraYaml = '', extraStreamsYaml = ''): TestSetup {
  const t = tempHome('bp-proc');
  mkdirSync(t.home, { recursive: true, mode: 0o700 });
  const id = `bptest:${randomUUID().slice(0, 8)}`;
  const streams = { events: `${id}:events`, dlq: `${id}:dlq`, cdc: `${id}:cdc` };
  writeFileSync(
    path.join(t.home, 'config.yaml'),
    `streams:\n  events: ${streams.events}\n  dlq: ${streams.dlq}\n  cdc: ${streams.cdc}\n${extraStreamsYaml}${extraYaml}`,
  );
  const keys = [streams.events, streams.dlq, streams.cdc, `${streams.events}:failures:processors`, `${streams.cdc}:failures:workers`];
  return {
    home: t.home,
    userHome: t.userHome,
    env: t.env,
    streams,
    keys,
    async cleanup(redis: Redis) {
      await redis.del(...keys);
      t.cleanup();
    },
  };
}

export interface RunningProcessor {
  child: ChildProcess;
  output(): string;
  /** SIGTERM (or another signal) and wait for the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

export function startProcessor(setup: TestSetup, env: Record<string, string> = {}): RunningProcessor {
  requireBuild();
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...setup.env, BLUEPLANE_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function readStatus(setup: TestSetup): ProcessorStatus | undefined {
  try {
    return JSON.parse(readFileSync(path.join(setup.home, 'status.json'), 'utf8')) as ProcessorStatus;
  } catch {
    return undefined;
  }
}

export function makeEvent(overrides: Partial<TelemetryEvent> = {}, payload: Record<string, unknown> = {}): TelemetryEvent {
  const conversation = overrides.session_id ?? randomUUID();
  return {
    event_id: randomUUID(),
    timestamp: new Date().toISOString(),
    platform: 'cursor',
    hook_type: 'beforeSubmitPrompt',
    event_type: 'user_prompt',
    session_id: conversation,
    payload: { conversation_id: conversation, prompt: 'Add a /health endpoint', workspace_roots: ['/w/acme'], ...payload },
    metadata: { cursor_version: '3.18.25' },
    ...overrides,
  };
}

export async function xaddEvents(redis: Redis, stream: string, events: TelemetryEvent[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 500) {
    const pipe = redis.pipeline();
    for (const e of events.slice(i, i + 500)) pipe.xadd(stream, '*', ...Object.entries(toStreamFields(e)).flat());
    const res = await pipe.exec();
    for (const [err, id] of res ?? []) {
      if (err) throw err;
      ids.push(id as string);
    }
  }
  return ids;
}

/** Wait until the group has read `count` entries and none is pending (all durable and acked). */
export async function waitAllAcked(redis: Redis, stream: string, count: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
      const g = groups.map((flat) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]])))
        .find((o) => o.name === 'processors');
      return !!g && Number(g['entries-read']) >= count && Number(g.pending) === 0;
    },
    { timeoutMs, what: `all ${count} entries of ${stream} acknowledged` },
  );
}

export { REDIS_URL };
