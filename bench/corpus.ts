// A corpus of realistic Cursor events for the benchmark: prompts, shell outputs, code edits,
// file reads, responses and the small lifecycle events, 1-20 KB of content each. Content is cut
// from real source and documentation files under node_modules (TypeScript, JavaScript, Markdown),
// so it compresses like real code and prose, not like repeated templates.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TelemetryEvent } from '../src/shared/event';
import { eventTypeForHook } from '../src/shared/eventTypes';

/** Deterministic PRNG (mulberry32) so runs are comparable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function collectTexts(root: string, exts: string[], limitBytes: number): string[] {
  const out: string[] = [];
  let total = 0;
  const walk = (dir: string, depth: number) => {
    if (total >= limitBytes || depth > 6) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (total >= limitBytes) return;
      const full = path.join(dir, name);
      let st;
      try {
        st = statSync(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(full, depth + 1);
      else if (exts.some((e) => name.endsWith(e)) && st.size > 2000 && st.size < 400_000 && !name.endsWith('.min.js')) {
        const text = readFileSync(full, 'utf8');
        out.push(text);
        total += text.length;
      }
    }
  };
  walk(root, 0);
  return out;
}

export interface Corpus {
  events: TelemetryEvent[];
  contentBytes: number;
}

const PROMPTS = [
  'Add a /health endpoint and a test for it',
  'Why does this test fail intermittently on CI? Fix it.',
  'Refactor the config loader so that invalid keys are reported by name',
  'Explain what this function does and add comments where it is unclear',
  'Migrate these callbacks to async/await and keep the behaviour the same',
];

export function buildCorpus(count: number, seed = 42): Corpus {
  const random = rng(seed);
  const nm = path.resolve(__dirname, '../node_modules');
  const code = collectTexts(nm, ['.ts', '.js', '.mjs'], 6_000_000);
  const docs = collectTexts(nm, ['.md'], 3_000_000);
  if (code.length === 0 || docs.length === 0) throw new Error('No node_modules texts found; run `npm ci` first.');
  // 1-20 KB, skewed small as real events are (log-uniform).
  const size = () => Math.round(Math.exp(Math.log(1000) + random() * (Math.log(20_000) - Math.log(1000))));
  const slice = (pool: string[], n: number) => {
    const text = pool[Math.floor(random() * pool.length)];
    const start = Math.floor(random() * Math.max(1, text.length - n));
    return text.slice(start, start + n);
  };
  const conversations = Array.from({ length: 20 }, () => randomUUID());
  const events: TelemetryEvent[] = [];
  let contentBytes = 0;
  const base = Date.parse('2026-11-30T09:00:00Z');
  for (let i = 0; i < count; i++) {
    const conversation = conversations[Math.floor(random() * conversations.length)];
    const common = {
      conversation_id: conversation,
      generation_id: randomUUID(),
      model: 'claude-4.5-sonnet',
      session_id: conversation,
      cursor_version: '3.18.25',
      workspace_roots: ['/home/dev/work/acme-api'],
      user_email: 'dev@example.com',
      transcript_path: null,
    };
    const r = random();
    let hook: string;
    let payload: Record<string, unknown>;
    const n = size();
    if (r < 0.1) {
      hook = 'beforeSubmitPrompt';
      const text = `${PROMPTS[Math.floor(random() * PROMPTS.length)]}\n\n${slice(docs, n)}`;
      payload = { ...common, prompt: text, attachments: [{ type: 'file', file_path: '/home/dev/work/acme-api/src/server.ts' }] };
    } else if (r < 0.35) {
      hook = 'afterShellExecution';
      const output = slice(random() < 0.5 ? docs : code, n);
      payload = { ...common, command: 'npm test -- --reporter=dot', output, duration: Math.round(random() * 20_000), sandbox: false };
    } else if (r < 0.6) {
      hook = 'afterFileEdit';
      const oldString = slice(code, Math.floor(n / 2));
      const lines = oldString.split('\n');
      const newString = lines.map((l, k) => (k % 7 === 3 ? `${l} // changed` : l)).concat(slice(code, 300).split('\n').slice(0, 4)).join('\n');
      payload = { ...common, file_path: `/home/dev/work/acme-api/src/module${i % 50}.ts`, edits: [{ old_string: oldString, new_string: newString }] };
    } else if (r < 0.75) {
      hook = 'beforeReadFile';
      payload = { ...common, file_path: `/home/dev/work/acme-api/src/file${i % 80}.ts`, content: slice(code, n), attachments: [] };
    } else if (r < 0.9) {
      hook = 'afterAgentResponse';
      payload = { ...common, text: slice(docs, n) };
    } else if (r < 0.95) {
      hook = 'postToolUse';
      payload = {
        ...common,
        tool_name: 'Read',
        tool_input: { file_path: '/home/dev/work/acme-api/src/server.ts' },
        tool_output: JSON.stringify({ file_path: '/home/dev/work/acme-api/src/server.ts', content_length: n }),
        duration: random() * 20,
        tool_use_id: randomUUID(),
        // Small tool events carry at least 1 KB: a realistic excerpt of what the tool returned.
        agent_message: slice(docs, Math.max(1000, Math.floor(n / 4))),
      };
    } else {
      hook = 'stop';
      payload = { ...common, status: 'completed', loop_count: 0, input_tokens: Math.round(random() * 2e6), output_tokens: Math.round(random() * 2e4), cache_read_tokens: Math.round(random() * 1e6), cache_write_tokens: 0, summary: slice(docs, 1000) };
    }
    payload.hook_event_name = hook;
    const event: TelemetryEvent = {
      event_id: randomUUID(),
      timestamp: new Date(base + i * 50).toISOString(),
      platform: 'cursor',
      hook_type: hook,
      event_type: eventTypeForHook(hook),
      session_id: conversation,
      payload,
      metadata: { workspace_hash: 'a1b2c3d4e5f60718', model: 'claude-4.5-sonnet', generation_id: payload.generation_id, cursor_version: '3.18.25' },
    };
    contentBytes += Buffer.byteLength(JSON.stringify(event));
    events.push(event);
  }
  return { events, contentBytes };
}
