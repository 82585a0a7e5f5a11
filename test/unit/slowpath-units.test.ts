// The slow path's pure parts: fact extraction on every payload of the reference, turn assembly,
// subagent linking, percentiles and the work order of CDC entries.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { byPriority, parseCdcEntry } from '../../src/processing/slowPath/cdcEntry';
import { deriveFromEvent, type EventFact } from '../../src/processing/slowPath/eventFacts';
import { percentile } from '../../src/shared/percentile';
import { chooseParent, OPEN_SUBAGENT_SPAN_MS, type SubagentSpan } from '../../src/processing/slowPath/subagentLinks';
import { assembleTurns } from '../../src/processing/slowPath/turnAssembly';
import type { TelemetryEvent } from '../../src/shared/event';
import { eventTypeForHook } from '../../src/shared/eventTypes';
import { cursorFixtures } from '../helpers/fixtures';
import { shuffled } from './slowpath-fixtures.test';

function asEvent(payload: Record<string, unknown>, n = 1, at = '2025-11-06T10:00:00.000Z'): TelemetryEvent {
  const hook = String(payload.hook_event_name);
  return {
    event_id: `e${n}`,
    timestamp: at,
    platform: 'cursor',
    hook_type: hook,
    event_type: eventTypeForHook(hook),
    session_id: String(payload.conversation_id ?? ''),
    payload,
    metadata: {},
  };
}

describe('facts from the reference payloads', () => {
  const fixtures = cursorFixtures();
  const byHook = (hook: string) => {
    const f = fixtures.find((x) => x.hook_event_name === hook);
    assert.ok(f, hook);
    return deriveFromEvent(asEvent(f), 1);
  };

  test('every documented event derives a fact', () => {
    for (const [i, f] of fixtures.entries()) {
      const d = deriveFromEvent(asEvent(f, i), i);
      assert.equal(d.fact.hook_type, f.hook_event_name);
      assert.equal(d.fact.event_date, '2025-11-06');
    }
  });

  test('stop: status and the four token counts', () => {
    const d = byHook('stop');
    assert.equal(d.fact.outcome, 'completed');
    assert.deepEqual(d.tokens && [d.tokens.input_tokens, d.tokens.output_tokens, d.tokens.cache_read_tokens, d.tokens.cache_write_tokens, d.tokens.reported], [1449004, 10324, 1155456, 0, true]);
  });

  test('tool calls: ids with newlines, durations, failures', () => {
    const post = byHook('postToolUse').fact;
    assert.equal(post.call_id, 'call-130a53a3-5718-473b-8101-a9c73231b7be-0\nfc_76ffef3f-2276-97fd-a40d-770e2dd5bc0b_0');
    assert.deepEqual([post.tool_name, post.subject, post.duration_ms, post.outcome], ['Read', '/w/acme/src/server.ts', 6.139, 'ok']);
    const failure = byHook('postToolUseFailure').fact;
    assert.deepEqual([failure.tool_name, failure.subject, failure.outcome, failure.is_error, failure.duration_ms], ['Shell', 'npm run e2e', 'timeout', true, 30004.2]);
    const mcp = byHook('afterMCPExecution').fact;
    assert.deepEqual([mcp.tool_name, mcp.outcome, mcp.duration_ms], ['MCP:query', 'ok', 212.4]);
  });

  test('subagents: the call id and the parent', () => {
    const start = byHook('subagentStart').fact;
    assert.equal(start.tool_name, 'Task');
    assert.equal(start.call_id, 'call-2ec9530d-b502-4c4f-8a6e-63f0bf7ebc9a-29\nfc_49466487-df47-9fb4-8b10-079ee845fb97_0');
    assert.equal(start.attrs?.parent_conversation_id, '7d3f0c52-1a9b-4e6f-8c21-5b0e9a4d7f13');
    assert.deepEqual([byHook('subagentStop').fact.outcome, byHook('subagentStop').fact.duration_ms], ['ok', 45210]);
  });

  test('edits: one code change per file, lines as git counts them; Tab edits belong to no conversation', () => {
    const edit = byHook('afterFileEdit');
    assert.deepEqual(edit.codeChange && [edit.codeChange.source, edit.codeChange.lines_added, edit.codeChange.lines_removed], ['agent', 1, 0]);
    const tab = byHook('afterTabFileEdit');
    assert.deepEqual(tab.codeChange && [tab.codeChange.source, tab.codeChange.conversation_id, tab.codeChange.lines_added, tab.codeChange.lines_removed], ['tab', null, 1, 1]);
    assert.equal(tab.fact.conversation_id, '');
  });

  test('prompts and responses keep a hash and a length, not the text', () => {
    const prompt = byHook('beforeSubmitPrompt').fact;
    assert.equal(prompt.content_chars, 'Add a /health endpoint and a test for it'.length);
    assert.match(prompt.content_hash ?? '', /^[0-9a-f]{16}$/);
    assert.equal(prompt.subject, null);
  });

  test('events that carry no tokens get no ledger row, except stop (counted as "no tokens")', () => {
    assert.equal(byHook('afterAgentResponse').tokens, undefined);
    const bare = deriveFromEvent(asEvent({ hook_event_name: 'stop', conversation_id: 'c', status: 'aborted' }), 1);
    assert.deepEqual(bare.tokens && [bare.tokens.reported, bare.tokens.input_tokens], [false, null]);
  });

  test('Claude Code hook names map onto the Cursor ones', () => {
    const d = deriveFromEvent(asEvent({ hook_event_name: 'PostToolUse', conversation_id: 'c', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 't' }), 1);
    assert.deepEqual([d.fact.hook_type, d.fact.tool_name, d.fact.subject, d.fact.call_id], ['postToolUse', 'Bash', 'ls', 't']);
  });
});

