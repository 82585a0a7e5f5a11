// Installs the capture hooks: copies the scripts to a stable place under BLUEPLANE_HOME/hooks
// (it survives extension upgrades, and Cursor's commands point at it), writes hook-settings.json
// for the direct hook, and merges our entries into Cursor's hooks.json (user: ~/.cursor, or a
// project's .cursor). Plain functions, used by `blueplane hooks ...` and by the extension.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config } from '../config/config';
import type { Env } from '../config/paths';
import { CURSOR_HOOK_EVENTS } from '../shared/eventTypes';
import { hookSettingsPath, writeHookSettings } from './hookSettings';
import {
  checkEventLists,
  entryMode,
  foreignEntryCount,
  HooksFileError,
  mergeOwnHooks,
  ownEntries,
  parseHooksDocument,
  removeOwnHooks,
  serialiseHooksDocument,
  type HookEntry,
  type HooksDocument,
} from './hooksJson';
import { fireTimeOf, markerCommits, parseSpoolName, STALE_TEMP_MS, TEMP_PREFIX } from './spoolFiles';

export { HooksFileError } from './hooksJson';

export const INSTALLED_SPOOL_HOOK = 'blueplane-spool-hook.sh';
export const INSTALLED_DIRECT_HOOK = 'blueplane-hook.js';
const INSTALLED_DIRECT_CMD = 'blueplane-hook.cmd';
export const BACKUP_SUFFIX = '.blueplane-backup';

/** Seconds Cursor gives each hook. The spool hook needs milliseconds; the direct one at most its Redis budget and a spool write. */
const TIMEOUT_SECONDS = { spool: 5, direct: 10 } as const;

export type HookMode = 'spool' | 'direct';

/** The installation cannot go ahead; the message says what to do. */
export class HooksInstallError extends Error {
  override name = 'HooksInstallError';
}

export interface HooksTarget {
  config: Config;
  /** Install into `<project>/.cursor/hooks.json` instead of the user's `~/.cursor/hooks.json`. */
  project?: string;
  /** HOME and PATH come from here (default: process.env). */
  env?: Env;
}

export interface InstallOptions extends HooksTarget {
  direct?: boolean;
  /** Node executable for the direct hook (default: `node` on PATH). */
  nodePath?: string;
  /** The editor's own executable, run with ELECTRON_RUN_AS_NODE=1 where no Node is found. */
  editorExecutable?: string;
  /** Folder holding spool-hook.sh and hook.js (default: next to this bundle, or the repo's dist/). */
  assetsDir?: string;
  platform?: NodeJS.Platform;
}

export interface InstallResult {
  hooksFile: string;
  mode: HookMode;
  events: string[];
  /** False when hooks.json already held exactly these entries. */
  changed: boolean;
  /** The copy of hooks.json made before its first change, when this run made it. */
  backupFile?: string;
  scripts: string[];
  settingsFile: string;
  warnings: string[];
}

export interface UninstallResult {
  hooksFile: string;
  removed: string[];
  changed: boolean;
  backupFile?: string;
}

export interface SpoolStatus {
  dir: string;
  files: number;
  bytes: number;
  tempFiles: number;
  oldestAgeMs?: number;
}

export interface HooksStatus {
  hooksFile: string;
  exists: boolean;
  /** Set when hooks.json cannot be read or parsed. */
  error?: string;
  mode: HookMode | 'mixed' | 'none';
  hooked: string[];
  missing: string[];
  /** The user's own hooks in the same file (kept untouched by install and uninstall). */
  otherHooks: number;
  scripts: { spool: boolean; direct: boolean; settings: boolean };
  spool: SpoolStatus;
  /** Other hooks.json files with our hooks too: those events are captured twice. */
  alsoInstalledIn: string[];
  /** Spool hooks writing elsewhere than config.yaml's spool folder (changed since install): reinstall. Always set by hooksStatus(). */
  outdated?: string[];
}

function userHome(env: Env): string {
  return env.HOME && env.HOME.trim() !== '' ? env.HOME : os.homedir();
}

export function hooksFilePath(target: Pick<HooksTarget, 'project' | 'env'>): string {
  const base = target.project ? path.resolve(target.project) : userHome(target.env ?? process.env);
  return path.join(base, '.cursor', 'hooks.json');
}

/** POSIX shell quoting: Cursor runs the command through a shell (reference §1.3). */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function windowsQuote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

