// Named imports: the direct hook bundles this file, and a namespace import makes esbuild copy
// every export of node:os and node:path at each hook start.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Environment variables every part of the product honours (hook, processor, CLI, extension). */
export const ENV = {
  home: 'BLUEPLANE_HOME',
  config: 'BLUEPLANE_CONFIG',
  redisUrl: 'BLUEPLANE_REDIS_URL',
} as const;

export type Env = Record<string, string | undefined>;

/** The folder that holds everything the product writes. Default `~/.blueplane`, respecting HOME. */
export function blueplaneHome(env: Env = process.env): string {
  const fromEnv = env[ENV.home];
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv);
  const home = env.HOME && env.HOME.trim() !== '' ? env.HOME : homedir();
  return join(home, '.blueplane');
}

export function defaultConfigPath(env: Env = process.env): string {
  const fromEnv = env[ENV.config];
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv);
  return join(blueplaneHome(env), 'config.yaml');
}

/** Fixed file names under BLUEPLANE_HOME that are not configurable. */
export function homePaths(home: string) {
  return {
    home,
    database: join(home, 'telemetry.db'),
    spool: join(home, 'spool'),
    hooks: join(home, 'hooks'),
    logs: join(home, 'logs'),
    status: join(home, 'status.json'),
    corrupt: join(home, 'corrupt'),
  };
}
