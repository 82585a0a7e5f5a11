// Runs a one-shot `blueplane` command in a child process and parses its --json output. Verify
// loads the whole database into sql.js to check it; doing that in a child keeps the memory (and
// any crash) out of the editor's extension host, and runs exactly what `blueplane verify` runs.
import { fork } from 'node:child_process';

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export function runCliJson<T>(cliPath: string, args: string[], options: CliRunOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(cliPath, args, {
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const command = `blueplane ${args.join(' ')}`;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`\`${command}\` did not finish within ${Math.round(options.timeoutMs / 1000)} s; see Blueplane: Show Logs.`));
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`\`${command}\` could not be started (${err.message}).`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        // No JSON: the CLI failed before reporting; its last stderr line is the one sentence.
        const last = stderr.trim().split('\n').pop()?.replace(/^blueplane:\s*/, '');
        reject(new Error(last || `\`${command}\` ${signal ? `was killed by ${signal}` : `exited with code ${code}`} without a report.`));
      }
    });
  });
}
