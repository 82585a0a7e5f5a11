// Cursor's hooks.json (reference/cursor-hooks.md §1.2), merged with the user's own hooks: pure
// functions over the parsed document, so the rules are tested without touching a file.
//
// Rules: our entries are recognised by the script names in their command (so a moved
// BLUEPLANE_HOME is still recognised); the user's entries are never removed, changed or
// reordered; an existing entry of ours is replaced where it stands, a new one appended; only
// known event names are written (an unknown one may make Cursor reject the whole file); `version`
// is always present (a file without it has been rejected, §1.2 loader quirks).

export const OWN_SCRIPT_NAMES = ['blueplane-spool-hook.sh', 'blueplane-hook.js', 'blueplane-hook.cmd'] as const;

export interface HookEntry {
  command: string;
  timeout?: number;
  [key: string]: unknown;
}

export type HooksDocument = Record<string, unknown> & { version?: unknown; hooks?: Record<string, unknown> };

/** hooks.json cannot be used as it is; the file is left untouched and the message says what to fix. */
export class HooksFileError extends Error {
  override name = 'HooksFileError';
}

export function isOwnEntry(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const command = (entry as { command?: unknown }).command;
  return typeof command === 'string' && OWN_SCRIPT_NAMES.some((name) => command.includes(name));
}

/** Which mode an entry of ours runs in. */
export function entryMode(entry: unknown): 'spool' | 'direct' | undefined {
  if (!isOwnEntry(entry)) return undefined;
  return (entry as HookEntry).command.includes('blueplane-spool-hook.sh') ? 'spool' : 'direct';
}

export function parseHooksDocument(text: string, file: string): HooksDocument {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new HooksFileError(`${file} is not valid JSON (${(err as Error).message}); it was left untouched, fix or move it and run the command again.`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new HooksFileError(`${file} must hold a JSON object with "version" and "hooks"; it was left untouched, fix or move it and run the command again.`);
  }
  const hooks = (doc as HooksDocument).hooks;
  if (hooks !== undefined && (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks))) {
    throw new HooksFileError(`"hooks" in ${file} must be an object of event names; it was left untouched, fix it and run the command again.`);
  }
  return doc as HooksDocument;
}

function checkEventList(doc: HooksDocument, event: string, file: string): unknown[] {
  const list = doc.hooks?.[event];
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new HooksFileError(`"hooks.${event}" in ${file} must be a list of hooks; it was left untouched, fix it and run the command again.`);
  }
  return list;
}

/** Throws HooksFileError unless each of `events` is absent or a list (checked before anything is written). */
export function checkEventLists(doc: HooksDocument, events: readonly string[], file: string): void {
  for (const event of events) checkEventList(doc, event, file);
}

/** The document with `version` first when it was missing, everything else in its order. */
function withVersion(doc: HooksDocument): HooksDocument {
  return doc.version === undefined ? { version: 1, ...doc } : { ...doc };
}

/** Add or update our entry for each event in `desired`; the user's entries stay as they are. */
export function mergeOwnHooks(doc: HooksDocument, desired: Record<string, HookEntry>, file: string): HooksDocument {
  const out = withVersion(doc);
  const hooks: Record<string, unknown> = { ...(doc.hooks ?? {}) };
  for (const [event, entry] of Object.entries(desired)) {
    const list = checkEventList(doc, event, file);
    const firstOwn = list.findIndex(isOwnEntry);
    if (firstOwn < 0) {
      hooks[event] = [...list, entry];
      continue;
    }
    // Keep our first entry's place; drop extra copies of ours (from an older install).
    hooks[event] = list.flatMap((item, i) => (i === firstOwn ? [entry] : isOwnEntry(item) ? [] : [item]));
  }
  out.hooks = hooks;
  return out;
}

/** Remove our entries; an event list left empty by that goes too. */
export function removeOwnHooks(doc: HooksDocument): { doc: HooksDocument; removed: string[] } {
  if (!doc.hooks) return { doc, removed: [] };
  const hooks: Record<string, unknown> = {};
  const removed: string[] = [];
  for (const [event, list] of Object.entries(doc.hooks)) {
    if (!Array.isArray(list) || !list.some(isOwnEntry)) {
      hooks[event] = list;
      continue;
    }
    const kept = list.filter((item) => !isOwnEntry(item));
    removed.push(event);
    if (kept.length > 0) hooks[event] = kept;
  }
  return { doc: { ...doc, hooks }, removed };
}

/** Our entry per event, where there is one. */
export function ownEntries(doc: HooksDocument): Record<string, HookEntry> {
  const out: Record<string, HookEntry> = {};
  for (const [event, list] of Object.entries(doc.hooks ?? {})) {
    if (!Array.isArray(list)) continue;
    const own = list.find(isOwnEntry);
    if (own) out[event] = own as HookEntry;
  }
  return out;
}

/** Entries that are not ours (the user's own hooks), counted for `hooks status`. */
export function foreignEntryCount(doc: HooksDocument): number {
  let n = 0;
  for (const list of Object.values(doc.hooks ?? {})) if (Array.isArray(list)) n += list.filter((e) => !isOwnEntry(e)).length;
  return n;
}

export function serialiseHooksDocument(doc: HooksDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
