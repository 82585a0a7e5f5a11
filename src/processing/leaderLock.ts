import * as lockfile from 'proper-lockfile';
import { errorMessage } from '../shared/log';

/**
 * One writer per database file (invariant 4). proper-lockfile keeps a `<db>.lock` folder whose
 * mtime the owner refreshes; a lock not refreshed for `STALE_MS` is stale and may be taken over,
 * so a crashed (kill -9) owner cannot hold the database forever. The stale time is well above the
 * longest event-loop stall a flush causes, or a busy leader would lose its own lock.
 */
export const STALE_MS = 10_000;
const UPDATE_MS = 2_000;

export interface LeaderLock {
  /** Release the lock; safe to call twice. */
  release(): Promise<void>;
  /** True once the lock was found taken over or lost (the owner must stop writing at once). */
  readonly compromised: boolean;
}

export function lockPathFor(databasePath: string): string {
  return `${databasePath}.lock`;
}

/**
 * Try once to become the writer of `databasePath`. Resolves to undefined when another live
 * process holds the lock. `onCompromised` is called if the lock is lost later.
 */
export async function tryAcquireLeaderLock(
  databasePath: string,
  onCompromised: (err: Error) => void = () => {},
): Promise<LeaderLock | undefined> {
  let compromised = false;
  let releaseFn: (() => Promise<void>) | undefined;
  try {
    releaseFn = await lockfile.lock(databasePath, {
      realpath: false,
      lockfilePath: lockPathFor(databasePath),
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: 0,
      onCompromised: (err) => {
        compromised = true;
        onCompromised(err);
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw new Error(`Cannot take the database lock ${lockPathFor(databasePath)} (${errorMessage(err)}); check that its folder is writable.`);
  }
  let released = false;
  return {
    get compromised() {
      return compromised;
    },
    async release() {
      if (released) return;
      released = true;
      if (compromised || !releaseFn) return;
      try {
        await releaseFn();
      } catch (err) {
        // Already released or taken over: nothing of ours is left to remove.
        if ((err as NodeJS.ErrnoException).code !== 'ERELEASED') throw err;
      }
    },
  };
}
