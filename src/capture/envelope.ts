// The wire-format envelope (reference/wire-format.md §1) around one Cursor hook payload. Pure:
// no I/O, no clock, so the spool forwarder and the direct hook build the same event from the
// same input. Lenient about what Cursor has varied over its versions (reference/cursor-hooks.md
// §2-§3): camelCase names of 1.7, missing ids, missing hook_event_name, non-object input.
import type { TelemetryEvent } from '../shared/event';
import { eventTypeForHook } from '../shared/eventTypes';
import { sha256Hex } from './sha256';

export type CaptureRoute = 'spool' | 'direct';

export interface EnvelopeInput {
  /** The hook's stdin as parsed JSON; anything but an object is wrapped as `{ raw_input }`. */
  payload: unknown;
  /** The event name the hook was installed for (its first argument). */
  hookArg: string;
  fireTimeMs: number;
  eventId: string;
  route: CaptureRoute;
  /** privacy.hash_workspace_paths: when false the raw workspace root is kept in metadata too. */
  hashWorkspacePaths: boolean;
}

/** sha256 of a workspace root, first 16 hex characters (the raw_traces.workspace_hash column). */
export function workspaceHash(root: string): string {
  return sha256Hex(root).slice(0, 16);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The hook's payload as an object: non-objects (arrays, strings, numbers, null) are wrapped. */
export function payloadObject(payload: unknown): Record<string, unknown> {
  return isPlainObject(payload) ? payload : { raw_input: payload };
}

function firstString(p: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const v = p[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** The hook name: what Cursor says in the payload, else what we were installed for. */
export function hookTypeOf(payload: Record<string, unknown>, hookArg: string): string {
  return firstString(payload, 'hook_event_name', 'hookEventName') ?? (hookArg || 'unknown');
}

/** Cursor's conversation id; `session_id` (equal to it on agent events) where it is missing. */
export function sessionIdOf(payload: Record<string, unknown>): string {
  return firstString(payload, 'conversation_id', 'conversationId', 'session_id', 'sessionId') ?? '';
}

export function buildEnvelope(input: EnvelopeInput): TelemetryEvent {
  const payload = payloadObject(input.payload);
  const hookType = hookTypeOf(payload, input.hookArg);
  const rootsValue = payload.workspace_roots ?? payload.workspaceRoots;
  const roots = Array.isArray(rootsValue) ? rootsValue.filter((r): r is string => typeof r === 'string' && r !== '') : [];

  const metadata: Record<string, unknown> = { capture: input.route };
  const put = (key: string, value: unknown) => {
    if (value !== undefined && value !== '') metadata[key] = value;
  };
  if (roots.length > 0) {
    put('workspace_hash', workspaceHash(roots[0]));
    if (!input.hashWorkspacePaths) put('workspace_root', roots[0]);
  }
  put('model', firstString(payload, 'model', 'model_id', 'modelId', 'subagent_model'));
  put('generation_id', firstString(payload, 'generation_id', 'generationId'));
  put('cursor_version', firstString(payload, 'cursor_version', 'cursorVersion'));
  put('tool_name', firstString(payload, 'tool_name', 'toolName'));
  put('tool_use_id', firstString(payload, 'tool_use_id', 'toolUseId'));
  put('composer_mode', firstString(payload, 'composer_mode', 'composerMode'));
  put('parent_conversation_id', firstString(payload, 'parent_conversation_id', 'parentConversationId'));
  if (typeof payload.is_background_agent === 'boolean') put('is_background_agent', payload.is_background_agent);
  // The hook was installed for one event but Cursor says another: keep both, the payload wins.
  if (input.hookArg && input.hookArg !== hookType) put('hook_arg', input.hookArg);

  return {
    event_id: input.eventId,
    timestamp: new Date(input.fireTimeMs).toISOString(),
    platform: 'cursor',
    hook_type: hookType,
    event_type: eventTypeForHook(hookType),
    session_id: sessionIdOf(payload),
    payload,
    metadata,
  };
}
