// The status bar's text, tooltip and warning state, from the pure renderStatus().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessorStatus } from '../../src/processing/status';
import type { HooksState } from '../../src/extension/hooksState';
import type { SupervisorSnapshot } from '../../src/extension/processSupervisor';
import { renderStatus, type StatusInputs } from '../../src/extension/statusView';
import { NO_TREND } from '../../src/extension/statusTrend';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const running: SupervisorSnapshot = { state: 'running', pid: 4242, crashes: 0 };
const installed: HooksState = { kind: 'installed', detail: '19 events hooked (spool mode) in /h/.cursor/hooks.json' };

function status(over: Partial<ProcessorStatus> = {}): ProcessorStatus {
  return {
    role: 'leader',
    pid: 4242,
    leaderPid: 4242,
    startedAt: '2026-03-01T11:00:00.000Z',
    updatedAt: new Date(NOW - 500).toISOString(),
    redis: { state: 'up', url: 'redis://127.0.0.1:6379' },
    warnings: [],
    database: { path: '/h/.blueplane/telemetry.db', bytes: 5_242_880, rows: 12_345, lastFlushAt: new Date(NOW - 3000).toISOString(), lastFlushMs: 12.4, flushIntervalMs: 1000 },
    fastPath: { read: 100, written: 98, duplicates: 2, deadLettered: 0, failures: 0, batches: 10, acked: 98, cdcPublished: 98, batchP50Ms: 1, batchP95Ms: 2, compressionRatio: 3, ratePerSec: 4.5 },
    streams: { eventsLength: 500, lag: 0, pending: 7, dlqLength: 0, cdcLength: 498 },
    ...over,
  };
}

function render(over: Partial<StatusInputs> = {}) {
  return renderStatus({ processor: status(), supervisor: running, hooks: installed, hooksExpected: true, trend: NO_TREND, counter: 'total', now: NOW, ...over });
}

test('healthy leader: the counter, no warning, the writer named in the label', () => {
  const v = render();
  assert.equal(v.text, '$(pulse) 12,345 events');
  assert.equal(v.severity, 'ok');
  assert.deepEqual(v.problems, []);
  assert.match(v.ariaLabel, /^Blueplane Telemetry: 12,345 events stored; this window writes the database \(processor pid 4242\)$/);
});

test('the counter can count this session instead', () => {
  const v = render({ counter: 'session' });
  assert.equal(v.text, '$(pulse) 98 events');
  assert.match(v.ariaLabel, /98 events stored since the processor started/);
});

test('a passive window shows the leader\'s numbers and names the other writer', () => {
  const v = render({ processor: status({ role: 'passive', pid: 5000, leaderPid: 4242 }) });
  assert.equal(v.text, '$(pulse) 12,345 events');
  assert.match(v.ariaLabel, /another window writes the database \(pid 4242\)/);
});

test('the tooltip answers "is it working?"', () => {
  const { tooltip } = render();
  for (const expected of [/Rate \| 4\.5 events\/s/, /Backlog \| lag 0, pending 7/, /Dead letters \| 0/, /CDC stream \| 498 entries/,
    /Last durable flush \| 3 s ago \\\(12 ms\\\)/, /Database size \| 5\.0 MB/, /Redis \| up \\\(redis:\/\/127\.0\.0\.1:6379\\\)/, /Cursor hooks \| installed/,
    /Click for Blueplane commands/]) {
    assert.match(tooltip, expected);
  }
});

test('starting: a spinner until the first status', () => {
  const v = render({ processor: undefined, supervisor: { state: 'starting', crashes: 0 } });
  assert.equal(v.text, '$(sync~spin) Blueplane');
  assert.equal(v.severity, 'ok');
});

test('Redis down is an error, with the processor\'s one sentence', () => {
  const error = 'Redis at redis://127.0.0.1:6379 is not reachable (ECONNREFUSED); start redis-server or set BLUEPLANE_REDIS_URL / redis.url in config.yaml.';
  const v = render({ processor: status({ redis: { state: 'down', url: 'redis://127.0.0.1:6379', error }, error }) });
  assert.equal(v.severity, 'error');
  assert.equal(v.text, '$(error) 12,345 events');
  assert.deepEqual(v.problems, [error]);
  assert.match(v.tooltip, /Redis \| down/);
});

test('missing hooks, a growing DLQ and a stuck spool are warnings', () => {
  const v = render({
    hooks: { kind: 'missing', detail: 'no Blueplane hooks in /h/.cursor/hooks.json' },
    trend: { dlqGrowth: 2, spoolStuck: true },
    processor: status({ spool: { backlog: 40, forwarded: 0, dropped: 0, parseFailures: 0 } }),
  });
  assert.equal(v.severity, 'warning');
  assert.equal(v.text, '$(warning) 12,345 events');
  assert.equal(v.problems.length, 3);
  assert.match(v.problems[0], /Cursor hooks are not installed.*Install Cursor Hooks/);
  assert.match(v.problems[1], /waiting in the spool \(40 files\)/);
  assert.match(v.problems[2], /2 event\(s\) went to the dead letter queue/);
});

test('no hooks warning for a user who chose never to install them; a broken hooks.json still warns', () => {
  const missing: HooksState = { kind: 'missing', detail: 'no Blueplane hooks in /h/.cursor/hooks.json' };
  const v = render({ hooks: missing, hooksExpected: false });
  assert.equal(v.severity, 'ok');
  assert.match(v.tooltip, /Cursor hooks \| missing/);
  assert.equal(render({ hooks: { kind: 'error', detail: 'not valid JSON' }, hooksExpected: false }).severity, 'warning');
});

test('a crashed processor: error with the exit sentence; a silent one: "stopped reporting"', () => {
  const lastExit = 'The processor exited with code 1; its last log line: blueplane: bad config. Restarting in 2 s; see Blueplane: Show Logs.';
  const crashed = render({ processor: undefined, supervisor: { state: 'backoff', crashes: 2, lastExit } });
  assert.equal(crashed.text, '$(error) Blueplane');
  assert.deepEqual(crashed.problems, [lastExit]);
  const silent = render({ processor: status({ updatedAt: new Date(NOW - 30_000).toISOString() }) });
  assert.equal(silent.severity, 'error');
  assert.match(silent.problems[0], /stopped reporting/);
});

test('processor warnings are passed on; markdown in messages cannot break the tooltip table', () => {
  const v = render({ processor: status({ warnings: ['a | b *c*'] }) });
  assert.equal(v.severity, 'warning');
  assert.match(v.tooltip, /a \\\| b \\\*c\\\*/);
});
