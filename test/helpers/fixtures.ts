// The hook payloads of reference/cursor-hooks.md §5, parsed from the shared reference at test time
// so the tests follow the reference rather than a copy of it.
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';

const REFERENCE = path.resolve(__dirname, '../../../shared/reference/cursor-hooks.md');

export function cursorFixtures(): Array<Record<string, unknown> & { hook_event_name: string }> {
  if (!existsSync(REFERENCE)) throw new Error(`Reference file ${REFERENCE} not found; tests expect ../shared next to the checkout.`);
  const text = readFileSync(REFERENCE, 'utf8');
  const section = text.slice(text.indexOf('## 5. Fixtures'));
  const blocks = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]));
  return blocks;
}
