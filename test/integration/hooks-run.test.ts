// The hooks as Cursor runs them: the exact commands `hooks install` wrote to hooks.json, through
// `sh -c`, with every reference fixture and hostile input on stdin, with Redis up, Redis down and
// the spool unwritable. Invariant 1: exit 0 and exactly the allowing answer on stdout, always.
// Invariant 2: every input is captured (stream, DLQ or spool) whenever anything can be written.
// Invariant 9: no secret reaches Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Redis } from 'ioredis';
import { installHooks } from '../../src/capture/hooksInstaller';
import { SpoolForwarder } from '../../src/capture/spoolForwarder';
import { captureEntry } from '../../src/capture/captureEntry';
import { parseSpoolName, writeSpoolFile } from '../../src/capture/spoolFiles';
import { allowAnswer } from '../../src/shared/eventTypes';
import { fieldsFromArray, parseStreamEntry } from '../../src/shared/event';
import { silentLogger } from '../../src/shared/log';
import type { Config } from '../../src/config/config';
import { cursorFixtures } from '../helpers/fixtures';
import { closedPort, deleteKeys, tempHome, testConfig, testRedis } from '../helpers/env';
import { SECRET_SAMPLES, payloadWithSecrets } from '../fixtures/secrets';

const HOOK_JS = path.resolve(__dirname, '../../dist/hook.js');

interface HookInput {
  label: string;
  event: string;
  stdin: string | Buffer;
  /** Well-formed JSON: becomes an event; otherwise a parse_error dead letter. */
  wellFormed: boolean;
}

function fixture(name: string): Record<string, unknown> {
  const f = cursorFixtures().find((x) => x.hook_event_name === name);
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
}

function hookInputs(): HookInput[] {
  const inputs: HookInput[] = cursorFixtures().map((f) => ({ label: `fixture ${f.hook_event_name}`, event: f.hook_event_name, stdin: JSON.stringify(f), wellFormed: true }));
  const shell = fixture('afterShellExecution');
  inputs.push(
    {
      label: 'old camelCase fields',
      event: 'beforeSubmitPrompt',
      stdin: JSON.stringify({ conversationId: 'c-old', generationId: 'g-old', hookEventName: 'beforeSubmitPrompt', prompt: 'old build', workspaceRoots: ['/w/old'], attachments: [{ type: 'file', filePath: '/w/old/a.ts' }] }),
      wellFormed: true,
    },
    { label: 'missing ids', event: 'stop', stdin: JSON.stringify({ hook_event_name: 'stop', status: 'completed' }), wellFormed: true },
    { label: 'no fields at all', event: 'sessionEnd', stdin: '{}', wellFormed: true },
    { label: 'a JSON array', event: 'afterAgentThought', stdin: '[1,"two",null]', wellFormed: true },
    {
      label: 'unicode',
      event: 'beforeSubmitPrompt',
      stdin: JSON.stringify({ ...fixture('beforeSubmitPrompt'), generation_id: 'g-unicode', prompt: 'Zeige 日本語 😀 עברית \u0000 \u2028 "quotes" \\ back' }),
      wellFormed: true,
    },
    { label: 'a 10 MB output', event: 'afterShellExecution', stdin: JSON.stringify({ ...shell, output: `${'npm test output line\n'.repeat(500_000)}end` }), wellFormed: true },
    { label: 'an id with a newline', event: 'postToolUse', stdin: JSON.stringify({ ...fixture('postToolUse'), tool_use_id: 'call-1\nfc_2' }), wellFormed: true },
    { label: 'realistic secrets', event: 'preToolUse', stdin: JSON.stringify(payloadWithSecrets(fixture('preToolUse'))), wellFormed: true },
    { label: 'garbage', event: 'preToolUse', stdin: `\u0000\u00ff garbage ${SECRET_SAMPLES[1].text} {`, wellFormed: false },
    { label: 'empty stdin', event: 'beforeShellExecution', stdin: '', wellFormed: false },
  );
  return inputs;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  stdinError?: string;
}

function runCommand(command: string, stdin: string | Buffer, env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('sh', ['-c', command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stdinError: string | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // An EPIPE here would mean the hook exited without reading stdin to the end.
    child.stdin.on('error', (err) => (stdinError = err.message));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started, stdinError }));
    child.stdin.end(stdin);
  });
}

interface Installed {
  config: Config;
  env: Record<string, string>;
  commands: Record<string, string>;
  cleanup(): void;
}

function install(direct: boolean): Installed {
  const h = tempHome(direct ? 'bp-run-direct' : 'bp-run-spool');
  const config = testConfig(h.home);
  const result = installHooks({ config, env: h.env, direct, nodePath: process.execPath });
  const doc = JSON.parse(readFileSync(result.hooksFile, 'utf8')) as { hooks: Record<string, Array<{ command: string }>> };
  const commands = Object.fromEntries(Object.entries(doc.hooks).map(([event, [entry]]) => [event, entry.command]));
  // Cursor's environment: HOME, PATH and its own variables; no BLUEPLANE_* (the command must not need them).
  const env = { HOME: h.userHome, PATH: process.env.PATH ?? '/usr/bin:/bin', CURSOR_VERSION: '3.18.25', CURSOR_PROJECT_DIR: '/w/acme' };
  return { config, env, commands, cleanup: h.cleanup };
}

