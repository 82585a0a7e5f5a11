import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamEntry, toStreamFields } from '../../src/shared/event';
import { allowAnswer, eventTypeForHook, priorityFor } from '../../src/shared/eventTypes';

test('our own entries round-trip through the wire format', () => {
  const event = {
    event_id: 'e1', timestamp: '2026-11-30T10:00:00.000Z', platform: 'cursor', hook_type: 'stop', event_type: 'agent_stop',
    session_id: 'c1', payload: { status: 'completed' }, metadata: { model: 'default' }, extra: { producer: 'test' },
  };
  const parsed = parseStreamEntry(toStreamFields(event), '1-0');
  assert.ok(parsed.ok);
  assert.equal(parsed.event.session_id, 'c1');
  assert.deepEqual(parsed.event.payload, event.payload);
  assert.equal(parsed.event.extra?.producer, 'test');
});

test('Python-hook entries: data instead of payload, session_id instead of external_session_id, no event_type', () => {
  const parsed = parseStreamEntry(
    { event_id: 'p1', timestamp: '2025-11-06T15:30:45.100+00:00', platform: 'cursor', hook_type: 'beforeSubmitPrompt', session_id: 's9', data: '{"prompt":"hi"}' },
    '5-0',
  );
  assert.ok(parsed.ok);
  assert.equal(parsed.event.event_type, 'user_prompt');
  assert.equal(parsed.event.session_id, 's9');
  assert.deepEqual(parsed.event.payload, { prompt: 'hi' });
});

test('a missing event_id falls back to the stream id; unknown hooks are kept as unknown', () => {
  const parsed = parseStreamEntry({ timestamp: '2026-01-01T00:00:00Z', platform: 'cursor', hook_type: 'someFutureHook' }, '9-1');
  assert.ok(parsed.ok);
  assert.equal(parsed.event.event_id, 'stream:9-1');
  assert.equal(parsed.event.event_type, 'unknown');
});

test('bad entries are refused with the reason', () => {
  const bad = parseStreamEntry({ timestamp: '2026-01-01T00:00:00Z', platform: 'cursor', hook_type: 'stop', payload: '[1,2' }, '1-1');
  assert.ok(!bad.ok && bad.errorType === 'parse_error' && /payload/.test(bad.message));
  const missing = parseStreamEntry({ payload: '{}' }, '1-2');
  assert.ok(!missing.ok && missing.errorType === 'validation_error' && /timestamp, platform, hook_type/.test(missing.message));
  const badTime = parseStreamEntry({ timestamp: 'yesterday', platform: 'cursor', hook_type: 'stop' }, '1-3');
  assert.ok(!badTime.ok && /ISO 8601/.test(badTime.message));
  const notObject = parseStreamEntry({ timestamp: '2026-01-01T00:00:00Z', platform: 'cursor', hook_type: 'stop', payload: '"text"' }, '1-4');
  assert.ok(!notObject.ok);
});

test('taxonomy, priorities and allow answers follow the references', () => {
  assert.equal(eventTypeForHook('afterTabFileEdit'), 'file_edit');
  assert.equal(eventTypeForHook('afterAgentThought'), 'assistant_thought');
  assert.equal(priorityFor('user_prompt'), 1);
  assert.equal(priorityFor('shell_execution'), 2);
  assert.equal(priorityFor('session_end'), 4);
  assert.equal(priorityFor('unknown'), 5);
  assert.equal(allowAnswer('preToolUse'), '{"permission":"allow"}');
  assert.equal(allowAnswer('beforeSubmitPrompt'), '{"continue":true}');
  assert.equal(allowAnswer('stop'), '{}');
});
