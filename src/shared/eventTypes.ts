// The event taxonomy shared by capture, the fast path and the slow path
// (reference/wire-format.md §1 and §3, reference/cursor-hooks.md §2).

export type EventType =
  | 'user_prompt'
  | 'assistant_response'
  | 'assistant_thought'
  | 'mcp_execution'
  | 'shell_execution'
  | 'file_edit'
  | 'file_read'
  | 'tool_use'
  | 'subagent'
  | 'session_start'
  | 'session_end'
  | 'agent_stop'
  | 'context_compact'
  | 'workspace_open'
  | 'acceptance_decision'
  | 'database_trace'
  | 'transcript_trace'
  | 'error'
  | 'probe'
  | 'unknown';

const HOOK_TO_TYPE: Record<string, EventType> = {
  beforeSubmitPrompt: 'user_prompt',
  afterAgentResponse: 'assistant_response',
  afterAgentThought: 'assistant_thought',
  beforeMCPExecution: 'mcp_execution',
  afterMCPExecution: 'mcp_execution',
  beforeShellExecution: 'shell_execution',
  afterShellExecution: 'shell_execution',
  afterFileEdit: 'file_edit',
  afterTabFileEdit: 'file_edit',
  beforeReadFile: 'file_read',
  beforeTabFileRead: 'file_read',
  preToolUse: 'tool_use',
  postToolUse: 'tool_use',
  postToolUseFailure: 'tool_use',
  subagentStart: 'subagent',
  subagentStop: 'subagent',
  sessionStart: 'session_start',
  sessionEnd: 'session_end',
  // `stop` ends one agent loop (a completion), not the conversation; the original called it
  // session_end, which made every prompt look like a new session. Rows written by older
  // producers with event_type=session_end for `stop` stay readable: hook_type tells them apart.
  stop: 'agent_stop',
  preCompact: 'context_compact',
  workspaceOpen: 'workspace_open',
  // Claude Code names, so entries from its hooks are typed too.
  UserPromptSubmit: 'user_prompt',
  PreToolUse: 'tool_use',
  PostToolUse: 'tool_use',
  SessionStart: 'session_start',
  SessionEnd: 'session_end',
  Stop: 'agent_stop',
  SubagentStop: 'subagent',
  PreCompact: 'context_compact',
};

const KNOWN_TYPES = new Set<string>([...Object.values(HOOK_TO_TYPE), 'acceptance_decision', 'database_trace', 'transcript_trace', 'error', 'probe', 'unknown']);

/** Normalised type for a hook name; never throws, unknown hooks are kept as `unknown`. */
export function eventTypeForHook(hookType: string | undefined): EventType {
  if (!hookType) return 'unknown';
  return HOOK_TO_TYPE[hookType] ?? 'unknown';
}

export function isKnownEventType(value: string): value is EventType {
  return KNOWN_TYPES.has(value);
}

/** The Cursor hook events we install (only documented names: an unknown one may make Cursor reject hooks.json). */
export const CURSOR_HOOK_EVENTS = [
  'sessionStart',
  'sessionEnd',
  'beforeSubmitPrompt',
  'preToolUse',
  'postToolUse',
  'postToolUseFailure',
  'subagentStart',
  'subagentStop',
  'beforeShellExecution',
  'afterShellExecution',
  'beforeMCPExecution',
  'afterMCPExecution',
  'beforeReadFile',
  'afterFileEdit',
  'afterAgentResponse',
  'afterAgentThought',
  'preCompact',
  'stop',
  'beforeTabFileRead',
  'afterTabFileEdit',
  'workspaceOpen',
] as const;

export type CursorHookEvent = (typeof CURSOR_HOOK_EVENTS)[number];

const PERMISSION_HOOKS = new Set(['preToolUse', 'beforeShellExecution', 'beforeMCPExecution', 'beforeReadFile', 'beforeTabFileRead', 'subagentStart']);

/**
 * The answer a capture-only hook prints so that Cursor lets the action go on. Permission hooks
 * that print nothing or non-JSON get the action blocked (reference/cursor-hooks.md §4).
 */
export function allowAnswer(hookType: string): string {
  if (PERMISSION_HOOKS.has(hookType)) return '{"permission":"allow"}';
  if (hookType === 'beforeSubmitPrompt') return '{"continue":true}';
  return '{}';
}

/** CDC priority: 1 most urgent for workers, 5 least (plan Step 2.4, wire-format.md §3). */
export function priorityFor(eventType: string): number {
  switch (eventType) {
    case 'user_prompt':
    case 'acceptance_decision':
      return 1;
    case 'tool_use':
    case 'mcp_execution':
    case 'shell_execution':
    case 'file_edit':
    case 'file_read':
    case 'assistant_response':
    case 'agent_stop':
    case 'subagent':
      return 2;
    case 'assistant_thought':
    case 'context_compact':
      return 3;
    case 'session_start':
    case 'session_end':
      return 4;
    default:
      return 5;
  }
}
