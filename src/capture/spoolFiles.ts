// The spool: one file per hook event in BLUEPLANE_HOME/spool, written by the shell hook
// (spoolHook.sh) or by the direct hook when Redis is unreachable, read by the SpoolForwarder.
// This module owns the file naming, so writers and the reader cannot drift apart. Two formats:
//
// Marked (the shell hook): no `date` or `mv`, because each process start costs the agent
// milliseconds on every event.
//   data:   s<pid>-<n>.<event>.json    claimed empty with O_EXCL (noclobber), then filled by cat;
//                                      n counts up past names a reused pid left in the spool
//   marker: s<pid>-<n>.<event>.ready   empty, made once the data is complete
// The fire time is the data file's mtime: cat's last write, a few milliseconds after the hook
// fired, in steps of the kernel's timestamp tick (4 ms on the Linux this was measured on). A data
// file with no marker, or with a marker older than itself (left by an earlier event under the
// same name), is still being written or its hook died: the forwarder leaves it for
// STALE_TEMP_MS, then forwards it as it is. Delete the marker first, then the data.
//
// Renamed (the direct hook, and shell hooks of earlier versions, whose files must still be
// forwarded after an upgrade):
//   final name: <fire time>-<pid>-<unique>.<event>.json
//   temp name:  .tmp-<same as final, without .json>      (renamed atomically when complete)
// The fire time is nanoseconds since the epoch (19 digits) where the writer has them (GNU date,
// Node), or seconds (10 digits) where it has not (macOS `date` has no %N); the forwarder then
// refines it with the file's mtime, which the writer set within the same millisecond.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const TEMP_PREFIX = '.tmp-';
/**
 * A writer that has not finished after this long was killed or crashed (hooks time out after
 * their hooks.json timeout, 10 s at most): its temp file is removed, its marker-less data file
 * forwarded as it is.
 */
export const STALE_TEMP_MS = 60_000;
const SPOOL_NAME = /^(\d{1,19})-(\d{1,10})-([A-Za-z0-9]{1,32})\.([A-Za-z0-9_]{1,64})\.json$/;
const MARKED_NAME = /^s(\d{1,10})-(\d{1,6})\.([A-Za-z0-9_]{1,64})\.(json|ready)$/;
const EVENT_NAME = /^[A-Za-z0-9_]{1,64}$/;

export interface SpoolName {
  name: string;
  /** `marked`: the shell hook's data file, complete once `marker` is newer; `renamed`: complete as soon as it has this name. */
  format: 'marked' | 'renamed';
  /** Marked files: the marker's name. */
  marker?: string;
  /** Fire time in ms, from the name alone (seconds precision for `secondsOnly` names; 0 for marked names, whose fire time is the mtime). */
  fireTimeMs: number;
  /** The writer only knew whole seconds; refine with the file's mtime. */
  secondsOnly: boolean;
  pid: number;
  /** The event name the hook was installed for (its first argument). */
  event: string;
}

/** The event name as it may appear in a file name: anything else becomes `unknown`. */
export function safeEventName(event: string | undefined): string {
  return event && EVENT_NAME.test(event) ? event : 'unknown';
}

/** A spool data file's name (either format), or undefined for markers, temp files and strays. */
export function parseSpoolName(name: string): SpoolName | undefined {
  const marked = MARKED_NAME.exec(name);
  if (marked) {
    if (marked[4] !== 'json') return undefined;
    return { name, format: 'marked', marker: `${name.slice(0, -'json'.length)}ready`, fireTimeMs: 0, secondsOnly: false, pid: Number(marked[1]), event: marked[3] };
  }
  const m = SPOOL_NAME.exec(name);
  if (!m) return undefined;
  const digits = m[1];
  const secondsOnly = digits.length <= 10;
  // ns values exceed 2^53: cut the digits rather than divide a lossy Number.
  const fireTimeMs = secondsOnly ? Number(digits) * 1000 : Number(digits.slice(0, -6) || '0');
  return { name, format: 'renamed', fireTimeMs, secondsOnly, pid: Number(m[2]), event: m[4] };
}

/** For a marker (`s<pid>-<n>.<event>.ready`), the name of the data file it marks complete. */
export function parseSpoolMarker(name: string): string | undefined {
  const m = MARKED_NAME.exec(name);
  return m && m[4] === 'ready' ? `${name.slice(0, -'ready'.length)}json` : undefined;
}

/**
 * A marked data file is complete once its marker is at least as new as the data: a marker older
 * than the data was left by an earlier event under the same name (a reused pid), and the hook
 * refreshes it when it has written everything.
 */
export function markerCommits(markerMtimeMs: number, dataMtimeMs: number): boolean {
  return markerMtimeMs >= dataMtimeMs;
}

/**
 * The fire time to use for a spool file: the mtime for marked files; for renamed files the
 * name's, or, for a seconds-only name, the mtime when it falls within that second (a copied or
 * touched file keeps the name's second). Stable for a given file (a complete file is never
 * written again), so the event_id derived from it is stable too.
 */
export function fireTimeOf(parsed: SpoolName, mtimeMs: number): number {
  // Marked files, and renamed ones whose writer had no working `date` (named 0): the mtime is all there is.
  if (parsed.format === 'marked' || parsed.fireTimeMs === 0) return Math.floor(mtimeMs);
  if (!parsed.secondsOnly) return parsed.fireTimeMs;
  const ms = Math.floor(mtimeMs);
  return ms >= parsed.fireTimeMs && ms < parsed.fireTimeMs + 1000 ? ms : parsed.fireTimeMs;
}

let written = 0;

/**
 * A name no other writer uses: the pid keeps processes apart, the counter and random part keep one
 * process's files apart (uniqueness only, not secrecy, so Math.random and no node:crypto to load).
 */
export function spoolFileName(fireTimeMs: number, event: string, pid = process.pid, unique = `${(written++).toString(36)}x${Math.floor(Math.random() * 0xffffff).toString(36)}`): string {
  const ns = `${Math.floor(fireTimeMs)}000000`;
  return `${ns}-${pid}-${unique}.${safeEventName(event)}.json`;
}

/**
 * Write one event to the spool in the renamed format: owner-only folder and file, a temp name
 * first, then an atomic rename, so the forwarder never reads half a file (renaming costs Node no
 * process start, so it needs no marker). Throws on failure (the caller decides how to report it).
 */
export function writeSpoolFile(spoolDir: string, event: string, fireTimeMs: number, content: string | Buffer): string {
  mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
  const name = spoolFileName(fireTimeMs, event);
  const temp = path.join(spoolDir, TEMP_PREFIX + name.slice(0, -'.json'.length));
  const final = path.join(spoolDir, name);
  writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(temp, final);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  return final;
}
