import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessorStatus } from '../../src/processing/status';
import { StatusTrend } from '../../src/extension/statusTrend';

function status(dlqLength: number | null, backlog?: number): ProcessorStatus {
  return {
    streams: { eventsLength: 0, lag: 0, pending: 0, dlqLength, cdcLength: 0 },
    ...(backlog === undefined ? {} : { spool: { backlog, forwarded: 0, dropped: 0, parseFailures: 0 } }),
  } as ProcessorStatus;
}

test('a DLQ that was already there is not "growing"; new entries are, for the window', () => {
  const t = new StatusTrend({ dlqWindowMs: 60_000 });
  assert.equal(t.observe(status(5), 0).dlqGrowth, 0);
  assert.equal(t.observe(status(5), 1000).dlqGrowth, 0);
  assert.equal(t.observe(status(7), 2000).dlqGrowth, 2);
  assert.equal(t.observe(status(7), 50_000).dlqGrowth, 2);
  // The window moved past the old length: 7 is the new normal.
  assert.equal(t.observe(status(7), 70_000).dlqGrowth, 0);
});

test('a purge resets growth at once; an unknown length changes nothing', () => {
  const t = new StatusTrend();
  t.observe(status(0), 0);
  assert.equal(t.observe(status(3), 1000).dlqGrowth, 3);
  assert.equal(t.observe(status(0), 2000).dlqGrowth, 0);
  assert.equal(t.observe(status(null), 3000).dlqGrowth, 0);
});

test('the spool is stuck only when it never empties for the whole delay', () => {
  const t = new StatusTrend({ spoolStuckAfterMs: 10_000 });
  assert.equal(t.observe(status(0, 3), 0).spoolStuck, false);
  assert.equal(t.observe(status(0, 5), 9_000).spoolStuck, false);
  assert.equal(t.observe(status(0, 0), 9_500).spoolStuck, false);
  assert.equal(t.observe(status(0, 2), 10_000).spoolStuck, false);
  assert.equal(t.observe(status(0, 2), 20_000).spoolStuck, true);
  assert.equal(t.observe(status(0), 21_000).spoolStuck, false);
});
