import type { SqliteStore } from '../database/sqliteClient';
import type { DirtyScopes } from './dirtyScopes';
import { deriveFromEvent, type DerivedFromEvent } from './eventFacts';
import type { RawEventReader } from './rawEvents';
import type { StatementCache } from './statementCache';

/** applied: new rows written · duplicate: this event was derived before · missing: no raw row. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'missing';

const INSERT_FACT = `
  INSERT INTO event_facts (
    sequence, event_id, conversation_id, generation_id, hook_type, event_type, platform, timestamp,
    event_date, workspace_hash, model, tool_name, call_id, subject, duration_ms, outcome, exit_code,
    is_error, content_hash, content_chars, attrs
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;

const INSERT_CODE_CHANGE = `
  INSERT INTO code_changes (
    event_id, file_path, source, conversation_id, generation_id, workspace_hash, timestamp,
    edit_count, lines_added, lines_removed
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;

const INSERT_TOKENS = `
  INSERT INTO token_ledger (
    event_id, conversation_id, generation_id, hook_type, timestamp, model, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, reported, counted, note
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)
  ON CONFLICT DO NOTHING`;

/**
 * Step one of the slow path, per event: decode the raw row once and write its fact, code change
 * and token report, each keyed by event_id so a second delivery writes nothing (invariant 3).
 * The scopes it touches are marked dirty for step two. The caller owns the transaction.
 */
export class FactWriter {
  constructor(
    private readonly store: SqliteStore,
    private readonly statements: StatementCache,
    private readonly reader: RawEventReader,
    private readonly dirty: DirtyScopes,
  ) {}

  apply(sequence: number, eventId?: string): ApplyOutcome {
    const raw = this.reader.read(sequence, eventId);
    if (!raw) return 'missing';
    const derived = deriveFromEvent(raw.event, raw.sequence, raw.lines);
    if (!this.insertFact(derived)) return 'duplicate';
    this.insertDependents(derived);
    const { conversation_id, generation_id, event_date } = derived.fact;
    if (conversation_id !== '') this.dirty.markGeneration(conversation_id, generation_id);
    this.dirty.mark('day', event_date);
    this.store.markDirty();
    return 'applied';
  }

  private insertFact({ fact: f }: DerivedFromEvent): boolean {
    this.statements.run(INSERT_FACT, [
      f.sequence, f.event_id, f.conversation_id, f.generation_id, f.hook_type, f.event_type, f.platform,
      f.timestamp, f.event_date, f.workspace_hash, f.model, f.tool_name, f.call_id, f.subject, f.duration_ms,
      f.outcome, f.exit_code, f.is_error ? 1 : 0, f.content_hash, f.content_chars,
      f.attrs ? JSON.stringify(f.attrs) : null,
    ]);
    return this.store.db.getRowsModified() > 0;
  }

  private insertDependents({ codeChange: c, tokens: t }: DerivedFromEvent): void {
    if (c) {
      this.statements.run(INSERT_CODE_CHANGE, [
        c.event_id, c.file_path, c.source, c.conversation_id, c.generation_id, c.workspace_hash, c.timestamp,
        c.edit_count, c.lines_added, c.lines_removed,
      ]);
    }
    if (t) {
      this.statements.run(INSERT_TOKENS, [
        t.event_id, t.conversation_id, t.generation_id, t.hook_type, t.timestamp, t.model, t.input_tokens,
        t.output_tokens, t.cache_read_tokens, t.cache_write_tokens, t.reported ? 1 : 0,
      ]);
    }
  }
}
