// The messages between each panel and its webview script (media/*.js), typed in one file
// (STYLE.md, gitlens' protocol.ts). The media scripts import these types through JSDoc and are
// type-checked with tsconfig.media.json, so both sides agree. Plain data only: no functions.
import type { CdcHealth } from '../../processing/cdcHealth';
import type { VerifyReport } from '../../processing/verify';

/** Every webview script says it is ready before it is sent data (messages sent earlier are lost). */
export interface ReadyMessage {
  type: 'ready';
}

// --- Verify Pipeline ---------------------------------------------------------------------------

export type VerifyToWebview =
  | { type: 'running'; startedAt: string }
  | { type: 'report'; report: VerifyReport; finishedAt: string }
  | { type: 'failed'; error: string };

export type VerifyFromWebview = ReadyMessage | { type: 'rerun' } | { type: 'copy' };

// --- Dead letter queue ---------------------------------------------------------------------------

/** One dead letter as the list shows it; the full entry opens read-only in an editor. */
export interface DeadLetterRow {
  id: string;
  queuedAt: string;
  errorType: string;
  errorMessage: string;
  originalEventId: string;
  hookType: string;
  deliveries: number;
  canRetry: boolean;
}

export type DeadLettersToWebview =
  | { type: 'letters'; stream: string; total: number; rows: DeadLetterRow[]; refreshedAt: string }
  | { type: 'error'; error: string }
  | { type: 'busy'; busy: boolean };

export type DeadLettersFromWebview =
  | ReadyMessage
  | { type: 'refresh' }
  | { type: 'inspect'; id: string }
  | { type: 'retry'; id: string }
  | { type: 'retryAll' }
  | { type: 'delete'; id: string }
  | { type: 'purge' };

// --- CDC stream health ---------------------------------------------------------------------------

export type CdcToWebview = { type: 'health'; health: CdcHealth } | { type: 'error'; error: string };

export type CdcFromWebview = ReadyMessage | { type: 'refresh' };