/** Run every input through the installed command for its event, a few at a time; check invariant 1. */
async function runAll(inst: Installed, inputs: HookInput[], extraEnv: Record<string, string> = {}, condition = ''): Promise<RunResult[]> {
  const results: RunResult[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      const input = inputs[i];
      const r = await runCommand(inst.commands[input.event], input.stdin, { ...inst.env, ...extraEnv });
      const what = `${input.label} (${condition})`;
      assert.equal(r.code, 0, `${what}: exit code; stderr: ${r.stderr}`);
      assert.equal(r.stdout, `${allowAnswer(input.event)}\n`, `${what}: exactly one JSON answer on stdout`);
      assert.deepEqual(Object.keys(JSON.parse(r.stdout)), Object.keys(JSON.parse(allowAnswer(input.event))));
      assert.equal(r.stdinError, undefined, `${what}: stdin was read to the end`);
      assert.ok(r.ms < 5000, `${what}: took ${r.ms} ms`);
      results[i] = r;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return results;
}

async function streamText(redis: Redis, config: Config): Promise<string> {
  const all = [...(await redis.xrange(config.streams.events, '-', '+')), ...(await redis.xrange(config.streams.dlq, '-', '+'))];
  return JSON.stringify(all);
}

async function forwardSpool(config: Config, redis: Redis): Promise<void> {
  const forwarder = new SpoolForwarder({ config, redis, log: silentLogger });
  await forwarder.start();
  await forwarder.drain();
  await forwarder.stop();
}

function assertCaptured(entries: Array<[string, string[]]>, dlq: Array<[string, string[]]>, inputs: HookInput[], route: string): void {
  const wellFormed = inputs.filter((i) => i.wellFormed);
  assert.equal(entries.length, wellFormed.length, `${route}: one stream entry per well-formed input`);
  assert.equal(dlq.length, inputs.length - wellFormed.length, `${route}: one dead letter per malformed input`);
  for (const [id, flat] of entries) {
    const fields = fieldsFromArray(flat);
    assert.ok(parseStreamEntry(fields, id).ok, `${route}: ${fields.hook_type} parses`);
    assert.ok(Buffer.byteLength(flat.join('')) <= 1_048_576, `${route}: ${fields.hook_type} fits the entry limit`);
  }
  for (const [, flat] of dlq) assert.equal(fieldsFromArray(flat).error_type, 'parse_error');
  const hookTypes = entries.map(([, flat]) => fieldsFromArray(flat).hook_type).sort();
  const expected = wellFormed.map((i) => i.event).sort();
  assert.deepEqual(hookTypes, expected, `${route}: every event captured under its name`);
  const big = entries.map(([, flat]) => fieldsFromArray(flat)).find((f) => f.payload.includes('npm test output line'));
  assert.ok(big && /truncated by Blueplane: original \d+ bytes, sha256/.test(big.payload), `${route}: the 10 MB output is kept, cut`);
}

test('spool hook: installed commands answer correctly for every input, with the spool writable or not', async (t) => {
  const inst = install(false);
  const redis = await testRedis();
  t.after(async () => {
    await deleteKeys(redis, inst.config.streams.events, inst.config.streams.dlq);
    redis.disconnect();
    inst.cleanup();
  });
  const inputs = hookInputs();
  const port = await closedPort();

  await runAll(inst, inputs, {}, 'spool writable');
  assert.equal(readdirSync(inst.config.paths.spool).filter((n) => parseSpoolName(n)).length, inputs.length, 'one spool data file per input');
  // Redis does not matter to the spool hook: it never connects.
  await runAll(inst, inputs.slice(0, 3), { BLUEPLANE_REDIS_URL: `redis://127.0.0.1:${port}` }, 'Redis down');

  await forwardSpool(inst.config, redis);
  assert.deepEqual(readdirSync(inst.config.paths.spool), [], 'all forwarded');
  const entries = (await redis.xrange(inst.config.streams.events, '-', '+')) as Array<[string, string[]]>;
  const dlq = (await redis.xrange(inst.config.streams.dlq, '-', '+')) as Array<[string, string[]]>;
  const wellFormed = inputs.filter((i) => i.wellFormed).length;
  assert.equal(entries.length, wellFormed + 3, 'the first run, then the three of the second');
  // Forwarded oldest first: the first run's entries come first.
  assertCaptured(entries.slice(0, wellFormed), dlq, inputs, 'spool');
  const text = await streamText(redis, inst.config);
  for (const s of SECRET_SAMPLES) assert.ok(!text.includes(s.secret), `${s.kind} reached Redis through the spool`);

  // Unwritable: the spool folder replaced by a file.
  rmSync(inst.config.paths.spool, { recursive: true, force: true });
  writeFileSync(inst.config.paths.spool, 'in the way');
  const blocked = await runAll(inst, inputs, {}, 'spool unwritable');
  assert.ok(blocked.every((r) => /could not write/.test(r.stderr)), 'each says so on stderr');
});

test('direct hook: installed commands answer correctly with Redis up, Redis down and the spool unwritable', async (t) => {
  assert.ok(existsSync(HOOK_JS), 'dist/hook.js is missing; run `npm run build` first (npm test does)');
  const inst = install(true);
  const redis = await testRedis();
  t.after(async () => {
    await deleteKeys(redis, inst.config.streams.events, inst.config.streams.dlq);
    redis.disconnect();
    inst.cleanup();
  });
  const inputs = hookInputs();

  // Redis up: straight to the stream (and DLQ), nothing spooled.
  await runAll(inst, inputs, {}, 'Redis up');
  const entries = (await redis.xrange(inst.config.streams.events, '-', '+')) as Array<[string, string[]]>;
  const dlq = (await redis.xrange(inst.config.streams.dlq, '-', '+')) as Array<[string, string[]]>;
  assertCaptured(entries, dlq, inputs, 'direct');
  assert.ok(entries.every(([, flat]) => JSON.parse(fieldsFromArray(flat).metadata).capture === 'direct'));
  assert.ok(!existsSync(inst.config.paths.spool) || readdirSync(inst.config.paths.spool).length === 0);
  const text = await streamText(redis, inst.config);
  for (const s of SECRET_SAMPLES) assert.ok(!text.includes(s.secret), `${s.kind} reached Redis through the direct hook`);

  // Redis down: every input lands in the spool, and the forwarder later gives the same event_ids.
  const port = await closedPort();
  const down = await runAll(inst, inputs, { BLUEPLANE_REDIS_URL: `redis://127.0.0.1:${port}` }, 'Redis down');
  assert.ok(down.every((r) => /spooling it/.test(r.stderr)));
  assert.equal(readdirSync(inst.config.paths.spool).length, inputs.length);
  await forwardSpool(inst.config, redis);
  const afterForward = (await redis.xrange(inst.config.streams.events, '-', '+')) as Array<[string, string[]]>;
  assert.equal(afterForward.length, 2 * entries.length);

  // Spool unwritable and Redis down: nothing can be captured, the agent still gets its answer.
  rmSync(inst.config.paths.spool, { recursive: true, force: true });
  writeFileSync(inst.config.paths.spool, 'in the way');
  const blocked = await runAll(inst, inputs, { BLUEPLANE_REDIS_URL: `redis://127.0.0.1:${port}` }, 'Redis down, spool unwritable');
  assert.ok(blocked.every((r) => /could not spool/.test(r.stderr)));
  // Spool unwritable but Redis up: the spool is not needed.
  await runAll(inst, inputs.slice(0, 5), {}, 'Redis up, spool unwritable');
});

test('dist/hook.js stays small: only Node built-ins, no ioredis, yaml or zod to load at every event', () => {
  const bundle = readFileSync(HOOK_JS, 'utf8');
  const required = [...bundle.matchAll(/require\("([^"]+)"\)|import\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2]);
  assert.deepEqual(required.filter((name) => !name.startsWith('node:')), []);
  for (const heavy of ['ioredis', 'zod', 'yaml']) assert.ok(!new RegExp(`node_modules/${heavy}/`).test(bundle), `${heavy} is bundled`);
});

test('a direct hook whose XADD timed out after Redis stored it is not stored twice: the spooled copy has the same event_id', async (t) => {
  // Simulated with the fixtures: an entry sent directly, then the same input spooled with the
  // same fire time (what the hook does when the reply is late) and forwarded.
  const inst = install(true);
  const redis = await testRedis();
  t.after(async () => {
    await deleteKeys(redis, inst.config.streams.events, inst.config.streams.dlq);
    redis.disconnect();
    inst.cleanup();
  });
  const fire = Date.now();
  const text = JSON.stringify(fixture('afterFileEdit'));
  const settings = { privacyMode: 'full' as const, scrubSecrets: true, hashWorkspacePaths: true, maxEntryBytes: 1_048_576 };
  const direct = captureEntry({ text, hookArg: 'afterFileEdit', fireTimeMs: fire, route: 'direct', eventsStream: 'x', origin: 'direct-hook' }, settings);
  writeSpoolFile(inst.config.paths.spool, 'afterFileEdit', fire, text);
  await forwardSpool(inst.config, redis);
  const [[, flat]] = (await redis.xrange(inst.config.streams.events, '-', '+')) as Array<[string, string[]]>;
  assert.equal(fieldsFromArray(flat).event_id, direct.eventId);
});
