import type Database from 'better-sqlite3';

/**
 * Schema migrations of the embedded store, applied in order inside one transaction each. Append
 * new ones at the end; never edit one that has shipped.
 */
export const migrations: Array<{ version: number; up: string }> = [
  {
    version: 1,
    up: `
      CREATE TABLE events (
        position     INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_name  TEXT    NOT NULL,
        revision     INTEGER NOT NULL,
        event_id     TEXT    NOT NULL,
        type         TEXT    NOT NULL,
        data         TEXT    NOT NULL,
        metadata     TEXT    NOT NULL,
        recorded_at  TEXT    NOT NULL,
        UNIQUE (stream_name, revision),
        UNIQUE (stream_name, event_id)
      );
      -- The head of each stream: the revision check reads it, and the audit compares against it
      -- so that removing a stream's last event is detected too.
      CREATE TABLE streams (
        stream_name  TEXT PRIMARY KEY,
        revision     INTEGER NOT NULL,
        hash         TEXT    NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    // Positions come from the rowid alone. AUTOINCREMENT kept a sequence table that every
    // append rewrote: one more page written and synced per commit. Its only promise beyond the
    // rowid's is not reusing the position of a deleted last event, and the log never deletes
    // (a removed last event is what the audit finds through the stream heads). SQLite cannot
    // drop AUTOINCREMENT from a table, so the table is copied, positions and all.
    up: `
      CREATE TABLE events_by_rowid (
        position     INTEGER PRIMARY KEY,
        stream_name  TEXT    NOT NULL,
        revision     INTEGER NOT NULL,
        event_id     TEXT    NOT NULL,
        type         TEXT    NOT NULL,
        data         TEXT    NOT NULL,
        metadata     TEXT    NOT NULL,
        recorded_at  TEXT    NOT NULL,
        UNIQUE (stream_name, revision),
        UNIQUE (stream_name, event_id)
      );
      INSERT INTO events_by_rowid
        SELECT position, stream_name, revision, event_id, type, data, metadata, recorded_at FROM events ORDER BY position;
      DROP TABLE events;
      ALTER TABLE events_by_rowid RENAME TO events;
    `,
  },
];

export function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  for (const migration of migrations) {
    // Checked inside the write transaction: processes opening a new file at the same moment
    // each find the migrations another one has already applied, and skip them.
    db.transaction(() => {
      if (applied.get(migration.version)) return;
      db.exec(migration.up);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        new Date().toISOString(),
      );
    }).immediate();
  }
}
