import type { Command } from 'commander';
import { formatCdcHealth, readCdcHealth } from '../processing/cdcHealth';
import { closeRedis, connectRedis, createRedis } from '../shared/redis';
import { type GlobalOptions, loadCliConfig, printJson } from './common';

/** `blueplane cdc [--json]`: the CDC stream's length, entry ages, consumer groups, lag and rate. */
export function registerCdcCommands(program: Command): void {
  program
    .command('cdc')
    .description('show the health of the CDC stream (cdc:events): length, oldest/newest entry, consumer groups, pending, lag, publish rate')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }) => {
      const config = loadCliConfig(program.opts<GlobalOptions>());
      const redis = createRedis({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, failFast: true, name: 'blueplane-cli' });
      try {
        await connectRedis(redis, config.redis.url);
        const health = await readCdcHealth(redis, config);
        if (opts.json) printJson(health);
        else process.stdout.write(formatCdcHealth(health) + '\n');
      } finally {
        await closeRedis(redis);
      }
    });
}
