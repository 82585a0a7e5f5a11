import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogLine } from '../../src/extension/logLines';

test('a processor log line is split into level and message', () => {
  assert.deepEqual(parseLogLine('2026-01-02T03:04:05.678Z WARN  Redis at redis://127.0.0.1:6379/ is not reachable', 'stderr'), {
    level: 'warn',
    message: 'Redis at redis://127.0.0.1:6379/ is not reachable',
  });
  assert.equal(parseLogLine('2026-01-02T03:04:05.678Z INFO  Processing', 'stderr').level, 'info');
});

test('other output is kept whole, stderr as a warning', () => {
  assert.deepEqual(parseLogLine('    at Object.<anonymous> (cli.js:1:1)', 'stderr'), { level: 'warn', message: '    at Object.<anonymous> (cli.js:1:1)' });
  assert.equal(parseLogLine('hello', 'stdout').level, 'info');
});

test('secrets are redacted even in lines that bypassed the child\'s logger', () => {
  const { message } = parseLogLine('Error: connect to redis://user:hunter2@redis.example:6379 failed, token=abc123 sk-ABCDEFGHIJKLMNOPQRSTUV', 'stderr');
  assert.doesNotMatch(message, /hunter2|abc123|sk-ABCDEF/);
});
