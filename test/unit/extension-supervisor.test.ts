// The processor supervisor with small fake children (real processes, real IPC): status relay,
// restart with backoff, clean stop, and the SIGTERM/SIGKILL backstops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProcessSupervisor, type SupervisorOptions, type SupervisorSnapshot } from '../../src/extension/processSupervisor';
import type { ProcessorStatus } from '../../src/processing/status';
import { waitFor } from '../helpers/env';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-supervisor-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Write a fake `cli.js`: `behaviour` is the body of a CommonJS script. */
function fakeCli(name: string, behaviour: string): string {
  const file = path.join(dir, `${name}.js`);
  writeFileSync(file, behaviour);
  return file;
}

const REPORTS = `
const send = () => process.send({ type: 'blueplane/status', status: { role: 'leader', pid: process.pid, home: process.env.BLUEPLANE_HOME, args: process.argv.slice(2) } });
send(); const timer = setInterval(send, 50);
`;
const OBEYS_STOP = `${REPORTS}
process.on('message', (m) => { if (m && m.type === 'blueplane/stop') { clearInterval(timer); console.error('stopping cleanly'); setTimeout(() => process.exit(0), 20); } });
`;

const started: ProcessSupervisor[] = [];
// A failed assertion must not leave a child (or a restart timer) keeping the test run alive.
test.afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

function supervise(cliPath: string, extra: Partial<SupervisorOptions> = {}) {
  const statuses: Array<ProcessorStatus & { home?: string; args?: string[] }> = [];
  const logs: string[] = [];
  const states: Array<SupervisorSnapshot & { at: number }> = [];
  const supervisor = new ProcessSupervisor({
    cliPath,
    env: { BLUEPLANE_HOME: '/tmp/bp-home-from-env' },
    onStatus: (s) => statuses.push(s),
    onLog: (line) => logs.push(line),
    onState: (s) => states.push({ ...s, at: Date.now() }),
    initialBackoffMs: 50,
    maxBackoffMs: 400,
    ...extra,
  });
  started.push(supervisor);
  return { supervisor, statuses, logs, states };
}

test('forks `start --ipc` with the environment passed through and relays its status', async () => {
  const { supervisor, statuses, states } = supervise(fakeCli('reports', OBEYS_STOP));
  supervisor.start();
  await waitFor(() => statuses.length >= 2, { what: 'two status messages' });
  assert.equal(statuses[0].home, '/tmp/bp-home-from-env');
  assert.deepEqual(statuses[0].args, ['start', '--ipc']);
  assert.equal(supervisor.snapshot().state, 'running');
  assert.deepEqual(states.slice(0, 2).map((s) => s.state), ['starting', 'running']);
  await supervisor.stop();
});

test('stop() asks the child to stop, waits for it, and is idempotent', async () => {
  const { supervisor, statuses, logs } = supervise(fakeCli('obeys', OBEYS_STOP));
  supervisor.start();
  await waitFor(() => statuses.length > 0, { what: 'status' });
  const t0 = Date.now();
  const first = supervisor.stop();
  assert.equal(supervisor.stop(), first);
  await first;
  assert.ok(Date.now() - t0 < 2000, 'stopped promptly');
  await waitFor(() => logs.includes('stopping cleanly'), { what: 'the child log line' });
  assert.equal(supervisor.snapshot().state, 'stopped');
  supervisor.start(); // after stop(): never starts again
  assert.equal(supervisor.snapshot().state, 'stopped');
});

test('a child that ignores the stop message gets SIGTERM, one that ignores SIGTERM gets SIGKILL', async () => {
  const stubborn = fakeCli('stubborn', `${REPORTS}\nprocess.on('message', () => {}); process.on('SIGTERM', () => console.error('ignoring SIGTERM'));`);
  const { supervisor, statuses, logs } = supervise(stubborn, { stopTimeoutMs: 200, killTimeoutMs: 200 });
  supervisor.start();
  await waitFor(() => statuses.length > 0, { what: 'status' });
  const pid = supervisor.snapshot().pid!;
  await supervisor.stop();
  assert.ok(logs.some((l) => /did not stop within 200 ms; sending SIGTERM/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /ignored SIGTERM; killing it/.test(l)));
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the child is gone');
});

test('a crashing child is restarted with growing delays, and the exit is explained', async () => {
  const crasher = fakeCli('crasher', `console.error('blueplane: Redis config is broken; fix it.'); process.exit(3);`);
  const { supervisor, states } = supervise(crasher);
  supervisor.start();
  await waitFor(() => supervisor.snapshot().crashes >= 3, { what: 'three crashes', timeoutMs: 5000 });
  const backoffs = states.filter((s) => s.state === 'backoff');
  assert.match(backoffs[0].lastExit ?? '', /^The processor exited with code 3; its last log line: blueplane: Redis config is broken; fix it\. Restarting in 50 ms; see Blueplane: Show Logs\.$/);
  assert.deepEqual(backoffs.slice(0, 3).map((s) => s.crashes), [1, 2, 3]);
  // 50, 100, 200 ms: each quick crash waits twice as long (capped at maxBackoffMs).
  const delays = backoffs.slice(0, 3).map((s) => s.nextStartAt! - s.at);
  for (const [i, expected] of [50, 100, 200].entries()) assert.ok(Math.abs(delays[i] - expected) <= 15, `delay ${i}: ${delays[i]} ms`);
  await supervisor.stop();
  assert.equal(supervisor.snapshot().state, 'stopped');
});

test('restart() stops the child cleanly and starts a fresh one', async () => {
  const { supervisor, statuses } = supervise(fakeCli('restartable', OBEYS_STOP));
  supervisor.start();
  await waitFor(() => statuses.length > 0, { what: 'status' });
  const firstPid = supervisor.snapshot().pid;
  await supervisor.restart();
  await waitFor(() => statuses.some((s) => s.pid !== firstPid), { what: 'status from the new child' });
  assert.notEqual(supervisor.snapshot().pid, firstPid);
  assert.equal(supervisor.snapshot().crashes, 0);
  await supervisor.stop();
});
