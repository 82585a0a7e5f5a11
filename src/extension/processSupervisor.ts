// Runs the processor as a child of the extension host: `dist/cli.js start --ipc`, the same code
// as the headless `blueplane start`. A child keeps sql.js' memory and any crash out of the editor,
// and the processor's own leader lock decides which window writes (invariant 4). No `vscode`
// import, so the restart and stop rules are tested in plain Node with a fake child.
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { IPC_STATUS, IPC_STOP, type ProcessorStatus } from '../processing/status';

export type SupervisorState = 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

export interface SupervisorSnapshot {
  state: SupervisorState;
  pid?: number;
  /** Restarts after unexpected exits since the last healthy run. */
  crashes: number;
  /** One sentence about the last unexpected exit, with the child's last log line. */
  lastExit?: string;
  /** When the next start is due (state `backoff`), epoch ms. */
  nextStartAt?: number;
}

export interface SupervisorOptions {
  /** The bundled CLI (dist/cli.js). */
  cliPath: string;
  args?: string[];
  /** Merged over process.env, so BLUEPLANE_HOME / BLUEPLANE_REDIS_URL reach the processor. */
  env?: NodeJS.ProcessEnv;
  onStatus: (status: ProcessorStatus) => void;
  onLog: (line: string, stream: 'stdout' | 'stderr') => void;
  onState: (snapshot: SupervisorSnapshot) => void;
  /** First restart delay; doubles per crash up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that ran this long counts as healthy: the next crash restarts quickly again. */
  healthyAfterMs?: number;
  /** How long a stop waits for the processor's own clean shutdown before SIGTERM. */
  stopTimeoutMs?: number;
  /** How long after SIGTERM before SIGKILL. */
  killTimeoutMs?: number;
}

const DEFAULTS = {
  initialBackoffMs: 1000,
  maxBackoffMs: 60_000,
  healthyAfterMs: 30_000,
  // The editor gives deactivate() a few seconds; the processor finishes its batch and flushes in
  // well under that, and whatever it has not acknowledged is redelivered at the next start.
  stopTimeoutMs: 4000,
  // SIGTERM starts the same bounded shutdown as the stop message (processor.shutdown_timeout_ms,
  // 10 s by default); SIGKILL only once that has had time to finish, so a slow drain is not cut
  // short and the lock is not left behind for the next window to wait out.
  killTimeoutMs: 12_000,
};

export class ProcessSupervisor {
  private readonly opts: SupervisorOptions & typeof DEFAULTS;
  private child?: ChildProcess;
  private childExited?: Promise<void>;
  private startedAt = 0;
  private backoffTimer?: NodeJS.Timeout;
  private snap: SupervisorSnapshot = { state: 'idle', crashes: 0 };
  private lastLogLine = '';
  private disposed = false;
  private stopping?: Promise<void>;

  constructor(options: SupervisorOptions) {
    this.opts = { ...DEFAULTS, ...options };
  }

  snapshot(): SupervisorSnapshot {
    return { ...this.snap };
  }

  /** Fork the processor (no-op when one is running or after stop()). */
  start(): void {
    if (this.disposed || this.child) return;
    this.clearBackoff();
    this.spawn();
  }

  /** Stop the running child cleanly and start a fresh one, with the crash count reset. */
  async restart(): Promise<void> {
    if (this.disposed) return;
    this.clearBackoff();
    await this.stopChild();
    // stop() may have come while we waited: never fork after it.
    if (this.disposed) return;
    this.snap = { state: 'idle', crashes: 0 };
    this.spawn();
  }

