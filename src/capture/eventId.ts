// The event_id of a captured hook event, derived from the event itself so that every path that
// can see the same event twice gives it the same id, and raw_traces (event_id UNIQUE, inserts
// ignore duplicates) keeps one row (DESIGN.md invariant 3):
//
//  * the forwarder crashes between XADD and deleting the spool file, and forwards it again;
//  * the direct hook's XADD times out after Redis stored it, and the spooled copy is forwarded;
//  * Cursor delivers the same event twice (preToolUse with the same tool_use_id), or runs our
//    command from two config files (user and project hooks.json) one after the other.
//
// The rule: sha256 over the hook name, conversation id, generation id, a hash of the exact stdin
// text, and a discriminator, shaped as a UUID (version 8, "custom"):
//
//  1. The event names its own action (tool_use_id; subagent_id or tool_call_id for subagents):
//     discriminator = that id. Distinct actions always have distinct ids, so duplicates merge
//     whenever they arrive.
//  2. The event happens once per conversation (sessionStart, sessionEnd) or once per generation
//     (beforeSubmitPrompt, stop) and that id is present: no discriminator. The same prompt sent
//     twice is two generations, so it stays two rows.
//  3. Anything else (shell, MCP, file and response events, workspaceOpen, payloads without ids):
//     discriminator = the fire time's second (floor(ms / 1000)). Two runs of one event fire
//     milliseconds apart; a genuine repeat with a byte-identical payload in the same generation
//     needs a model round trip. Limits, accepted: a duplicate pair that straddles a second
//     boundary stays two rows (about gap/1000 of such pairs), and two identical events within the
//     same second become one.
//
// The hash covers the stdin text as received, before scrubbing and privacy, so the id does not
// change when those settings do. The id reveals nothing: it is a one-way hash of the whole input.
import { sha256Hex } from './sha256';

export const DEDUP_WINDOW_MS = 1000;

const ONCE_PER_CONVERSATION = new Set(['sessionStart', 'sessionEnd', 'SessionStart', 'SessionEnd']);
const ONCE_PER_GENERATION = new Set(['beforeSubmitPrompt', 'stop', 'UserPromptSubmit', 'Stop']);

export interface EventIdentity {
  hookType: string;
  conversationId: string;
  generationId: string;
  /** tool_use_id, or subagent_id / tool_call_id: the id of the one action this event is about. */
  actionId: string;
}

/** The ids this rule uses, read leniently (old camelCase names, missing or non-string values). */
export function identityOf(payload: Record<string, unknown> | undefined, hookType: string): EventIdentity {
  const p = payload ?? {};
  const pick = (...keys: string[]): string => {
    for (const k of keys) {
      const v = p[k];
      if (typeof v === 'string' && v !== '') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    }
    return '';
  };
  return {
    hookType,
    conversationId: pick('conversation_id', 'conversationId', 'session_id', 'sessionId'),
    generationId: pick('generation_id', 'generationId'),
    actionId: pick('tool_use_id', 'toolUseId', 'subagent_id', 'subagentId', 'tool_call_id', 'toolCallId'),
  };
}

function discriminator(id: EventIdentity, fireTimeMs: number): string {
  if (id.actionId) return `action:${id.actionId}`;
  if (ONCE_PER_CONVERSATION.has(id.hookType) && id.conversationId) return 'once:conversation';
  if (ONCE_PER_GENERATION.has(id.hookType) && id.generationId) return 'once:generation';
  return `second:${Math.floor(fireTimeMs / DEDUP_WINDOW_MS)}`;
}

/** A UUID-shaped (version 8) id from a sha256 digest. */
export function uuidFromDigest(hex: string): string {
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function deriveEventId(identity: EventIdentity, stdinText: string, fireTimeMs: number): string {
  const contentHash = sha256Hex(stdinText.trim());
  const key = ['bp-event-v1', identity.hookType, identity.conversationId, identity.generationId, discriminator(identity, fireTimeMs), contentHash].join('\u0000');
  return uuidFromDigest(sha256Hex(key));
}
