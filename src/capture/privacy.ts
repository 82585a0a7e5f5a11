// Privacy modes (config `privacy.mode`), applied to a payload before it enters Redis
// (DESIGN.md invariant 9):
//   full      keep prompts, responses, code, commands and their output (after secret scrubbing);
//   metadata  replace every content field with its size and sha256, keep the structure, ids,
//             names, paths, counts, durations and token numbers.
// Dependency-free: the direct hook bundles this file.
import { workspaceHash } from './envelope';
import { sha256Hex } from './sha256';

export type PrivacyMode = 'full' | 'metadata';

export const PRIVACY_MODES: readonly PrivacyMode[] = ['full', 'metadata'];

export interface ContentDigest {
  redacted: 'metadata';
  /** UTF-8 bytes of the value (of its JSON text when it is not a string). */
  size: number;
  sha256: string;
}

// Field names whose values are content (what the user or the model wrote, read or ran), compared
// without case and underscores so the camelCase names of older Cursor builds match too.
const CONTENT_FIELDS = new Set(
  [
    'prompt',
    'text',
    'content',
    'output',
    'command',
    'old_string',
    'new_string',
    'old_line',
    'new_line',
    'tool_input',
    'tool_output',
    'result_json',
    'result',
    'task',
    'description',
    'summary',
    'agent_message',
    'user_message',
    'error_message',
    'followup_message',
    'additional_context',
    'raw_input',
    'user_email',
  ].map(normaliseKey),
);

function normaliseKey(key: string): string {
  return key.replace(/[_-]/g, '').toLowerCase();
}

export function isContentField(key: string): boolean {
  return CONTENT_FIELDS.has(normaliseKey(key));
}

export function digestOf(value: unknown): ContentDigest {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  const bytes = Buffer.from(text, 'utf8');
  return { redacted: 'metadata', size: bytes.length, sha256: sha256Hex(bytes) };
}

function keepMetadataOnly(value: unknown, hashRoots: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => keepMetadataOnly(v, hashRoots));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && v !== undefined && isContentField(key)) out[key] = digestOf(v);
    else if (hashRoots && (key === 'workspace_roots' || key === 'workspaceRoots') && Array.isArray(v)) {
      out[key] = v.map((root) => (typeof root === 'string' ? workspaceHash(root) : root));
    } else out[key] = keepMetadataOnly(v, hashRoots);
  }
  return out;
}

/**
 * The payload as the privacy mode allows it to be stored; a new object, the input is untouched.
 * In metadata mode workspace roots become their hashes too, unless hash_workspace_paths is off.
 */
export function applyPrivacyMode(payload: Record<string, unknown>, mode: PrivacyMode, hashWorkspacePaths = true): Record<string, unknown> {
  if (mode === 'full') return payload;
  return keepMetadataOnly(payload, hashWorkspacePaths) as Record<string, unknown>;
}
