import * as vscode from 'vscode';
import type { Config } from '../config/config';
import { type DeadLetter, getDeadLetter } from '../processing/fastPath/deadLetters';
import { withRedis } from './redisHandle';

/**
 * Shows one dead letter in full as a virtual JSON document. Virtual documents are read-only, so
 * the user can inspect (and copy) the original entry but cannot edit what `retry` would send.
 */
export class DeadLetterDocuments implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'blueplane-dlq';

  constructor(private readonly config: () => Config) {}

  static uri(stream: string, id: string): vscode.Uri {
    return vscode.Uri.from({ scheme: DeadLetterDocuments.scheme, path: `/${id}.json`, query: new URLSearchParams({ stream }).toString() });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const id = uri.path.replace(/^\//, '').replace(/\.json$/, '');
    const stream = new URLSearchParams(uri.query).get('stream') ?? this.config().streams.dlq;
    const letter = await withRedis(this.config(), 'blueplane-extension-dlq', (redis) => getDeadLetter(redis, stream, id));
    if (!letter) return JSON.stringify({ error: `No dead letter ${id} in ${stream}; it was retried or deleted meanwhile.` }, null, 2);
    return JSON.stringify(readable(letter), null, 2);
  }
}

/** The entry as stored, with its JSON-encoded fields (payload, metadata) decoded for reading. */
export function readable(letter: DeadLetter): unknown {
  const original: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(letter.originalFields ?? {})) {
    try {
      original[k] = (k === 'payload' || k === 'data' || k === 'metadata') && v.trim().startsWith('{') ? JSON.parse(v) : v;
    } catch {
      original[k] = v; // the bad JSON is usually why it is here: show it exactly as it came
    }
  }
  return { ...letter, originalFields: letter.originalFields ? original : null };
}
