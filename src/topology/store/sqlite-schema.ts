// Tables of the embedded graph store. Live elements in nodes/edges; every replaced or deleted
// revision in history (valid_from..valid_to), which At(t) and retention work on.
import type { Database } from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

export function migrate(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS nodes (
      id TEXT PRIMARY KEY, type TEXT, name TEXT, host TEXT NOT NULL, origin TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL, metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS nodes_type ON nodes(type);
    CREATE INDEX IF NOT EXISTS nodes_name ON nodes(name);
    CREATE INDEX IF NOT EXISTS nodes_origin ON nodes(origin);
    CREATE TABLE IF NOT EXISTS edges (
      id TEXT PRIMARY KEY, parent TEXT NOT NULL, child TEXT NOT NULL, relation TEXT,
      host TEXT NOT NULL, origin TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL, metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS edges_parent ON edges(parent);
    CREATE INDEX IF NOT EXISTS edges_child ON edges(child);
    CREATE INDEX IF NOT EXISTS edges_relation ON edges(relation);
    CREATE INDEX IF NOT EXISTS edges_origin ON edges(origin);
    -- value has no declared type so 7 and '7' stay distinct, as they are in Metadata.
    CREATE TABLE IF NOT EXISTS node_keys (key TEXT NOT NULL, value, id TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS node_keys_kv ON node_keys(key, value);
    CREATE INDEX IF NOT EXISTS node_keys_id ON node_keys(id);
    CREATE TABLE IF NOT EXISTS history (
      kind TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL,
      valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL, deleted_at INTEGER,
      type TEXT, name TEXT, parent TEXT, child TEXT, relation TEXT,
      host TEXT NOT NULL, origin TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS history_id ON history(id, valid_to);
    CREATE INDEX IF NOT EXISTS history_valid_to ON history(valid_to);
    CREATE INDEX IF NOT EXISTS history_valid_from ON history(kind, valid_from);
    CREATE INDEX IF NOT EXISTS history_type ON history(type);
    CREATE INDEX IF NOT EXISTS history_name ON history(name);
    CREATE INDEX IF NOT EXISTS history_parent ON history(parent);
    CREATE INDEX IF NOT EXISTS history_child ON history(child);
    CREATE TABLE IF NOT EXISTS aliases (key TEXT PRIMARY KEY, id TEXT NOT NULL, created_at INTEGER NOT NULL);
  `);
  db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO NOTHING`).run(String(SCHEMA_VERSION));
}
