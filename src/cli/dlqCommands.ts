import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import {
  deleteDeadLetter,
  getDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  retryDeadLetter,
} from '../processing/fastPath/deadLetters';
import { closeRedis, connectRedis, createRedis } from '../shared/redis';
import { fail, type GlobalOptions, loadCliConfig, printJson } from './common';

async function withRedis<T>(config: Config, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = createRedis({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, failFast: true, name: 'blueplane-cli' });
  try {
    await connectRedis(redis, config.redis.url);
    return await fn(redis);
  } finally {
    await closeRedis(redis);
  }
}

export function registerDlqCommands(program: Command): void {
  const globals = () => program.opts<GlobalOptions>();
  const dlq = program.command('dlq').description('inspect and act on the dead letter queue (entries that could not be stored)');

  dlq
    .command('list')
    .description('list dead letters, newest first')
    .option('--limit <n>', 'how many to show', (v) => Number(v), 50)
    .option('--json', 'print JSON')
    .action(async (opts: { limit: number; json?: boolean }) => {
      if (!(opts.limit > 0)) fail('--limit takes a whole number above 0.');
      const config = loadCliConfig(globals());
      const letters = await withRedis(config, (r) => listDeadLetters(r, config.streams.dlq, opts.limit));
      if (opts.json) return printJson(letters.map(({ originalFields, ...rest }) => ({ ...rest, originalFieldNames: Object.keys(originalFields ?? {}) })));
      if (letters.length === 0) return void process.stdout.write(`${config.streams.dlq} is empty.\n`);
      for (const l of letters) {
        process.stdout.write(`${l.id}  ${l.errorType.padEnd(16)} event ${l.originalEventId}  ${l.deliveries} deliveries  ${l.errorMessage.slice(0, 100)}\n`);
      }
    });

  dlq
    .command('show <id>')
    .description('print one dead letter in full, with its original entry')
    .action(async (id: string) => {
      const config = loadCliConfig(globals());
      const letter = await withRedis(config, (r) => getDeadLetter(r, config.streams.dlq, id));
      if (!letter) fail(`No dead letter ${id} in ${config.streams.dlq}; list them with \`blueplane dlq list\`.`);
      printJson(letter);
    });

  dlq
    .command('retry [id]')
    .description('put a dead letter (or all with --all) back on its stream, unchanged')
    .option('--all', 'retry every dead letter')
    .action(async (id: string | undefined, opts: { all?: boolean }) => {
      if (!id && !opts.all) fail('Name a dead letter id, or pass --all.');
      const config = loadCliConfig(globals());
      await withRedis(config, async (r) => {
        const ids = opts.all ? (await listDeadLetters(r, config.streams.dlq, 100_000)).filter((l) => l.canRetry).map((l) => l.id) : [id!];
        for (const one of ids) {
          const newId = await retryDeadLetter(r, config.streams.dlq, one, config.streams.events);
          process.stdout.write(`${one} re-queued as ${newId}\n`);
        }
        if (ids.length === 0) process.stdout.write('Nothing to retry.\n');
      });
    });

  dlq
    .command('delete <id>')
    .description('delete one dead letter')
    .action(async (id: string) => {
      const config = loadCliConfig(globals());
      const deleted = await withRedis(config, (r) => deleteDeadLetter(r, config.streams.dlq, id));
      if (!deleted) fail(`No dead letter ${id} in ${config.streams.dlq}; list them with \`blueplane dlq list\`.`);
      process.stdout.write(`Deleted ${id}.\n`);
    });

  dlq
    .command('purge')
    .description('delete every dead letter')
    .option('--yes', 'do it without asking (required when not on a terminal)')
    .action(async (opts: { yes?: boolean }) => {
      const config = loadCliConfig(globals());
      if (!opts.yes) {
        if (!process.stdin.isTTY) fail('Purging deletes every dead letter; pass --yes to confirm.');
        const { createInterface } = await import('node:readline/promises');
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Delete every entry of ${config.streams.dlq}? [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return void process.stdout.write('Nothing deleted.\n');
      }
      const n = await withRedis(config, (r) => purgeDeadLetters(r, config.streams.dlq));
      process.stdout.write(`Deleted ${n} dead letters.\n`);
    });
}
