// The spool: one file per hook event in BLUEPLANE_HOME/spool, written by the shell hook
// (spoolHook.sh) or by the direct hook when Redis is unreachable, read by the SpoolForwarder.
// This module owns the file naming, so writers and the reader cannot drift apart.
//
//   final name: <fire time>-<pid>-<unique>.<event>.json
//   temp name:  .tmp-<same as final, without .json>      (renamed atomically when complete)
//
// The fire time is nanoseconds since the epoch (19 digits) where the writer has them (GNU date,
// Node), or seconds (10 digits) where it has not (macOS `date` has no %N); the forwarder then
// refines it with the file's mtime, which the writer set within the same millisecond.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const TEMP_PREFIX = '.tmp-';
const SPOOL_NAME = /^(\d{1,19})-(\d{1,10})-([A-Za-z0-9]{1,32})\.([A-Za-z0-9_]{1,64})\.json$/;
const EVENT_NAME = /^[A-Za-z0-9_]{1,64}$/;

export interface SpoolName {
  name: string;
  /** Fire time in ms, from the name alone (seconds precision for `secondsOnly` names). */
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

export function parseSpoolName(name: string): SpoolName | undefined {
  const m = SPOOL_NAME.exec(name);
  if (!m) return undefined;
  const digits = m[1];
  const secondsOnly = digits.length <= 10;
  // ns values exceed 2^53: cut the digits rather than divide a lossy Number.
  const fireTimeMs = secondsOnly ? Number(digits) * 1000 : Number(digits.slice(0, -6) || '0');
  return { name, fireTimeMs, secondsOnly, pid: Number(m[2]), event: m[4] };
}

/**
 * The fire time to use for a spool file: the name's, or, for a seconds-only name, the mtime when
 * it falls within that second (a copied or touched file keeps the name's second). Stable for a
 * given file, so the event_id derived from it is stable too.
 */
export function fireTimeOf(parsed: SpoolName, mtimeMs: number): number {
  // A writer without a working `date` names the file 0: the mtime is all there is.
  if (parsed.fireTimeMs === 0) return Math.floor(mtimeMs);
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
 * Write one event to the spool the way the shell hook does: owner-only folder and file, a temp
 * name first, then an atomic rename, so the forwarder never reads half a file. Throws on failure
 * (the caller decides how to report it).
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
