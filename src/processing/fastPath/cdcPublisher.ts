import type { Redis } from 'ioredis';
import { priorityFor } from '../../shared/eventTypes';
import type { EncodedRow } from './encode';

export interface CdcRecord {
  sequence: number;
  event: EncodedRow['cdc'];
}

/** The fields of one `cdc:events` entry (reference/wire-format.md §3). */
export function cdcFields(record: CdcRecord): string[] {
  const e = record.event;
  return [
    'sequence', String(record.sequence),
    'event_id', e.event_id,
    'event_type', e.event_type,
    'session_id', e.session_id,
    'platform', e.platform,
    'timestamp', e.timestamp,
    'priority', String(priorityFor(e.event_type)),
  ];
}

/**
 * Announces durable rows on the CDC stream. It only queues commands on a pipeline the caller
 * executes together with the XACKs, so publishing costs the fast path one round trip per flush,
 * not one per event, and never waits on a consumer.
 */
export class CDCPublisher {
  constructor(
    private readonly stream: string,
    private readonly maxlen: number,
  ) {}

  queue(pipeline: ReturnType<Redis['pipeline']>, records: CdcRecord[]): void {
    for (const record of records) {
      pipeline.xadd(this.stream, 'MAXLEN', '~', String(this.maxlen), '*', ...cdcFields(record));
    }
  }
}
