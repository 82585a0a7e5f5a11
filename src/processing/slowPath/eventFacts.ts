import { createHash } from 'node:crypto';
import type { TelemetryEvent } from '../../shared/event';
import { workspaceHash } from '../../capture/envelope';
import { normaliseTimestamp } from '../database/fields';
import { countEditLines } from '../database/lineDiff';
import { num, str } from '../../shared/values';

/**
 * What the slow path keeps of one event (a row of `event_facts`). Decoding event_data is the
 * expensive step, so it happens once per event; every later step reads these columns.
 */
export interface EventFact {
  sequence: number;
  event_id: string;
  /** Cursor's conversation_id; '' for events that belong to no conversation (Tab, workspaceOpen). */
  conversation_id: string;
  /** One per user message; '' when the payload has none (IDE sessionStart/sessionEnd). */
  generation_id: string;
  /** The Cursor hook name; Claude Code names are mapped to the Cursor equivalent. */
  hook_type: string;
  event_type: string;
  platform: string;
  timestamp: string;
  event_date: string;
  workspace_hash: string | null;
  model: string | null;
  tool_name: string | null;
  /** tool_use_id, or subagent_id for subagent events: what ties the halves of one call. */
  call_id: string | null;
  /** The command, file path, MCP input or subagent task, to match hooks and to show. */
  subject: string | null;
  duration_ms: number | null;
  outcome: string | null;
  exit_code: number | null;
  is_error: boolean;
  content_hash: string | null;
  content_chars: number | null;
  attrs: Record<string, unknown> | null;
}

export interface CodeChange {
  event_id: string;
  file_path: string;
  source: 'agent' | 'tab';
  conversation_id: string | null;
  generation_id: string | null;
  workspace_hash: string | null;
  timestamp: string;
  edit_count: number;
  /** Null when the edit's text was not kept (privacy mode `metadata`): unknown, not zero. */
  lines_added: number | null;
  lines_removed: number | null;
}

export interface TokenReport {
  event_id: string;
  conversation_id: string;
  generation_id: string;
  hook_type: string;
  timestamp: string;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  /** False for a `stop` that carried no counts: kept so "no tokens" is counted, never guessed. */
  reported: boolean;
}

export interface DerivedFromEvent {
  fact: EventFact;
  codeChange?: CodeChange;
  tokens?: TokenReport;
}

const SUBJECT_MAX = 300;

// Claude Code hook names, mapped so one extraction handles both platforms.
const HOOK_ALIASES: Record<string, string> = {
  UserPromptSubmit: 'beforeSubmitPrompt',
  PreToolUse: 'preToolUse',
  PostToolUse: 'postToolUse',
  Stop: 'stop',
  SessionStart: 'sessionStart',
  SessionEnd: 'sessionEnd',
  SubagentStop: 'subagentStop',
  PreCompact: 'preCompact',
};

export const TAB_HOOKS = new Set(['beforeTabFileRead', 'afterTabFileEdit']);


function int(value: unknown): number | null {
  const n = num(value);
  return n === null ? null : Math.round(n);
}

function clip(text: string | null): string | null {
  if (text === null) return null;
  const oneLine = text.length > SUBJECT_MAX ? `${text.slice(0, SUBJECT_MAX - 1)}…` : text;
  return oneLine;
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // tool outputs are free text as often as JSON; "not JSON" is an answer
  }
}

/**
 * In privacy mode `metadata`, content fields arrive as `{redacted: 'metadata', size, sha256}`
 * (src/capture/privacy.ts): the text is gone, its size and hash are kept.
 */
interface ContentDigest {
  redacted: 'metadata';
  size: number;
  sha256: string;
}

function digestOf(value: unknown): ContentDigest | undefined {
  const o = value as Partial<ContentDigest> | null;
  return typeof o === 'object' && o !== null && o.redacted === 'metadata' && typeof o.sha256 === 'string' ? (o as ContentDigest) : undefined;
}