function fact(n: number, hook: string, second: number, extra: Partial<EventFact> = {}): EventFact {
  return {
    sequence: n, event_id: `e${n}`, conversation_id: 'c', generation_id: 'g', hook_type: hook, event_type: eventTypeForHook(hook),
    platform: 'cursor', timestamp: new Date(Date.UTC(2025, 10, 6, 10, 0, second)).toISOString(), event_date: '2025-11-06',
    workspace_hash: 'w', model: null, tool_name: null, call_id: null, subject: null, duration_ms: null, outcome: null,
    exit_code: null, is_error: false, content_hash: null, content_chars: null, attrs: null, ...extra,
  };
}

describe('turn assembly', () => {
  const shellCall = (base: number, id: string, command: string, exit: number, duration: number): EventFact[] => [
    fact(base, 'preToolUse', base, { tool_name: 'Shell', call_id: id, subject: command }),
    fact(base + 1, 'beforeShellExecution', base + 1, { tool_name: 'Shell', subject: command }),
    fact(base + 2, 'afterShellExecution', base + 2, { tool_name: 'Shell', subject: command, duration_ms: duration - 5, outcome: 'ok' }),
    fact(base + 3, 'postToolUse', base + 3, { tool_name: 'Shell', call_id: id, subject: command, duration_ms: duration, exit_code: exit, outcome: exit ? 'error' : 'ok' }),
  ];

  test('four hooks of one shell command are one tool call with the tool-level outcome', () => {
    const turns = assembleTurns(shellCall(1, 't1', 'npm test', 1, 900), 'g');
    assert.equal(turns.length, 1);
    assert.deepEqual([turns[0].turn_key, turns[0].turn_type, turns[0].outcome, turns[0].exit_code, turns[0].duration_ms, turns[0].event_ids.length], ['tool:t1', 'tool_call', 'error', 1, 900, 4]);
  });

  test('the same command run twice pairs each hook with its own call', () => {
    const facts = [...shellCall(1, 't1', 'npm test', 1, 900), ...shellCall(10, 't2', 'npm test', 0, 400)];
    const turns = assembleTurns(facts, 'g');
    assert.deepEqual(turns.map((t) => [t.turn_key, t.outcome, t.duration_ms, t.event_ids.join(',')]), [
      ['tool:t1', 'error', 900, 'e1,e2,e3,e4'],
      ['tool:t2', 'ok', 400, 'e10,e11,e12,e13'],
    ]);
  });

  test('the result does not depend on the order the facts arrived in', () => {
    const facts = [
      fact(1, 'beforeSubmitPrompt', 0),
      ...shellCall(2, 't1', 'npm test', 0, 900),
      ...shellCall(10, 't2', 'npm test', 0, 400),
      fact(20, 'beforeReadFile', 20, { tool_name: 'Read', subject: '/a' }),
      fact(21, 'afterFileEdit', 21, { tool_name: 'Write', subject: '/a' }),
      fact(22, 'afterAgentResponse', 22),
      fact(23, 'stop', 23, { outcome: 'completed' }),
    ];
    const expected = assembleTurns(facts, 'g');
    for (const seed of [1, 2, 3, 4, 5]) assert.deepEqual(assembleTurns(shuffled(facts, seed), 'g'), expected);
    assert.deepEqual(expected.map((t) => [t.turn_type, t.tool_name, t.outcome]), [
      ['user_prompt', null, null],
      ['tool_call', 'Shell', 'ok'],
      ['tool_call', 'Shell', 'ok'],
      ['tool_call', 'Read', 'ok'],
      ['tool_call', 'Write', 'ok'],
      ['response', null, null],
      ['stop', null, 'completed'],
    ]);
  });

  test('a call whose end has not arrived is pending; an after-hook alone stands as its own call', () => {
    const pending = assembleTurns([fact(1, 'preToolUse', 1, { tool_name: 'Read', call_id: 'r', subject: '/x' })], 'g');
    assert.equal(pending[0].outcome, 'pending');
    const lone = assembleTurns([fact(1, 'afterShellExecution', 1, { tool_name: 'Shell', subject: 'ls', duration_ms: 12, outcome: 'ok' })], 'g');
    assert.deepEqual([lone[0].turn_key, lone[0].turn_type, lone[0].duration_ms, lone[0].outcome], ['event:e1', 'tool_call', 12, 'ok']);
  });
});

