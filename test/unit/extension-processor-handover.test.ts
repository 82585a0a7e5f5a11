// Two editor windows, two extension hosts, one database: the supervisor forks the real
// dist/cli.js twice against one BLUEPLANE_HOME and a real Redis. One child writes, the other
// relays its status (both counters agree), and stopping the writer hands over within seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessSupervisor } from '../../src/extension/processSupervisor';
import { counterValue } from '../../src/extension/statusView';
import type { ProcessorStatus } from '../../src/processing/status';
import { testRedis, waitFor } from '../helpers/env';
import { CLI, makeEvent, requireBuild, setupHome, xaddEvents } from '../helpers/processor';

function window(env: Record<string, string>) {
  let latest: ProcessorStatus | undefined;
  const log: string[] = [];
  const supervisor = new ProcessSupervisor({
    cliPath: CLI,
    env,
    onStatus: (s) => (latest = s),
    onLog: (line) => log.push(line),
    onState: () => {},
  });
  supervisor.start();
  return { supervisor, status: () => latest, log };
}

test('one writer, both windows count the same, and the other takes over when the writer stops', { timeout: 90_000 }, async () => {
  requireBuild();
  const redis = await testRedis();
  const setup = setupHome();
  const a = window(setup.env);
  let b: ReturnType<typeof window> | undefined;
  try {
    const leaderA = await waitFor(() => a.status()?.role === 'leader' && a.status(), { what: 'window A to lead', timeoutMs: 20_000 });
    b = window(setup.env);
    const windowB = b;
    await waitFor(() => windowB.status()?.role === 'passive' && windowB.status()?.leaderPid === leaderA.pid, { what: 'window B to relay A', timeoutMs: 20_000 });

    await xaddEvents(redis, setup.streams.events, Array.from({ length: 25 }, () => makeEvent()));
    await waitFor(() => a.status()?.database.rows === 25 && windowB.status()?.database.rows === 25, { what: 'both counters at 25', timeoutMs: 20_000 });
    assert.equal(counterValue(a.status()!, 'total'), counterValue(windowB.status()!, 'total'));

    const t0 = Date.now();
    await a.supervisor.stop();
    const stopMs = Date.now() - t0;
    assert.ok(stopMs < 4000, `the writer stopped cleanly (in ${stopMs} ms), without SIGTERM`);
    assert.ok(!a.log.some((l) => /did not stop within/.test(l)), a.log.join('\n'));

    const took = await waitFor(() => windowB.status()?.role === 'leader' && Date.now() - t0, { what: 'window B to take over', timeoutMs: 15_000 });
    assert.ok(took < 5000, `handover took ${took} ms`);
    await xaddEvents(redis, setup.streams.events, Array.from({ length: 5 }, () => makeEvent()));
    await waitFor(() => windowB.status()?.database.rows === 30, { what: 'the new writer to store the next events', timeoutMs: 20_000 });
  } finally {
    await a.supervisor.stop();
    await b?.supervisor.stop();
    await setup.cleanup(redis);
    redis.disconnect();
  }
});
