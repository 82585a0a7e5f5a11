import { type Config, loadConfig } from '../config/config';
import { errorMessage } from '../shared/log';

/** Options every command accepts. */
export interface GlobalOptions {
  config?: string;
}

/** Load config.yaml, printing each bad key as a warning on stderr (the rest still loads). */
export function loadCliConfig(options: GlobalOptions): Config {
  const loaded = loadConfig({ configPath: options.config });
  for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
  return loaded.config;
}

/** An error the user can act on: print its one sentence, no stack trace, exit non-zero. */
export function fail(err: unknown, code = 1): never {
  process.stderr.write(`blueplane: ${errorMessage(err)}\n`);
  process.exit(code);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
