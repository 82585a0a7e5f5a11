/**
 * Work that may only be confirmed once the rows it wrote are on disk (invariant 2: XACK only
 * after the flush that made the row durable). The server calls `onDurable()` right after each
 * flush, and also on its flush tick when nothing was dirty. An implementation takes its pending
 * list synchronously at the start of the call, then acknowledges asynchronously.
 */
export interface FlushParticipant {
  onDurable(): Promise<void>;
}
