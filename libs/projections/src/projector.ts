import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@reclaim/event-store';

/**
 * Turns events into rows of a read model. `apply` runs inside the runner's transaction, together
 * with the projector's checkpoint, so an event is applied exactly once even across crashes.
 */
export interface Projector {
  readonly name: string;
  /** Bump when `apply` changes meaning: the runner then rebuilds the read model from zero. */
  readonly version: number;
  /** Creates the read model's tables if missing. */
  setup(db: Database.Database): void;
  /** Empties the read model, before a rebuild. */
  reset(db: Database.Database): void;
  apply(db: Database.Database, event: RecordedEvent): void;
  /**
   * Writes what `apply` kept in memory during a page, inside the same transaction (a projector
   * may fold several events of a row before writing it once).
   */
  flush?(db: Database.Database): void;
  /** Forgets what `apply` kept in memory when the page's transaction failed. */
  discard?(): void;
}
