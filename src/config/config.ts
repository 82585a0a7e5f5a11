import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { blueplaneHome, defaultConfigPath, ENV, type Env, homePaths } from './paths';

// One schema, one source of truth for defaults (DESIGN.md §6). zod gives us the type, the
// defaults and a per-key error path, which is what lets us report a bad key by name and still
// load the rest of the file.
const positiveInt = z.number().int().positive();

const schema = z.strictObject({
  redis: z
    .strictObject({
      url: z.string().default('redis://127.0.0.1:6379'),
      connect_timeout_ms: positiveInt.default(2000),
    })
    .prefault({}),
  streams: z
    .strictObject({
      events: z.string().min(1).default('telemetry:events'),
      dlq: z.string().min(1).default('telemetry:dlq'),
      cdc: z.string().min(1).default('cdc:events'),
      cdc_maxlen: positiveInt.default(100_000),
      dlq_maxlen: positiveInt.default(100_000),
      // A producer-side safety cap only; far above any backlog the processor can build up.
      events_maxlen: positiveInt.default(1_000_000),
      // How often the leader trims entries that every consumer group has acknowledged.
      trim_interval_ms: positiveInt.default(30_000),
    })
    .prefault({}),
  processor: z
    .strictObject({
      consumer_group: z.string().min(1).default('processors'),
      consumer_name: z.string().min(1).default('fast-path-1'),
      batch_size: positiveInt.default(100),
      batch_timeout_ms: positiveInt.default(100),
      block_ms: positiveInt.default(1000),
      max_deliveries: positiveInt.default(3),
      max_entry_bytes: positiveInt.default(1_048_576),
      // Entries wait in the PEL until the flush that makes them durable, so another consumer may
      // only claim them once they have been idle far longer than the longest flush interval.
      claim_idle_ms: positiveInt.default(120_000),
      flush_min_interval_ms: positiveInt.default(250),
      flush_max_interval_ms: positiveInt.default(30_000),
      // Keep the time spent exporting and writing the database below this share of wall time.
      flush_max_share: z.number().positive().max(1).default(0.08),
      shutdown_timeout_ms: positiveInt.default(10_000),
      // Worker threads that parse and compress batches; unset means one per spare core.
      encode_workers: z.number().int().min(0).max(16).optional(),
    })
    .prefault({}),
  database: z
    .strictObject({
      path: z.string().min(1).optional(),
      retention_days: z.number().int().min(0).default(90),
    })
    .prefault({}),
  privacy: z
    .strictObject({
      // full: keep prompts, responses, code and command output. metadata: sizes and hashes only.
      mode: z.enum(['full', 'metadata']).default('full'),
      scrub_secrets: z.boolean().default(true),
      hash_workspace_paths: z.boolean().default(true),
    })
    .prefault({}),
  spool: z
    .strictObject({
      dir: z.string().min(1).optional(),
      max_files: positiveInt.default(50_000),
      max_bytes: positiveInt.default(512 * 1024 * 1024),
      scan_interval_ms: positiveInt.default(1000),
    })
    .prefault({}),
  slow_path: z
    .strictObject({
      enabled: z.boolean().default(true),
      consumer_group: z.string().min(1).default('workers'),
    })
    .prefault({}),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config extends RawConfig {
  /** Resolved absolute paths (after BLUEPLANE_HOME and overrides). */
  paths: {
    home: string;
    configFile: string;
    database: string;
    spool: string;
    hooks: string;
    logs: string;
    status: string;
    corrupt: string;
  };
}

export interface LoadedConfig {
  config: Config;
  /** One sentence per problem found; the affected keys fell back to their defaults. */
  warnings: string[];
  /** True when a config file was found and read. */
  fromFile: boolean;
}

export class ConfigError extends Error {}

export interface LoadOptions {
  configPath?: string;
  env?: Env;
}

/** Load config.yaml (optional), validate it key by key, apply env overrides and resolve paths. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const configFile = options.configPath ? path.resolve(options.configPath) : defaultConfigPath(env);
  const warnings: string[] = [];
  let input: unknown = {};
  let fromFile = false;
  let text: string | undefined;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A missing file is normal (every key has a default) unless the user named it explicitly.
    if (code !== 'ENOENT' || options.configPath) {
      throw new ConfigError(`Cannot read config file ${configFile} (${code ?? String(err)}); fix the path or its permissions.`);
    }
  }
  if (text !== undefined) {
    fromFile = true;
    try {
      input = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`Config file ${configFile} is not valid YAML (${(err as Error).message.split('\n')[0]}); fix the syntax or delete the file to use defaults.`);
    }
    if (typeof input !== 'object' || Array.isArray(input)) {
      warnings.push(`Config file ${configFile} must hold a mapping of sections; using defaults.`);
      input = {};
    }
  }
  const raw = validateLeniently(input as Record<string, unknown>, warnings);
  // Entries wait in the pending list until a flush; claiming them sooner than the longest flush
  // interval would take over (and re-process) our own entries (DESIGN.md §5).
  if (raw.processor.claim_idle_ms <= raw.processor.flush_max_interval_ms) {
    const fixed = Math.max(120_000, 4 * raw.processor.flush_max_interval_ms);
    warnings.push(
      `Config key "processor.claim_idle_ms" (${raw.processor.claim_idle_ms}) must exceed processor.flush_max_interval_ms (${raw.processor.flush_max_interval_ms}); using ${fixed}.`,
    );
    raw.processor.claim_idle_ms = fixed;
  }
  const envUrl = env[ENV.redisUrl];
  if (envUrl && envUrl.trim() !== '') raw.redis.url = envUrl.trim();
  return { config: resolvePaths(raw, configFile, env), warnings, fromFile };
}

/** Parse; for every failing key, drop it (so its default applies) and say which key and why. */
function validateLeniently(input: Record<string, unknown>, warnings: string[]): RawConfig {
  const working = structuredClone(input);
  for (let attempt = 0; attempt < 50; attempt++) {
    const result = schema.safeParse(working);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const keys =
        issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const keyPath of keys) {
        const name = keyPath.join('.') || '(top level)';
        const message =
          issue.code === 'unrecognized_keys'
            ? `Unknown config key "${name}" is ignored; check its spelling against the README.`
            : `Config key "${name}" is invalid (${issue.message}); using its default.`;
        if (!warnings.includes(message)) warnings.push(message);
        if (!deletePath(working, keyPath)) return schema.parse({});
      }
    }
  }
  return schema.parse({});
}

function deletePath(obj: Record<string, unknown>, keyPath: PropertyKey[]): boolean {
  if (keyPath.length === 0) return false;
  let node: unknown = obj;
  for (const key of keyPath.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null) return false;
  delete (node as Record<PropertyKey, unknown>)[keyPath[keyPath.length - 1]];
  return true;
}

function resolvePaths(raw: RawConfig, configFile: string, env: Env): Config {
  const home = blueplaneHome(env);
  const fixed = homePaths(home);
  const userHome = env.HOME && env.HOME.trim() !== '' ? env.HOME : os.homedir();
  const expand = (p: string) => (p.startsWith('~/') ? path.join(userHome, p.slice(2)) : path.resolve(home, p));
  return {
    ...raw,
    paths: {
      ...fixed,
      configFile,
      database: raw.database.path ? expand(raw.database.path) : fixed.database,
      spool: raw.spool.dir ? expand(raw.spool.dir) : fixed.spool,
    },
  };
}

/** Defaults only, for tests and tools that need a config without reading any file. */
export function defaultConfig(env: Env = process.env): Config {
  return resolvePaths(schema.parse({}), defaultConfigPath(env), env);
}

/** Redact the password part of a Redis URL so it can be logged or shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