describe('subagent links', () => {
  const span = (parent: string, key: string, startSec: number, endSec: number | null, workspace = 'w'): SubagentSpan => ({
    parentConversationId: parent,
    turnKey: key,
    subagentType: 'general-purpose',
    workspaceHash: workspace,
    startMs: Date.UTC(2025, 10, 6, 10, 0, startSec),
    endMs: endSec === null ? Date.UTC(2025, 10, 6, 10, 0, startSec) + OPEN_SUBAGENT_SPAN_MS : Date.UTC(2025, 10, 6, 10, 0, endSec),
    outcome: endSec === null ? null : 'ok',
  });
  const at = (sec: number) => new Date(Date.UTC(2025, 10, 6, 10, 0, sec)).toISOString();

  test('one span containing the first event: parent and subagent call', () => {
    assert.deepEqual(chooseParent([span('P', 'tool:x', 0, 30)], 'C', 'w', at(5)), { parent_conversation_id: 'P', subagent_turn_key: 'tool:x', subagent_type: 'general-purpose', outcome: 'ok' });
  });

  test('parallel workers of one parent: the parent is certain, the worker is not', () => {
    assert.deepEqual(chooseParent([span('P', 'tool:x', 0, 30), span('P', 'tool:y', 1, 30)], 'C', 'w', at(5)).parent_conversation_id, 'P');
    assert.equal(chooseParent([span('P', 'tool:x', 0, 30), span('P', 'tool:y', 1, 30)], 'C', 'w', at(5)).subagent_turn_key, null);
  });

  test('no link when ambiguous across parents, outside every span, or in another workspace', () => {
    assert.equal(chooseParent([span('P', 'tool:x', 0, 30), span('Q', 'tool:y', 1, 30)], 'C', 'w', at(5)).parent_conversation_id, null);
    assert.equal(chooseParent([span('P', 'tool:x', 0, 3)], 'C', 'w', at(5)).parent_conversation_id, null);
    assert.equal(chooseParent([span('P', 'tool:x', 0, 30, 'other')], 'C', 'w', at(5)).parent_conversation_id, null);
  });

  test('a span whose stop never came stays open only so long', () => {
    assert.equal(chooseParent([span('P', 'tool:x', 0, null)], 'C', 'w', at(50)).parent_conversation_id, 'P');
    const later = new Date(Date.UTC(2025, 10, 6, 10, 0, 0) + OPEN_SUBAGENT_SPAN_MS + 1000).toISOString();
    assert.equal(chooseParent([span('P', 'tool:x', 0, null)], 'C', 'w', later).parent_conversation_id, null);
  });
});

test('percentile is nearest-rank: always a measured value', () => {
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([7], 95), 7);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(shuffled(hundred, 9), 50), 50);
  assert.equal(percentile(hundred, 95), 95);
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
});

test('CDC entries are worked on by priority, then stream order; bad fields are recognised', () => {
  const entries = [
    parseCdcEntry('10-0', ['sequence', '5', 'priority', '4']),
    parseCdcEntry('2-1', ['sequence', '2', 'priority', '2']),
    parseCdcEntry('2-0', ['sequence', '1', 'priority', '2']),
    parseCdcEntry('9-0', ['sequence', '3', 'priority', '1']),
    parseCdcEntry('1-0', ['sequence', '4']),
  ];
  assert.deepEqual(byPriority(entries).map((e) => e.id), ['9-0', '2-0', '2-1', '10-0', '1-0']);
  assert.equal(parseCdcEntry('1-0', ['sequence', 'x']).sequence, null);
  assert.equal(parseCdcEntry('1-0', ['sequence', '1', 'priority', '9']).priority, 5);
  assert.deepEqual(parseCdcEntry('1-0', null).fields, {});
});
