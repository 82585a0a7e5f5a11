// The headless entry point: `blueplane <command>`. The extension forks this same file with
// `start --ipc` to host the processor, so the editor and the terminal run identical code.
import { Command, CommanderError } from 'commander';
import { hooksStatus } from './capture/hooksInstaller';
import { spoolForwarderComponent } from './capture/spoolForwarder';
import { registerCdcCommands } from './cli/cdcCommands';
import { fail, type GlobalOptions, loadCliConfig } from './cli/common';
import { registerDlqCommands } from './cli/dlqCommands';
import { registerHooksCommands } from './cli/hooksCommand';
import { registerProcessorCommands } from './cli/processorCommands';
import { registerSlowPathCommands } from './cli/slowPathCommands';
import type { Config } from './config/config';
import { openDatabaseReadOnly, withWriterLock } from './processing/databaseAccess';
import type { LeaderContext, LeaderComponent } from './processing/server';
import { metricsSummary, parseSince } from './processing/slowPath/queries';
import { formatMetricsSummary } from './processing/slowPath/queryText';
import { slowPathComponent } from './processing/slowPath/workerPool';
import type { CheckResult } from './processing/verify';

/** The leader's parts besides the fast path: the spool forwarder, and the slow path when enabled. */
export function leaderComponents(config: Config): Array<(ctx: LeaderContext) => LeaderComponent> {
  const parts: Array<(ctx: LeaderContext) => LeaderComponent> = [spoolForwarderComponent];
  if (config.slow_path.enabled) parts.push(slowPathComponent);
  return parts;
}

/** Verify's check that Cursor will actually call our hooks. */
export function hooksCheck(config: Config): () => Promise<Omit<CheckResult, 'ms'>> {
  return async () => {
    const status = hooksStatus({ config });
    const name = `Cursor hooks in ${status.hooksFile}`;
    if (status.error) return { name, state: 'fail', detail: status.error, fix: 'Fix or move the file, then run `blueplane hooks install`.' };
    if (status.hooked.length === 0) return { name, state: 'fail', detail: 'no Blueplane hooks installed', fix: 'Run `blueplane hooks install` (or Blueplane: Install Cursor Hooks).' };
    if (status.missing.length > 0 || (status.outdated?.length ?? 0) > 0) {
      return { name, state: 'warn', detail: `${status.hooked.length} events hooked, ${status.missing.length} missing`, fix: 'Run `blueplane hooks install` again to complete them.' };
    }
    return { name, state: 'pass', detail: `${status.hooked.length} events hooked (${status.mode}); spool backlog ${status.spool.files}` };
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('blueplane')
    .description("Local telemetry for Cursor's agent: hooks → Redis Streams → ~/.blueplane/telemetry.db")
    .option('-c, --config <file>', 'config file (default: $BLUEPLANE_CONFIG or $BLUEPLANE_HOME/config.yaml)')
    .showHelpAfterError()
    .exitOverride();
  const loadConfig = () => loadCliConfig(program.opts<GlobalOptions>());
  registerProcessorCommands(program, {
    components: leaderComponents,
    verifyExtras: (config) => [hooksCheck(config)],
    statsExtras: async (config, opts) => {
      const db = await openDatabaseReadOnly(config).catch(() => undefined);
      if (!db) return undefined;
      try {
        const summary = metricsSummary(db, { sinceMs: parseSince(opts.since ?? '7d') });
        return { key: 'metrics', value: summary, text: formatMetricsSummary(summary) };
      } catch (err) {
        // A database from before the slow path has no derived tables yet: say so, do not fail stats.
        return { key: 'metrics', value: null, text: `Metrics unavailable: ${(err as Error).message}` };
      } finally {
        db.close();
      }
    },
  });
  registerDlqCommands(program);
  registerCdcCommands(program);
  registerHooksCommands(program, loadConfig);
  registerSlowPathCommands(program, { loadConfig, openDatabaseReadOnly, withWriterLock });
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    fail(err);
  }
}

if (require.main === module) void main();