/** True when any edit's strings were replaced by digests: its line counts cannot be known. */
function editsRedacted(edits: unknown): boolean {
  if (!Array.isArray(edits)) return false;
  return edits.some((e) => typeof e === 'object' && e !== null && Object.values(e as Record<string, unknown>).some((v) => digestOf(v) !== undefined));
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** `MCP:<tool>` for MCP hooks (whose tool_name is the bare tool), the tool name otherwise. */
function mcpToolName(p: Record<string, unknown>): string {
  const name = str(p.tool_name) ?? 'unknown';
  return name.startsWith('MCP:') ? name : `MCP:${name}`;
}

/** What a tool call is about, in one line: the command, the file, the MCP input, the task. */
export function toolSubject(toolName: string | null, toolInput: unknown): string | null {
  if (typeof toolInput === 'string') return clip(toolInput);
  if (digestOf(toolInput)) return null; // redacted: what the call was about is not known

  const input = asObject(toolInput);
  if (toolName === 'Shell' || toolName === 'Bash') return clip(str(input.command));
  const path = str(input.file_path) ?? str(input.path) ?? str(input.target_file) ?? str(input.filePath);
  if (path) return clip(path);
  if (toolName === 'Grep' || toolName === 'Glob') return clip(str(input.pattern) ?? str(input.query));
  if (toolName === 'Task') return clip(str(input.description) ?? str(input.prompt));
  if (Object.keys(input).length === 0) return null;
  return clip(JSON.stringify(input));
}

/** Exit code from a Shell tool_output (`{"output","exitCode"}`, a JSON string). */
function exitCodeOf(toolOutput: unknown): number | null {
  const out = asObject(parseJson(toolOutput));
  return int(out.exitCode ?? out.exit_code);
}

function tokensOf(p: Record<string, unknown>): Omit<TokenReport, 'event_id' | 'conversation_id' | 'generation_id' | 'hook_type' | 'timestamp' | 'model' | 'reported'> | undefined {
  const counts = {
    input_tokens: int(p.input_tokens ?? p.inputTokens),
    output_tokens: int(p.output_tokens ?? p.outputTokens),
    cache_read_tokens: int(p.cache_read_tokens ?? p.cacheReadTokens),
    cache_write_tokens: int(p.cache_write_tokens ?? p.cacheWriteTokens),
  };
  return Object.values(counts).some((v) => v !== null) ? counts : undefined;
}

function textFact(text: unknown): Pick<EventFact, 'content_hash' | 'content_chars'> {
  if (typeof text === 'string') return { content_hash: contentHash(text), content_chars: text.length };
  // A redacted text still has its hash and size (bytes rather than characters).
  const digest = digestOf(text);
  return digest ? { content_hash: digest.sha256.slice(0, 16), content_chars: digest.size } : { content_hash: null, content_chars: null };
}

/**
 * Derive the fact (and the code change and token report it carries, if any) from one stored
 * event. Pure: the same event always gives the same rows, which is what makes replays and
 * rebuilds agree. `storedLines` are the edit's line counts as raw_traces holds them.
 */
export function deriveFromEvent(event: TelemetryEvent, sequence: number, storedLines?: { added: number; removed: number }): DerivedFromEvent {
  const p = event.payload ?? {};
  const m = event.metadata ?? {};
  const hook = HOOK_ALIASES[event.hook_type] ?? event.hook_type;
  const timestamp = normaliseTimestamp(event.timestamp);
  const isTab = TAB_HOOKS.has(hook);
  const roots = Array.isArray(p.workspace_roots) ? p.workspace_roots : [];
  const fact: EventFact = {
    sequence,
    event_id: event.event_id,
    // Tab hooks carry empty ids at best: Tab work belongs to no agent conversation.
    conversation_id: isTab || hook === 'workspaceOpen' ? '' : (str(event.session_id) ?? str(p.conversation_id) ?? str(p.session_id) ?? ''),
    generation_id: str(p.generation_id) ?? str(m.generation_id) ?? '',
    hook_type: hook,
    event_type: event.event_type,
    platform: event.platform,
    timestamp,
    event_date: timestamp.slice(0, 10),
    workspace_hash: str(m.workspace_hash) ?? (typeof roots[0] === 'string' ? workspaceHash(roots[0]) : null),
    // `model` is on every event; model_id only on some, and mixing the two would list one model twice.
    model: str(p.model) ?? str(p.model_id) ?? str(m.model),
    tool_name: null,
    call_id: null,
    subject: null,
    duration_ms: null,
    outcome: null,
    exit_code: null,
    is_error: false,
    content_hash: null,
    content_chars: null,
    attrs: null,
  };
  if (isTab) fact.generation_id = '';
  const derived: DerivedFromEvent = { fact };

  switch (hook) {
    case 'preToolUse':
    case 'postToolUse':
    case 'postToolUseFailure': {
      fact.tool_name = str(p.tool_name);
      fact.call_id = str(p.tool_use_id);
      fact.subject = toolSubject(fact.tool_name, p.tool_input);
      if (hook === 'preToolUse') break;
      fact.duration_ms = num(p.duration) ?? num(p.duration_ms);
      if (hook === 'postToolUse') {
        fact.exit_code = fact.tool_name === 'Shell' ? exitCodeOf(p.tool_output) : null;
        fact.outcome = fact.exit_code !== null && fact.exit_code !== 0 ? 'error' : 'ok';
        fact.is_error = fact.outcome === 'error';
      } else {
        const failure = str(p.failure_type) ?? 'error';
        fact.outcome = p.is_interrupt === true ? 'interrupted' : failure;
        fact.is_error = fact.outcome === 'error' || fact.outcome === 'timeout';
        fact.attrs = { error_message: clip(str(p.error_message)) };
      }
      break;
    }
    case 'beforeShellExecution':
    case 'afterShellExecution': {
      fact.tool_name = 'Shell';
      fact.subject = clip(str(p.command));
      if (hook === 'afterShellExecution') {
        fact.duration_ms = num(p.duration) ?? num(p.duration_ms);
        fact.exit_code = int(p.exit_code ?? p.exitCode);
        fact.outcome = fact.exit_code !== null && fact.exit_code !== 0 ? 'error' : 'ok';
        fact.is_error = fact.outcome === 'error';
        if (typeof p.output === 'string') fact.content_chars = p.output.length;
      }
      break;
    }
    case 'beforeMCPExecution':
    case 'afterMCPExecution': {
      fact.tool_name = mcpToolName(p);
      fact.subject = toolSubject(fact.tool_name, p.tool_input);
      if (hook === 'afterMCPExecution') {
        fact.duration_ms = num(p.duration) ?? num(p.duration_ms);
        // MCP results report tool errors in-band: {"isError": true, ...}.
        fact.outcome = asObject(parseJson(p.result_json)).isError === true ? 'error' : 'ok';
        fact.is_error = fact.outcome === 'error';
      }
      break;
    }
    case 'beforeReadFile':
    case 'beforeTabFileRead': {
      fact.tool_name = hook === 'beforeReadFile' ? 'Read' : 'TabRead';
      fact.subject = clip(str(p.file_path));
      if (typeof p.content === 'string') fact.content_chars = p.content.length;
      break;
    }
    case 'afterFileEdit':
    case 'afterTabFileEdit': {
      fact.tool_name = hook === 'afterFileEdit' ? 'Write' : 'TabWrite';
      fact.subject = clip(str(p.file_path));
      const filePath = str(p.file_path);
      // The fast path counted them already (raw_traces.lines_*); a line diff is not free. Redacted
      // edits have no text to count: their lines are unknown, not zero.
      const lines = editsRedacted(p.edits) ? null : (storedLines ?? countEditLines(p.edits));
      if (filePath) {
        derived.codeChange = {
          event_id: event.event_id,
          file_path: filePath,
          source: isTab ? 'tab' : 'agent',
          conversation_id: isTab ? null : fact.conversation_id || null,
          generation_id: isTab ? null : fact.generation_id,
          workspace_hash: fact.workspace_hash,
          timestamp,
          edit_count: Array.isArray(p.edits) ? p.edits.length : 0,
          lines_added: lines ? lines.added : null,
          lines_removed: lines ? lines.removed : null,
        };
      }
      break;
    }
    case 'beforeSubmitPrompt': {
      Object.assign(fact, textFact(p.prompt));
      const attachments = Array.isArray(p.attachments) ? p.attachments.length : 0;
      fact.attrs = { attachments, composer_mode: str(p.composer_mode) };
      break;
    }
    case 'afterAgentResponse':
      Object.assign(fact, textFact(p.text));
      break;
    case 'afterAgentThought':
      Object.assign(fact, textFact(p.text));
      fact.duration_ms = num(p.duration_ms);
      break;
    case 'stop': {
      fact.outcome = str(p.status);
      fact.is_error = fact.outcome === 'error';
      fact.attrs = { loop_count: int(p.loop_count) };
      break;
    }
    case 'sessionStart':
      fact.attrs = { composer_mode: str(p.composer_mode), is_background_agent: p.is_background_agent === true };
      break;
    case 'sessionEnd': {
      fact.outcome = str(p.reason);
      fact.duration_ms = num(p.duration_ms);
      fact.is_error = fact.outcome === 'error' || p.final_status === 'error';
      fact.attrs = { final_status: str(p.final_status), error_message: clip(str(p.error_message)) };
      break;
    }
    case 'subagentStart':
    case 'subagentStop': {
      fact.tool_name = 'Task';
      fact.call_id = str(p.subagent_id) ?? str(p.tool_call_id);
      fact.subject = clip(str(p.task) ?? str(p.description) ?? str(p.prompt));
      const attrs: Record<string, unknown> = {
        subagent_type: str(p.subagent_type),
        parent_conversation_id: str(p.parent_conversation_id),
      };
      if (hook === 'subagentStart') {
        attrs.subagent_model = str(p.subagent_model) ?? str(p.model);
        attrs.is_parallel_worker = p.is_parallel_worker === true;
      } else {
        fact.duration_ms = num(p.duration_ms) ?? num(p.duration);
        const status = str(p.status);
        fact.outcome = status === 'completed' ? 'ok' : status;
        fact.is_error = status === 'error';
        attrs.tool_call_count = int(p.tool_call_count);
        attrs.modified_files = Array.isArray(p.modified_files) ? p.modified_files.length : null;
      }
      fact.attrs = attrs;
      break;
    }
    case 'preCompact':
      fact.attrs = { trigger: str(p.trigger), context_tokens: int(p.context_tokens), context_usage_percent: num(p.context_usage_percent) };
      break;
    default:
      break;
  }

  const tokens = tokensOf(p);
  // A stop always gets a ledger row: one without counts is how "no tokens reported" is counted.
  if (tokens || hook === 'stop') {
    derived.tokens = {
      event_id: event.event_id,
      conversation_id: fact.conversation_id,
      generation_id: fact.generation_id,
      hook_type: hook,
      timestamp,
      model: fact.model,
      input_tokens: tokens?.input_tokens ?? null,
      output_tokens: tokens?.output_tokens ?? null,
      cache_read_tokens: tokens?.cache_read_tokens ?? null,
      cache_write_tokens: tokens?.cache_write_tokens ?? null,
      reported: tokens !== undefined,
    };
  }
  return derived;
}
