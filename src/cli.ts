// The headless entry point: `blueplane <command>`. The extension forks this same file with
// `start --ipc` to host the processor, so the editor and the terminal run identical code.
import { Command, CommanderError } from 'commander';
import { registerDlqCommands } from './cli/dlqCommands';
import { registerProcessorCommands } from './cli/processorCommands';
import { fail } from './cli/common';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('blueplane')
    .description('Local telemetry for Cursor\'s agent: hooks → Redis Streams → ~/.blueplane/telemetry.db')
    .option('-c, --config <file>', 'config file (default: $BLUEPLANE_CONFIG or $BLUEPLANE_HOME/config.yaml)')
    .showHelpAfterError()
    .exitOverride();
  registerProcessorCommands(program, {
    components: () => [],
    verifyExtras: () => [],
  });
  registerDlqCommands(program);
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