function findAsset(names: string[], assetsDir: string | undefined): string | undefined {
  const dirs = [
    ...(assetsDir ? [assetsDir] : []),
    __dirname, // dist/ when running from the bundled CLI or extension
    path.resolve(__dirname, '../../dist'), // src/capture when running from source (tests)
  ];
  for (const dir of dirs) for (const name of names) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

/** Copy next to the destination, then rename: a hook starting meanwhile sees the old or the new file. */
function installFile(source: string, dest: string, mode: number): void {
  const temp = `${dest}.${process.pid}.tmp`;
  copyFileSync(source, temp);
  chmodSync(temp, mode);
  renameSync(temp, dest);
}

/**
 * Bring the hook scripts already installed under BLUEPLANE_HOME/hooks in step with this version's
 * (an extension upgrade leaves the old copies, which keep working but miss fixes and speed-ups).
 * Scripts that are not installed stay absent: installing hooks is the user's choice. Returns the
 * paths replaced.
 */
export function refreshInstalledScripts(config: Pick<Config, 'paths'>, assetsDir?: string): string[] {
  const refreshed: string[] = [];
  const pairs: Array<[string[], string]> = [
    [['spool-hook.sh', 'spoolHook.sh'], INSTALLED_SPOOL_HOOK],
    [['hook.js'], INSTALLED_DIRECT_HOOK],
  ];
  for (const [names, installedName] of pairs) {
    const installed = path.join(config.paths.hooks, installedName);
    const source = findAsset(names, assetsDir);
    if (!source || !existsSync(installed)) continue;
    if (readFileSync(installed).equals(readFileSync(source))) continue;
    installFile(source, installed, 0o700);
    refreshed.push(installed);
  }
  return refreshed;
}

function findOnPath(command: string, env: Env, platform: NodeJS.Platform): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  const names = platform === 'win32' ? [`${command}.exe`, `${command}.cmd`] : [command];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        const st = statSync(candidate);
        if (st.isFile() && (platform === 'win32' || (st.mode & 0o111) !== 0)) return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      }
    }
  }
  return undefined;
}

/**
 * The spool folder is written into the command: Cursor started from the Dock or a desktop
 * launcher has no BLUEPLANE_HOME, and the hook must still write where the processor reads.
 */
function spoolCommand(script: string, event: string, spoolDir: string): string {
  return `sh ${shellQuote(script)} ${event} ${shellQuote(spoolDir)}`;
}

type Runner = { kind: 'node'; path: string } | { kind: 'editor'; path: string };

function directRunner(options: InstallOptions, env: Env, platform: NodeJS.Platform): Runner {
  if (options.nodePath) return { kind: 'node', path: path.resolve(options.nodePath) };
  const onPath = findOnPath('node', env, platform);
  if (onPath) return { kind: 'node', path: onPath };
  // Running under plain Node (the CLI) rather than inside the editor: that Node will do.
  if (!process.versions.electron && !options.editorExecutable) return { kind: 'node', path: process.execPath };
  if (options.editorExecutable) return { kind: 'editor', path: options.editorExecutable };
  throw new HooksInstallError('No Node.js found on PATH for the direct hook; install Node, or pass --node <path> (or --editor-executable <path> to use the editor’s own runtime).');
}

function desiredEntries(commandFor: (event: string) => string, timeout: number): Record<string, HookEntry> {
  const out: Record<string, HookEntry> = {};
  for (const event of CURSOR_HOOK_EVENTS) out[event] = { command: commandFor(event), timeout };
  return out;
}

function readDocument(file: string): { doc: HooksDocument; text?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { doc: {} };
    throw new HooksFileError(`Cannot read ${file} (${code ?? (err as Error).message}); check its permissions and run the command again.`);
  }
  return { doc: parseHooksDocument(text, file), text };
}

/** Back up the file once (before our first change ever), then replace it atomically, keeping its mode. */
function writeDocument(file: string, doc: HooksDocument, existed: boolean): string | undefined {
  mkdirSync(path.dirname(file), { recursive: true });
  let backupFile: string | undefined;
  let mode = 0o644;
  if (existed) {
    mode = statSync(file).mode & 0o777;
    const backup = file + BACKUP_SUFFIX;
    if (!existsSync(backup)) {
      copyFileSync(file, backup);
      backupFile = backup;
    }
  }
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, serialiseHooksDocument(doc), { mode });
  renameSync(temp, file);
  return backupFile;
}

