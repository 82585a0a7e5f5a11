// hook-settings.json: what the direct hook needs from config.yaml, as plain JSON next to the
// installed hooks (BLUEPLANE_HOME/hooks), so the hook never loads the YAML parser or the schema
// library at start-up. Written by the installer and again by the processor at start (so a changed
// config.yaml reaches the hooks); read leniently by the hook: a missing or damaged file means
// defaults, never a failed hook.
import { readFileSync, renameSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config/config';
import { blueplaneHome, homePaths, ENV, type Env } from '../config/paths';
import { PRIVACY_MODES, type PrivacyMode } from './privacy';

export const HOOK_SETTINGS_FILE = 'hook-settings.json';

export interface HookSettings {
  version: 1;
  redis_url: string;
  events_stream: string;
  dlq_stream: string;
  events_maxlen: number;
  dlq_maxlen: number;
  privacy_mode: PrivacyMode;
  scrub_secrets: boolean;
  hash_workspace_paths: boolean;
  max_entry_bytes: number;
  spool_dir: string;
  /** The direct hook's whole budget for connecting and XADD before it spools instead. */
  direct_timeout_ms: number;
}

/** Defaults, equal to config.yaml's (a unit test keeps them in step with the schema). */
export function defaultHookSettings(env: Env = process.env): HookSettings {
  return {
    version: 1,
    redis_url: 'redis://127.0.0.1:6379',
    events_stream: 'telemetry:events',
    dlq_stream: 'telemetry:dlq',
    events_maxlen: 1_000_000,
    dlq_maxlen: 100_000,
    privacy_mode: 'full',
    scrub_secrets: true,
    hash_workspace_paths: true,
    max_entry_bytes: 1_048_576,
    spool_dir: homePaths(blueplaneHome(env)).spool,
    direct_timeout_ms: 500,
  };
}

export function hookSettingsFromConfig(config: Config): HookSettings {
  return {
    version: 1,
    redis_url: config.redis.url,
    events_stream: config.streams.events,
    dlq_stream: config.streams.dlq,
    events_maxlen: config.streams.events_maxlen,
    dlq_maxlen: config.streams.dlq_maxlen,
    privacy_mode: config.privacy.mode,
    scrub_secrets: config.privacy.scrub_secrets,
    hash_workspace_paths: config.privacy.hash_workspace_paths,
    max_entry_bytes: config.processor.max_entry_bytes,
    spool_dir: config.paths.spool,
    direct_timeout_ms: Math.min(config.redis.connect_timeout_ms, 500),
  };
}

export function hookSettingsPath(hooksDir: string): string {
  return path.join(hooksDir, HOOK_SETTINGS_FILE);
}

/**
 * Write the settings atomically, owner-only (the Redis URL may hold a password). Creates the
 * hooks folder when `createDir` is set (the installer); the processor passes false so it never
 * creates hook files for a user who has not installed hooks.
 */
export function writeHookSettings(config: Config, createDir = true): string | undefined {
  const file = hookSettingsPath(config.paths.hooks);
  if (createDir) mkdirSync(config.paths.hooks, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(hookSettingsFromConfig(config), null, 2) + '\n', { mode: 0o600 });
  } catch (err) {
    if (!createDir && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  renameSync(temp, file);
  return file;
}

/**
 * Settings for the direct hook: the file, key by key over the defaults (a wrong type keeps the
 * default), then BLUEPLANE_REDIS_URL from the environment, as config.yaml does. `problems` says
 * what was ignored, for the hook's stderr.
 */
export function readHookSettings(file: string, env: Env = process.env): { settings: HookSettings; problems: string[] } {
  const settings = defaultHookSettings(env);
  const problems: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`${file} is unreadable (${code ?? (err as Error).message}); using defaults, run \`blueplane hooks install\` to rewrite it.`);
    parsed = {};
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const given = parsed as Record<string, unknown>;
    const target = settings as unknown as Record<string, unknown>;
    for (const [key, fallback] of Object.entries(settings)) {
      if (key === 'version' || !(key in given)) continue;
      const value = given[key];
      const ok =
        key === 'privacy_mode'
          ? PRIVACY_MODES.includes(value as PrivacyMode)
          : typeof value === typeof fallback && (typeof value !== 'number' || (Number.isFinite(value) && value > 0)) && value !== '';
      if (ok) target[key] = value;
      else problems.push(`${file}: "${key}" has an invalid value; using ${JSON.stringify(fallback)}.`);
    }
  }
  const envUrl = env[ENV.redisUrl];
  if (envUrl && envUrl.trim() !== '') settings.redis_url = envUrl.trim();
  return { settings, problems };
}
