import type { Command } from 'commander';
import type { Database } from 'sql.js';
import type { Config } from '../config/config';
import type { SqliteStore } from '../processing/database/sqliteClient';
import { stderrLogger } from '../shared/log';
import { listSessions, parseSince, sessionTimeline } from '../processing/slowPath/queries';
import { formatSessions, formatTimeline } from '../processing/slowPath/queryText';
import { rebuildDerived } from '../processing/slowPath/rebuild';

export interface SlowPathCommandDeps {
  loadConfig: () => Config;
  openDatabaseReadOnly: (config: Config) => Promise<Database>;
  withWriterLock: <T>(config: Config, fn: (store: SqliteStore) => Promise<T>) => Promise<T>;
  /** Where command output goes (tests capture it); defaults to stdout. */
  write?: (text: string) => void;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--limit must be a positive whole number, not "${value}".`);
  return n;
}

/**
 * `blueplane sessions`, `blueplane session <id>` and `blueplane rebuild`: the questions the slow
 * path answers, from the terminal. Reading commands open the database read-only, so they work
 * while the processor runs; rebuild takes the writer lock. Failures are thrown as one sentence:
 * the CLI's main prints it (`blueplane: ...`) and exits 1, as for every other command.
 */
export function registerSlowPathCommands(program: Command, deps: SlowPathCommandDeps): void {
  const write = deps.write ?? ((text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`));

  const withDatabase = async <T>(fn: (db: Database) => T): Promise<T> => {
    const config = deps.loadConfig();
    const db = await deps.openDatabaseReadOnly(config);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  const sessions = program
    .command('sessions')
    .description('List recent agent sessions (Cursor conversations), most recent first')
    .option('--limit <n>', 'how many sessions to show', '20')
    .option('--since <span>', 'only sessions active since then: 7d, 24h, 30m or a date')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nSubagent sessions are listed with the session that started them.\nShow one session step by step with: blueplane session <id>');
  sessions.action(async () => {
    const opts = sessions.opts<{ limit: string; since?: string; json?: boolean }>();
    const limit = positiveInt(opts.limit);
    const sinceMs = opts.since === undefined ? undefined : parseSince(opts.since);
    const list = await withDatabase((db) => listSessions(db, { limit, sinceMs }));
    write(opts.json ? JSON.stringify(list, null, 2) : formatSessions(list));
  });

  const session = program
    .command('session')
    .description('Show one session as a timeline: prompts, tool calls, edits, responses, stops')
    .argument('<id>', 'the session (conversation) id, or its first characters')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nTimes are UTC. Find ids with: blueplane sessions');
  session.action(async () => {
    const [id] = session.args;
    const opts = session.opts<{ json?: boolean }>();
    const timeline = await withDatabase((db) => sessionTimeline(db, id));
    if (!timeline) throw new Error(`No session "${id}" in the database; list sessions with \`blueplane sessions\`.`);
    write(opts.json ? JSON.stringify(timeline, null, 2) : formatTimeline(timeline));
  });

  const rebuild = program
    .command('rebuild')
    .description('Recompute conversations, turns, code changes and metrics from raw_traces')
    .addHelpText(
      'after',
      '\nRun it after an upgrade that changes how these tables are derived, or to repair them.\nraw_traces is never changed. Needs the database writer lock (stop other writers first).',
    );
  rebuild.action(async () => {
    const config = deps.loadConfig();
    const result = await deps.withWriterLock(config, async (store) => {
      const r = await rebuildDerived(store, { log: stderrLogger() });
      store.flush();
      return r;
    });
    write(
      `Rebuilt the derived tables from ${result.events} stored event(s) in ${result.ms} ms: ${result.conversations} conversation(s)` +
        (result.failed ? `; ${result.failed} event(s) could not be read and were skipped (see the log).` : '.'),
    );
  });
}