function sameDocument(a: HooksDocument, b: HooksDocument): boolean {
  return serialiseHooksDocument(a) === serialiseHooksDocument(b);
}

/** For a project install: does the user's hooks.json hold ours too? (Projects cannot be listed.) */
function otherFilesWithOurHooks(target: HooksTarget, self: string): string[] {
  if (!target.project) return [];
  const userFile = hooksFilePath({ env: target.env });
  if (userFile === self) return [];
  try {
    return Object.keys(ownEntries(readDocument(userFile).doc)).length > 0 ? [userFile] : [];
  } catch (err) {
    if (err instanceof HooksFileError) return []; // reported when that file itself is installed or checked
    throw err;
  }
}

export function installHooks(options: InstallOptions): InstallResult {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const { config } = options;
  const mode: HookMode = options.direct ? 'direct' : 'spool';
  const hooksFile = hooksFilePath(options);
  const warnings: string[] = [];

  // Check first: a file we cannot read or use, or a missing runtime, stops everything before
  // anything is written.
  const { doc, text } = readDocument(hooksFile);
  checkEventLists(doc, CURSOR_HOOK_EVENTS, hooksFile);
  if (mode === 'spool' && platform === 'win32') throw new HooksInstallError('The spool hook needs a POSIX shell, which Windows does not have; install with --direct.');
  const runner = mode === 'direct' ? directRunner(options, env, platform) : undefined;

  const hooksDir = config.paths.hooks;
  mkdirSync(hooksDir, { recursive: true, mode: 0o700 });
  chmodSync(hooksDir, 0o700);
  const scripts: string[] = [];
  let commandFor: (event: string) => string;
  if (!runner) {
    const source = findAsset(['spool-hook.sh', 'spoolHook.sh'], options.assetsDir);
    if (!source) throw new HooksInstallError(`spool-hook.sh was not found next to ${__dirname}; run \`npm run build\` (or reinstall the extension) and try again.`);
    const script = path.join(hooksDir, INSTALLED_SPOOL_HOOK);
    installFile(source, script, 0o700);
    scripts.push(script);
    mkdirSync(config.paths.spool, { recursive: true, mode: 0o700 });
    commandFor = (event) => spoolCommand(script, event, config.paths.spool);
  } else {
    const source = findAsset(['hook.js'], options.assetsDir);
    if (!source) throw new HooksInstallError(`hook.js was not found next to ${__dirname}; run \`npm run build\` (or reinstall the extension) and try again.`);
    const script = path.join(hooksDir, INSTALLED_DIRECT_HOOK);
    installFile(source, script, 0o700);
    scripts.push(script);
    if (platform === 'win32') {
      const quote = windowsQuote;
      if (runner.kind === 'node') commandFor = (event) => `${quote(runner.path)} ${quote(script)} ${event}`;
      else {
        // cmd.exe and PowerShell set variables differently; a wrapper sets it for both.
        const wrapper = path.join(hooksDir, INSTALLED_DIRECT_CMD);
        writeFileSync(wrapper, `@echo off\r\nset ELECTRON_RUN_AS_NODE=1\r\n${quote(runner.path)} "%~dp0${INSTALLED_DIRECT_HOOK}" %*\r\n`, { mode: 0o700 });
        scripts.push(wrapper);
        commandFor = (event) => `${quote(wrapper)} ${event}`;
      }
    } else if (runner.kind === 'node') {
      commandFor = (event) => `${shellQuote(runner.path)} ${shellQuote(script)} ${event}`;
    } else {
      commandFor = (event) => `ELECTRON_RUN_AS_NODE=1 ${shellQuote(runner.path)} ${shellQuote(script)} ${event}`;
    }
  }
  const settingsFile = writeHookSettings(config, true) ?? hookSettingsPath(hooksDir);

  if (doc.version !== undefined && doc.version !== 1) {
    warnings.push(`${hooksFile} has "version": ${JSON.stringify(doc.version)}; Cursor documents version 1, so check that Cursor still loads it.`);
  }
  const merged = mergeOwnHooks(doc, desiredEntries(commandFor, TIMEOUT_SECONDS[mode]), hooksFile);
  const changed = text === undefined || !sameDocument(doc, merged);
  const backupFile = changed ? writeDocument(hooksFile, merged, text !== undefined) : undefined;

  for (const other of otherFilesWithOurHooks(options, hooksFile)) {
    warnings.push(`Blueplane hooks are also installed in ${other}, so Cursor runs both and events without a tool id may be stored twice; run \`blueplane hooks uninstall\` for one of them.`);
  }
  return { hooksFile, mode, events: [...CURSOR_HOOK_EVENTS], changed, backupFile, scripts, settingsFile, warnings };
}

