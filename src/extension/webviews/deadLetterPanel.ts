import * as vscode from 'vscode';
import type { Config } from '../../config/config';
import {
  type DeadLetter,
  deleteDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  retryDeadLetter,
} from '../../processing/fastPath/deadLetters';
import { errorMessage, type Logger } from '../../shared/log';
import { RedisHandle } from '../redisHandle';
import { PanelBase, SingleFlight } from './panelBase';
import { createPanel } from './panelFactory';
import type { DeadLetterRow, DeadLettersFromWebview, DeadLettersToWebview } from './protocol';

export interface DeadLetterPanelDeps {
  extensionUri: vscode.Uri;
  config: () => Config;
  log: Logger;
  /** Open one dead letter, in full, in a read-only editor. */
  inspect: (stream: string, id: string) => Promise<void>;
}

/** Newest first; the panel says how many more there are. */
const LIST_LIMIT = 200;
/** New dead letters appear without a click while the panel is visible. */
const REFRESH_MS = 3000;

/** Blueplane: Show Dead Letter Queue: list, inspect, retry one or all, delete, purge. */
export class DeadLetterPanel extends PanelBase<DeadLettersToWebview, DeadLettersFromWebview> {
  static readonly viewType = 'blueplane.deadLetters';
  private static current: DeadLetterPanel | undefined;

  private readonly redis: RedisHandle;
  private readonly timer: NodeJS.Timeout;
  private readonly refreshing = new SingleFlight();
  private busy = false;

  static show(deps: DeadLetterPanelDeps): void {
    if (DeadLetterPanel.current) {
      DeadLetterPanel.current.panel.reveal();
      void DeadLetterPanel.current.refresh();
      return;
    }
    DeadLetterPanel.current = new DeadLetterPanel(
      createPanel(deps.extensionUri, DeadLetterPanel.viewType, 'Blueplane: Dead Letter Queue', 'deadLetters.js'),
      deps,
    );
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly deps: DeadLetterPanelDeps,
  ) {
    super(panel);
    this.redis = new RedisHandle(deps.config, 'blueplane-extension-dlq');
    this.timer = setInterval(() => {
      if (this.panel.visible && !this.busy) void this.refresh();
    }, REFRESH_MS);
  }

  protected async onMessage(message: DeadLettersFromWebview): Promise<void> {
    if (message.type === 'ready' || message.type === 'refresh') return this.refresh();
    if (message.type === 'inspect') {
      return this.deps.inspect(this.deps.config().streams.dlq, message.id).catch((err: unknown) => {
        void vscode.window.showErrorMessage(`Cannot open dead letter ${message.id}: ${errorMessage(err)}`);
      });
    }
    await this.act(async () => {
      const { dlq, events } = this.deps.config().streams;
      const redis = await this.redis.get();
      switch (message.type) {
        case 'retry': {
          const newId = await retryDeadLetter(redis, dlq, message.id, events);
          this.done(`Dead letter ${message.id} was put back on its stream as ${newId}.`);
          break;
        }
        case 'retryAll': {
          const letters = (await listDeadLetters(redis, dlq, 100_000)).filter((l) => l.canRetry);
          if (letters.length === 0) return this.done('No dead letter can be retried.');
          if (!(await confirm(`Put all ${letters.length} retryable dead letters back on their streams?`, 'Retry All'))) return;
          for (const l of letters) await retryDeadLetter(redis, dlq, l.id, events);
          this.done(`${letters.length} dead letters were put back on their streams.`);
          break;
        }
        case 'delete': {
          if (!(await confirm(`Delete dead letter ${message.id}? Its event cannot be retried afterwards.`, 'Delete'))) return;
          const deleted = await deleteDeadLetter(redis, dlq, message.id);
          this.done(deleted ? `Dead letter ${message.id} was deleted.` : `Dead letter ${message.id} was already gone.`);
          break;
        }
        case 'purge': {
          const total = await redis.xlen(dlq);
          if (!(await confirm(`Delete all ${total} dead letters in ${dlq}? Their events cannot be retried afterwards.`, 'Purge'))) return;
          const n = await purgeDeadLetters(redis, dlq);
          this.done(`${n} dead letters were deleted.`);
          break;
        }
      }
    });
  }

  /** Run one action with the buttons disabled, then show the list as it is now. */
  private async act(action: () => Promise<void>): Promise<void> {
    this.setBusy(true);
    try {
      await action();
    } catch (err) {
      this.post({ type: 'error', error: errorMessage(err) });
      void vscode.window.showErrorMessage(errorMessage(err));
    } finally {
      this.setBusy(false);
      await this.refresh();
    }
  }

  private done(message: string): void {
    this.deps.log.info(message);
    void vscode.window.showInformationMessage(message);
  }

  /** Read the list; concurrent calls (timer and click) share one read. */
  private refresh(): Promise<void> {
    return this.refreshing.run(async () => {
      const { dlq } = this.deps.config().streams;
      try {
        const redis = await this.redis.get();
        const [total, letters] = await Promise.all([redis.xlen(dlq), listDeadLetters(redis, dlq, LIST_LIMIT)]);
        this.post({ type: 'letters', stream: dlq, total, rows: letters.map(toRow), refreshedAt: new Date().toISOString() });
      } catch (err) {
        this.post({ type: 'error', error: errorMessage(err) });
      }
    });
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.post({ type: 'busy', busy });
  }

  protected onDispose(): void {
    DeadLetterPanel.current = undefined;
    clearInterval(this.timer);
    void this.redis.close();
  }
}

async function confirm(question: string, action: string): Promise<boolean> {
  return (await vscode.window.showWarningMessage(question, { modal: true }, action)) === action;
}

export function toRow(l: DeadLetter): DeadLetterRow {
  return {
    id: l.id,
    queuedAt: l.queuedAt,
    errorType: l.errorType,
    errorMessage: l.errorMessage,
    originalEventId: l.originalEventId,
    hookType: l.originalFields?.hook_type ?? 'unknown',
    deliveries: l.deliveries,
    canRetry: l.canRetry,
  };
}