  /** Stop for good (deactivate). Idempotent: every call returns the same promise. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.disposed = true;
      this.clearBackoff();
      await this.stopChild();
      this.setState({ state: 'stopped', pid: undefined, nextStartAt: undefined });
    })();
    return this.stopping;
  }

  private spawn(): void {
    if (this.disposed) return;
    let child: ChildProcess;
    try {
      child = fork(this.opts.cliPath, this.opts.args ?? ['start', '--ipc'], {
        // ELECTRON_RUN_AS_NODE: in Cursor the extension host is Electron, and fork() starts
        // process.execPath; this makes that binary behave as plain Node (harmless under Node).
        env: { ...process.env, ...this.opts.env, ELECTRON_RUN_AS_NODE: '1' },
        // The extension host may run with --inspect and similar flags; the processor must not
        // inherit them (a second debugger on the same port fails to start).
        execArgv: [],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    } catch (err) {
      this.onExit(`The processor could not be started (${(err as Error).message})`);
      return;
    }
    this.child = child;
    this.startedAt = Date.now();
    this.setState({ state: 'starting', pid: child.pid, nextStartAt: undefined });
    this.pipeLines(child, 'stdout');
    this.pipeLines(child, 'stderr');
    child.on('message', (message: unknown) => {
      if (!isStatusMessage(message)) return;
      if (this.snap.state === 'starting') this.setState({ state: 'running' });
      this.opts.onStatus(message.status);
    });
    this.childExited = new Promise<void>((resolve) => {
      let settled = false;
      const settle = (why: string) => {
        if (settled) return;
        settled = true;
        if (this.child === child) this.child = undefined;
        resolve();
        if (this.snap.state !== 'stopping') this.onExit(why);
      };
      child.once('exit', (code, signal) => settle(signal ? `The processor was killed by ${signal}` : `The processor exited with code ${code}`));
      // 'error' without 'exit' happens when the fork itself fails (a missing dist/cli.js).
      child.once('error', (err) => settle(`The processor failed (${err.message})`));
    });
  }

  private pipeLines(child: ChildProcess, stream: 'stdout' | 'stderr'): void {
    const source = child[stream];
    if (!source) return;
    createInterface({ input: source }).on('line', (line) => {
      if (line.trim() !== '') this.lastLogLine = line;
      this.opts.onLog(line, stream);
    });
  }

  /** An unexpected exit: restart later, waiting longer after each quick crash. */
  private onExit(why: string): void {
    if (this.disposed) return;
    const ranMs = Date.now() - this.startedAt;
    const crashes = ranMs >= this.opts.healthyAfterMs ? 1 : this.snap.crashes + 1;
    const delay = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** (crashes - 1));
    const last = this.lastLogLine ? `; its last log line: ${this.lastLogLine.slice(0, 300).replace(/[.\s]+$/, '')}` : '';
    const wait = delay < 1000 ? `${delay} ms` : `${Math.round(delay / 1000)} s`;
    const lastExit = `${why}${last}. Restarting in ${wait}; see Blueplane: Show Logs.`;
    this.opts.onLog(lastExit, 'stderr');
    this.setState({ state: 'backoff', pid: undefined, crashes, lastExit, nextStartAt: Date.now() + delay });
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (!this.disposed && !this.child) this.spawn();
    }, delay);
  }

  /** Ask the child to stop (it finishes the batch, flushes, acks), then insist. */
  private async stopChild(): Promise<void> {
    const child = this.child;
    const exited = this.childExited;
    if (!child || !exited) return;
    this.setState({ state: 'stopping' });
    const waitExit = (ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        void exited.then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    if (child.connected) {
      // The channel may close between the check and the send; exit is then on its way anyway.
      child.send({ type: IPC_STOP }, (err) => {
        if (err) child.kill('SIGTERM');
      });
    } else {
      child.kill('SIGTERM');
    }
    if (!(await waitExit(this.opts.stopTimeoutMs))) {
      this.opts.onLog(`The processor did not stop within ${this.opts.stopTimeoutMs} ms; sending SIGTERM.`, 'stderr');
      child.kill('SIGTERM');
      if (!(await waitExit(this.opts.killTimeoutMs))) {
        this.opts.onLog('The processor ignored SIGTERM; killing it. Unacknowledged events are redelivered at the next start.', 'stderr');
        child.kill('SIGKILL');
        await waitExit(this.opts.killTimeoutMs);
      }
    }
    this.child = undefined;
    this.setState({ state: 'idle', pid: undefined });
  }

  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }

  private setState(change: Partial<SupervisorSnapshot>): void {
    this.snap = { ...this.snap, ...change };
    this.opts.onState(this.snapshot());
  }
}

function isStatusMessage(message: unknown): message is { type: typeof IPC_STATUS; status: ProcessorStatus } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === IPC_STATUS && 'status' in message;
}