export function uninstallHooks(target: HooksTarget): UninstallResult {
  const hooksFile = hooksFilePath(target);
  const { doc, text } = readDocument(hooksFile);
  if (text === undefined) return { hooksFile, removed: [], changed: false };
  const { doc: cleaned, removed } = removeOwnHooks(doc);
  if (removed.length === 0) return { hooksFile, removed, changed: false };
  // The scripts under BLUEPLANE_HOME/hooks stay: another hooks.json (a project's) may still use them.
  const backupFile = writeDocument(hooksFile, cleaned, true);
  return { hooksFile, removed, changed: true, backupFile };
}

function markerCommitted(spoolDir: string, marker: string, present: Set<string>, dataMtimeMs: number): boolean {
  if (!present.has(marker)) return false;
  try {
    return markerCommits(statSync(path.join(spoolDir, marker)).mtimeMs, dataMtimeMs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return false; // forwarded meanwhile
  }
}

export function spoolStatus(spoolDir: string, now = Date.now()): SpoolStatus {
  const status: SpoolStatus = { dir: spoolDir, files: 0, bytes: 0, tempFiles: 0 };
  let names: string[];
  try {
    names = readdirSync(spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return status;
    throw err;
  }
  let oldest: number | undefined;
  const present = new Set(names);
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX)) {
      status.tempFiles++;
      continue;
    }
    const parsed = parseSpoolName(name);
    if (!parsed) continue;
    let st: { size: number; mtimeMs: number };
    try {
      st = statSync(path.join(spoolDir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      continue; // forwarded meanwhile
    }
    // A shell hook's data file without its marker (or with a marker older than itself, left by an
    // earlier event of that name) is still being written, until it is stale: as the forwarder judges.
    if (parsed.marker !== undefined && !markerCommitted(spoolDir, parsed.marker, present, st.mtimeMs) && now - st.mtimeMs <= STALE_TEMP_MS) {
      status.tempFiles++;
      continue;
    }
    status.files++;
    status.bytes += st.size;
    const fire = fireTimeOf(parsed, st.mtimeMs);
    oldest = oldest === undefined ? fire : Math.min(oldest, fire);
  }
  if (oldest !== undefined) status.oldestAgeMs = Math.max(0, now - oldest);
  return status;
}

export function hooksStatus(target: HooksTarget): HooksStatus {
  const hooksFile = hooksFilePath(target);
  const { config } = target;
  const status: HooksStatus = {
    hooksFile,
    exists: existsSync(hooksFile),
    mode: 'none',
    hooked: [],
    missing: [...CURSOR_HOOK_EVENTS],
    otherHooks: 0,
    scripts: {
      spool: existsSync(path.join(config.paths.hooks, INSTALLED_SPOOL_HOOK)),
      direct: existsSync(path.join(config.paths.hooks, INSTALLED_DIRECT_HOOK)),
      settings: existsSync(hookSettingsPath(config.paths.hooks)),
    },
    spool: spoolStatus(config.paths.spool),
    alsoInstalledIn: [],
    outdated: [],
  };
  let doc: HooksDocument;
  try {
    doc = readDocument(hooksFile).doc;
  } catch (err) {
    if (!(err instanceof HooksFileError)) throw err;
    status.error = err.message;
    return status;
  }
  const own = ownEntries(doc);
  status.hooked = CURSOR_HOOK_EVENTS.filter((e) => own[e]);
  status.missing = CURSOR_HOOK_EVENTS.filter((e) => !own[e]);
  status.otherHooks = foreignEntryCount(doc);
  const modes = [...new Set(Object.values(own).map(entryMode))].filter((m): m is HookMode => m !== undefined);
  status.mode = modes.length === 0 ? 'none' : modes.length > 1 ? 'mixed' : modes[0];
  status.alsoInstalledIn = otherFilesWithOurHooks(target, hooksFile);
  const script = path.join(config.paths.hooks, INSTALLED_SPOOL_HOOK);
  status.outdated = status.hooked.filter((e) => entryMode(own[e]) === 'spool' && own[e].command !== spoolCommand(script, e, config.paths.spool));
  return status;
}
