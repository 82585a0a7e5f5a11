import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { applyPrivacyMode, digestOf } from '../../src/capture/privacy';
import { capEventSize, entryBytes } from '../../src/capture/sizeCap';
import { captureEntry } from '../../src/capture/captureEntry';
import { workspaceHash } from '../../src/capture/envelope';
import { sha256Hex } from '../../src/capture/sha256';
import { parseStreamEntry, toStreamFields, type TelemetryEvent } from '../../src/shared/event';
import { cursorFixtures } from '../helpers/fixtures';

const nodeSha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function fixture(name: string): Record<string, unknown> {
  const found = cursorFixtures().find((f) => f.hook_event_name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

test('metadata mode keeps structure, ids, paths and numbers, and replaces content with size and sha256', () => {
  const edit = applyPrivacyMode(fixture('afterFileEdit'), 'metadata');
  assert.equal(edit.file_path, '/w/acme/src/server.ts');
  assert.equal(edit.conversation_id, '7d3f0c52-1a9b-4e6f-8c21-5b0e9a4d7f13');
  const [change] = edit.edits as Array<Record<string, unknown>>;
  assert.deepEqual(change.old_string, { redacted: 'metadata', size: 17, sha256: nodeSha('app.listen(port);') });
  assert.deepEqual(edit.workspace_roots, [workspaceHash('/w/acme')]);

  const prompt = applyPrivacyMode(fixture('beforeSubmitPrompt'), 'metadata');
  assert.equal((prompt.prompt as { size: number }).size, Buffer.byteLength('Add a /health endpoint and a test for it'));
  assert.deepEqual(prompt.attachments, fixture('beforeSubmitPrompt').attachments, 'attachment paths are metadata');

  const stop = applyPrivacyMode(fixture('stop'), 'metadata');
  assert.equal(stop.input_tokens, 1449004, 'token counts are kept (they feed tokens_used)');

  const tool = applyPrivacyMode(fixture('postToolUse'), 'metadata');
  assert.equal(tool.tool_name, 'Read');
  assert.equal((tool.tool_input as { redacted: string }).redacted, 'metadata', 'an object value is digested as JSON');
  assert.equal(tool.duration, 6.139);
});

test('metadata mode leaves no content of any fixture in the payload', () => {
  const contents = ['Add a /health endpoint', 'npm test', 'git push origin', 'SELECT count(*)', 'DATABASE_URL', "app.get('/health'", 'all 43 tests pass', 'express', 'parseConfig is called', 'dev@example.com'];
  for (const f of cursorFixtures()) {
    const text = JSON.stringify(applyPrivacyMode(f, 'metadata'));
    for (const c of contents) assert.ok(!text.includes(c), `${f.hook_event_name} still holds "${c}"`);
  }
});

test('full mode keeps the payload; neither mode changes its input', () => {
  const f = fixture('afterShellExecution');
  const copy = structuredClone(f);
  assert.equal(applyPrivacyMode(f, 'full'), f);
  applyPrivacyMode(f, 'metadata');
  assert.deepEqual(f, copy);
  assert.deepEqual(applyPrivacyMode({ workspace_roots: ['/w/a'] }, 'metadata', false).workspace_roots, ['/w/a']);
  assert.deepEqual(digestOf({ a: 1 }), { redacted: 'metadata', size: 7, sha256: nodeSha('{"a":1}') });
});

test('camelCase content fields are covered by metadata mode', () => {
  const out = applyPrivacyMode({ userMessage: 'secret plan', toolOutput: 'x', oldString: 'y' }, 'metadata');
  for (const v of Object.values(out)) assert.equal((v as { redacted: string }).redacted, 'metadata');
});

function eventWith(payload: Record<string, unknown>): TelemetryEvent {
  return { event_id: 'e', timestamp: new Date().toISOString(), platform: 'cursor', hook_type: 'afterShellExecution', event_type: 'shell_execution', session_id: 's', payload, metadata: {} };
}

test('a 10 MB shell output is cut to fit the entry limit, with a marker, its size and sha256', () => {
  const output = 'x'.repeat(10 * 1024 * 1024 - 3) + 'end';
  const event = capEventSize(eventWith({ ...fixture('afterShellExecution'), output }), 1_048_576);
  const size = entryBytes(toStreamFields(event));
  assert.ok(size <= 1_048_576, `entry is ${size} bytes`);
  assert.ok(size > 900_000, 'as much as fits is kept');
  const kept = event.payload.output as string;
  assert.ok(kept.startsWith('xxxx'));
  assert.match(kept, new RegExp(`original ${10 * 1024 * 1024} bytes, sha256 ${nodeSha(output)}\\]$`));
  assert.deepEqual(event.metadata.truncated_fields, [{ field: 'payload.output', original_bytes: 10 * 1024 * 1024, sha256: nodeSha(output) }]);
  assert.equal(event.payload.command, 'npm test', 'small fields are untouched');
});

test('many large strings share the cut; unicode and escapes are measured as bytes', () => {
  const big = '日本語😀\n"quoted"\t'.repeat(40_000); // multi-byte, surrogate pairs and escaped characters
  const payload = { edits: Array.from({ length: 5 }, () => ({ old_string: big, new_string: big })), file_path: '/w/a.ts' };
  const event = capEventSize(eventWith(payload), 1_048_576);
  assert.ok(entryBytes(toStreamFields(event)) <= 1_048_576);
  assert.equal((event.metadata.truncated_fields as unknown[]).length, 10);
  assert.equal(event.payload.file_path, '/w/a.ts');
  const first = (event.payload.edits as Array<{ old_string: string }>)[0].old_string;
  assert.ok(!/[\uD800-\uDBFF]$/.test(first.split('\n…[truncated')[0]), 'no half surrogate pair');
  assert.ok(parseStreamEntry(toStreamFields(event), '1-0').ok);
});

test('a payload of countless small values is replaced by its digest and ids, so the event is still kept', () => {
  const payload = { conversation_id: 'c', hook_event_name: 'afterShellExecution', numbers: Array.from({ length: 300_000 }, (_, i) => i) };
  const event = capEventSize(eventWith(payload), 1_048_576);
  assert.ok(entryBytes(toStreamFields(event)) <= 1_048_576);
  assert.equal(event.payload.conversation_id, 'c');
  assert.match(String(event.payload.truncated_payload), /truncated by Blueplane: original \d+ bytes, sha256 [0-9a-f]{64}/);
});

test('an entry that fits is returned untouched', () => {
  const event = eventWith(fixture('afterShellExecution'));
  assert.equal(capEventSize(event, 1_048_576), event);
});

test('captureEntry scrubs, applies the mode and caps, in that order', () => {
  const text = JSON.stringify({ ...fixture('afterShellExecution'), output: `token ghp_R7kXz2Lq9Wm4Tn8Vb3Yc6Hd1Jf5Gs0Pa2Ke4 ${'y'.repeat(3_000_000)}` });
  const full = captureEntry({ text, hookArg: 'afterShellExecution', fireTimeMs: Date.now(), route: 'spool', eventsStream: 's', origin: 't' }, {
    privacyMode: 'full',
    scrubSecrets: true,
    hashWorkspacePaths: true,
    maxEntryBytes: 1_048_576,
  });
  assert.equal(full.kind, 'event');
  if (full.kind !== 'event') return;
  assert.ok(!full.fields.payload.includes('ghp_R7kX'));
  assert.ok(entryBytes(full.fields) <= 1_048_576);
  const meta = captureEntry({ text, hookArg: 'afterShellExecution', fireTimeMs: Date.now(), route: 'spool', eventsStream: 's', origin: 't' }, {
    privacyMode: 'metadata',
    scrubSecrets: true,
    hashWorkspacePaths: true,
    maxEntryBytes: 1_048_576,
  });
  assert.equal(meta.kind === 'event' && JSON.parse(meta.fields.payload).output.redacted, 'metadata');
  assert.equal(meta.kind === 'event' && JSON.parse(meta.fields.metadata).truncated_fields, undefined, 'a digest needs no cut');
});

test('sha256Hex matches node:crypto for small, block-edge and large inputs', () => {
  for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000]) {
    const s = 'ab\u00e9\u65e5'.repeat(len).slice(0, len);
    assert.equal(sha256Hex(s), nodeSha(Buffer.from(s, 'utf8')), `length ${len}`);
  }
  assert.equal(sha256Hex(Buffer.from([0, 255, 128])), nodeSha(Buffer.from([0, 255, 128])));
});
