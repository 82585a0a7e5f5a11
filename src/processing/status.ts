import { readFileSync } from 'node:fs';

/**
 * What the processor reports about itself: written to BLUEPLANE_HOME/status.json by the leader
 * (so passive processors, other windows and the CLI can show it) and sent over IPC to the
 * extension that forked it.
 */
export interface ProcessorStatus {
  role: 'starting' | 'leader' | 'passive' | 'stopping' | 'stopped' | 'error';
  pid: number;
  /** PID of the process that owns the database (this one when leader). */
  leaderPid?: number;
  startedAt: string;
  updatedAt: string;
  redis: { state: 'up' | 'down'; url: string; error?: string };
  /** One sentence naming the cause and the fix, when something is wrong. */
  error?: string;
  warnings: string[];
  database: { path: string; bytes: number; rows: number; lastFlushAt?: string; lastFlushMs?: number; flushIntervalMs?: number; flushShare?: number };
  fastPath: {
    read: number;
    written: number;
    duplicates: number;
    deadLettered: number;
    failures: number;
    batches: number;
    acked: number;
    cdcPublished: number;
    batchP50Ms: number | null;
    batchP95Ms: number | null;
    /** Dispatch to rows written: encoding on a worker thread plus the insert. */
    batchEndToEndP50Ms?: number | null;
    batchEndToEndP95Ms?: number | null;
    compressionRatio: number | null;
    ratePerSec: number;
  };
  streams: { eventsLength: number | null; lag: number | null; pending: number | null; dlqLength: number | null; cdcLength: number | null };
  spool?: { backlog: number; forwarded: number; dropped: number; parseFailures: number };
  slowPath?: Record<string, number | string | null>;
}

export const IPC_STATUS = 'blueplane/status';
export const IPC_STOP = 'blueplane/stop';

export interface StatusMessage {
  type: typeof IPC_STATUS;
  status: ProcessorStatus;
}

export function readStatusFile(file: string): ProcessorStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProcessorStatus;
  } catch {
    // No leader yet, or a leader that never wrote one: the caller shows "no processor".
    return undefined;
  }
}

/** Whether a status file is recent enough to trust (a crashed leader stops refreshing it). */
export function isFresh(status: ProcessorStatus | undefined, maxAgeMs = 10_000): status is ProcessorStatus {
  return !!status && Date.now() - Date.parse(status.updatedAt) < maxAgeMs;
}
