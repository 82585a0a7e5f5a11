import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnvelope, workspaceHash } from '../../src/capture/envelope';
import { deriveEventId, identityOf } from '../../src/capture/eventId';
import { captureEntry, type CaptureSettings } from '../../src/capture/captureEntry';
import { eventTypeForHook } from '../../src/shared/eventTypes';
import { fieldsFromArray, parseStreamEntry, toStreamFields } from '../../src/shared/event';
import { hashWorkspace } from '../../src/processing/database/fields';
import { cursorFixtures } from '../helpers/fixtures';

const FIRE = Date.parse('2026-09-20T10:11:12.345Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FULL: CaptureSettings = { privacyMode: 'full', scrubSecrets: true, hashWorkspacePaths: true, maxEntryBytes: 1_048_576 };

function envelope(payload: unknown, hookArg = '', fireTimeMs = FIRE) {
  return buildEnvelope({ payload, hookArg, fireTimeMs, eventId: 'id-1', route: 'spool', hashWorkspacePaths: true });
}

function entryOf(text: string, hookArg: string, fireTimeMs = FIRE, route: 'spool' | 'direct' = 'spool') {
  return captureEntry({ text, hookArg, fireTimeMs, route, eventsStream: 'events', origin: 'test' }, FULL);
}

test('every reference fixture becomes a wire-format event the consumer parses back', () => {
  for (const fixture of cursorFixtures()) {
    const name = fixture.hook_event_name;
    const event = envelope(fixture, name);
    assert.equal(event.platform, 'cursor');
    assert.equal(event.hook_type, name);
    assert.equal(event.event_type, eventTypeForHook(name));
    assert.equal(event.session_id, (fixture.conversation_id as string | undefined) ?? '', name);
    assert.equal(event.timestamp, '2026-09-20T10:11:12.345Z');
    assert.equal(event.metadata.workspace_hash, hashWorkspace('/w/acme'), 'same hash as the raw_traces column');
    assert.equal(event.metadata.cursor_version, '3.18.25');
    if (fixture.generation_id) assert.equal(event.metadata.generation_id, fixture.generation_id);
    else assert.equal(event.metadata.generation_id, undefined, 'an empty generation id is left out');
    assert.deepEqual(event.payload, fixture);

    const parsed = parseStreamEntry(toStreamFields(event), '1-0');
    assert.ok(parsed.ok, name);
    assert.deepEqual(parsed.event.payload, fixture);
    assert.equal(parsed.event.session_id, event.session_id);
  }
});

test('model, tool and subagent details go to metadata for the indexed columns', () => {
  const [preToolUse] = cursorFixtures().filter((f) => f.hook_event_name === 'preToolUse');
  const meta = envelope(preToolUse).metadata;
  assert.equal(meta.model, 'default');
  assert.equal(meta.tool_name, 'Shell');
  assert.equal(meta.tool_use_id, preToolUse.tool_use_id);
  assert.equal(meta.capture, 'spool');
  const [subagent] = cursorFixtures().filter((f) => f.hook_event_name === 'subagentStart');
  assert.equal(envelope(subagent).metadata.parent_conversation_id, subagent.parent_conversation_id);
});

test('old camelCase payloads (Cursor 1.7) are read too', () => {
  const event = envelope(
    { conversationId: 'conv-1', generationId: 'gen-1', hookEventName: 'beforeSubmitPrompt', prompt: 'hi', workspaceRoots: ['/w/old'], attachments: [{ type: 'file', filePath: '/w/old/a.ts' }] },
    'beforeSubmitPrompt',
  );
  assert.equal(event.session_id, 'conv-1');
  assert.equal(event.hook_type, 'beforeSubmitPrompt');
  assert.equal(event.event_type, 'user_prompt');
  assert.equal(event.metadata.generation_id, 'gen-1');
  assert.equal(event.metadata.workspace_hash, workspaceHash('/w/old'));
});

test('missing ids, missing event names and non-object input never throw', () => {
  const bare = envelope({ status: 'completed' }, 'stop');
  assert.equal(bare.hook_type, 'stop');
  assert.equal(bare.session_id, '');
  assert.equal(bare.metadata.workspace_hash, undefined);
  assert.equal(envelope({ session_id: 's-1' }, 'sessionStart').session_id, 's-1', 'session_id stands in for conversation_id');
  assert.deepEqual(envelope([1, 2], 'stop').payload, { raw_input: [1, 2] });
  assert.deepEqual(envelope('text', 'stop').payload, { raw_input: 'text' });
  assert.deepEqual(envelope(null, '').payload, { raw_input: null });
  assert.equal(envelope(null, '').hook_type, 'unknown');
  assert.equal(envelope({ workspace_roots: [42, null] }, 'stop').metadata.workspace_hash, undefined);
});

test('Cursor names the event: a payload that disagrees with the installed name wins, and both are kept', () => {
  const event = envelope({ hook_event_name: 'postToolUse', conversation_id: 'c' }, 'preToolUse');
  assert.equal(event.hook_type, 'postToolUse');
  assert.equal(event.metadata.hook_arg, 'preToolUse');
});

test('with hash_workspace_paths off, the raw workspace root is kept next to its hash', () => {
  const event = buildEnvelope({ payload: { workspace_roots: ['/w/acme'] }, hookArg: 'stop', fireTimeMs: FIRE, eventId: 'x', route: 'direct', hashWorkspacePaths: false });
  assert.equal(event.metadata.workspace_root, '/w/acme');
  assert.equal(event.metadata.workspace_hash, workspaceHash('/w/acme'));
});

function idFor(payload: Record<string, unknown>, fireTimeMs: number, text = JSON.stringify(payload)): string {
  return deriveEventId(identityOf(payload, String(payload.hook_event_name)), text, fireTimeMs);
}

test('event_id: the same tool call delivered twice, seconds apart, is one event', () => {
  const [pre] = cursorFixtures().filter((f) => f.hook_event_name === 'preToolUse');
  const first = idFor(pre, FIRE);
  assert.match(first, UUID);
  assert.equal(idFor(pre, FIRE + 7_000), first);
  assert.notEqual(idFor({ ...pre, tool_use_id: 'another-call' }, FIRE), first, 'another call is another event');
  assert.notEqual(idFor({ ...pre, hook_event_name: 'postToolUse' }, FIRE), first, 'pre and post of one call are two events');
});

test('event_id: a prompt is once per generation; the same words in a new generation are a new event', () => {
  const [prompt] = cursorFixtures().filter((f) => f.hook_event_name === 'beforeSubmitPrompt');
  const first = idFor(prompt, FIRE);
  assert.equal(idFor(prompt, FIRE + 3_000), first, 'the same generation delivered twice');
  assert.notEqual(idFor({ ...prompt, generation_id: 'next-generation' }, FIRE + 60_000), first);
  const [start] = cursorFixtures().filter((f) => f.hook_event_name === 'sessionStart');
  assert.equal(idFor(start, FIRE), idFor(start, FIRE + 5_000), 'sessionStart is once per conversation');
});

test('event_id: events without their own id are merged only within the same second', () => {
  const [shell] = cursorFixtures().filter((f) => f.hook_event_name === 'beforeShellExecution');
  const base = Math.floor(FIRE / 1000) * 1000;
  assert.equal(idFor(shell, base + 10), idFor(shell, base + 40), 'a second config file runs it milliseconds later');
  assert.notEqual(idFor(shell, base + 10), idFor(shell, base + 5_010), 'the agent runs the same command again later');
  const [workspace] = cursorFixtures().filter((f) => f.hook_event_name === 'workspaceOpen');
  assert.notEqual(idFor(workspace, base), idFor(workspace, base + 60_000), 'opening the same workspace again');
});

test('event_id ignores whitespace around the JSON, and depends on the exact content otherwise', () => {
  const [stop] = cursorFixtures().filter((f) => f.hook_event_name === 'stop');
  const text = JSON.stringify(stop);
  assert.equal(idFor(stop, FIRE, `${text}\n`), idFor(stop, FIRE, text));
  assert.notEqual(idFor({ ...stop, loop_count: 1 }, FIRE), idFor(stop, FIRE));
});

test('captureEntry: the spool and the direct hook give the same event the same id', () => {
  const [post] = cursorFixtures().filter((f) => f.hook_event_name === 'postToolUse');
  const text = JSON.stringify(post);
  const viaSpool = entryOf(text, 'postToolUse', FIRE, 'spool');
  const viaDirect = entryOf(text, 'postToolUse', FIRE, 'direct');
  assert.equal(viaSpool.kind, 'event');
  assert.equal(viaDirect.kind, 'event');
  assert.equal(viaSpool.eventId, viaDirect.eventId);
  assert.equal(viaSpool.kind === 'event' && viaSpool.fields.event_id, viaSpool.eventId);
});

test('captureEntry: text that is not JSON becomes a parse_error dead letter that can be re-injected', () => {
  const entry = entryOf('{"conversation_id": "c", broken', 'preToolUse');
  assert.equal(entry.kind, 'dead_letter');
  const fields = fieldsFromArray(entry.fields as string[]);
  assert.equal(fields.error_type, 'parse_error');
  assert.equal(fields.original_event_id, entry.eventId);
  assert.equal(fields.can_retry, 'true');
  assert.equal(fields.source_stream, 'events');
  const original = JSON.parse(fields.original_data) as Record<string, string>;
  const reparsed = parseStreamEntry(original, '1-0');
  assert.ok(reparsed.ok, 'the original entry is a valid event');
  assert.equal(reparsed.event.payload.raw_input, '{"conversation_id": "c", broken');
  assert.equal(reparsed.event.hook_type, 'preToolUse');

  const empty = entryOf('', 'stop');
  assert.equal(empty.kind, 'dead_letter');
  assert.equal(fieldsFromArray(empty.fields as string[]).can_retry, 'false', 'nothing to re-inject');
  assert.match(fieldsFromArray(empty.fields as string[]).error_message, /empty input/);
});

test('captureEntry: a byte order mark before the JSON is tolerated', () => {
  const entry = entryOf('\uFEFF{"hook_event_name":"stop","conversation_id":"c"}', 'stop');
  assert.equal(entry.kind, 'event');
});
