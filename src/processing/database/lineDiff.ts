import { diffLines } from 'diff';

export interface LineCounts {
  added: number;
  removed: number;
}

// Beyond this many differing lines Myers' algorithm gets expensive; an edit that large is a
// rewrite, and counting every old line removed and every new line added is what git shows too.
const MAX_EDIT_LENGTH = 2000;

function lineCount(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/** An edit's strings are fragments: a missing final newline is not a change, so both get one. */
function asLines(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Lines added and removed between two texts, counted as `git diff --numstat` counts them: a
 * line-level Myers diff (jsdiff, the same algorithm git uses by default).
 */
export function countLineChanges(oldText: string, newText: string): LineCounts {
  if (oldText === newText) return { added: 0, removed: 0 };
  const changes = diffLines(asLines(oldText), asLines(newText), { maxEditLength: MAX_EDIT_LENGTH });
  if (!changes) return { added: lineCount(newText), removed: lineCount(oldText) };
  let added = 0;
  let removed = 0;
  for (const change of changes) {
    if (change.added) added += change.count ?? 0;
    else if (change.removed) removed += change.count ?? 0;
  }
  return { added, removed };
}

/** Sum over an edit list as Cursor sends it (`edits: [{old_string, new_string}]`). */
export function countEditLines(edits: unknown): LineCounts | undefined {
  if (!Array.isArray(edits)) return undefined;
  const total = { added: 0, removed: 0 };
  for (const edit of edits) {
    if (typeof edit !== 'object' || edit === null) continue;
    const e = edit as Record<string, unknown>;
    const oldText = typeof e.old_string === 'string' ? e.old_string : typeof e.oldString === 'string' ? e.oldString : '';
    const newText = typeof e.new_string === 'string' ? e.new_string : typeof e.newString === 'string' ? e.newString : '';
    const counts = countLineChanges(oldText, newText);
    total.added += counts.added;
    total.removed += counts.removed;
  }
  return total;
}
