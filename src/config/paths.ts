import * as os from 'node:os';
import * as path from 'node:path';

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
  if (fromEnv && fromEnv.trim() !== '') return path.resolve(fromEnv);
  const home = env.HOME && env.HOME.trim() !== '' ? env.HOME : os.homedir();
  return path.join(home, '.blueplane');
}

export function defaultConfigPath(env: Env = process.env): string {
  const fromEnv = env[ENV.config];
  if (fromEnv && fromEnv.trim() !== '') return path.resolve(fromEnv);
  return path.join(blueplaneHome(env), 'config.yaml');
}

/** Fixed file names under BLUEPLANE_HOME that are not configurable. */
export function homePaths(home: string) {
  return {
    home,
    database: path.join(home, 'telemetry.db'),
    spool: path.join(home, 'spool'),
    hooks: path.join(home, 'hooks'),
    logs: path.join(home, 'logs'),
    status: path.join(home, 'status.json'),
    corrupt: path.join(home, 'corrupt'),
  };
}
