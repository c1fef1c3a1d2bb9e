// The stitcher's own table: the latest input set per (source, reporter), so a restart re-derives
// the same links from the same evidence (IDs are deterministic; aliases live in the store).
import type { Database, Statement } from 'better-sqlite3';

export type InputSource = 'lldp-snmp' | 'lldp-agent' | 'cdp' | 'fdb' | 'lag';

export interface StoredInput {
  source: InputSource;
  reporter: string;
  rows: unknown[];
  updatedAt: number;
}

export const inputKey = (source: string, reporter: string) => `${source}\u001f${reporter}`;

export class InputsTable {
  private readonly put: Statement;
  private readonly del: Statement;

  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS stitch_input (
      source TEXT NOT NULL, reporter TEXT NOT NULL, rows TEXT NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (source, reporter))`);
    this.put = db.prepare(`INSERT INTO stitch_input(source, reporter, rows, updated_at) VALUES (?,?,?,?)
      ON CONFLICT(source, reporter) DO UPDATE SET rows = excluded.rows, updated_at = excluded.updated_at`);
    this.del = db.prepare('DELETE FROM stitch_input WHERE source = ? AND reporter = ?');
  }

  save(source: InputSource, reporter: string, rows: unknown[], now: number): void {
    if (rows.length === 0) this.del.run(source, reporter);
    else this.put.run(source, reporter, JSON.stringify(rows), now);
  }

  all(): StoredInput[] {
    const rows = this.db.prepare('SELECT source, reporter, rows, updated_at FROM stitch_input').all() as { source: InputSource; reporter: string; rows: string; updated_at: number }[];
    return rows.map((r) => ({ source: r.source, reporter: r.reporter, rows: JSON.parse(r.rows) as unknown[], updatedAt: r.updated_at }));
  }
}
