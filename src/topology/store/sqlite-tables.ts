// The small SQLite stores: NetFlow templates, API-created SNMP devices and
// the stitcher's inputs.
import type { Database, Statement } from 'better-sqlite3';
import type { AlertRuleStore } from './alert-rules.ts';
import type { CaptureStore } from './captures.ts';
import type { DiscoveredDevice, SnmpDeviceStore } from './snmp-rows.ts';
import type { InputSource, StitchInputStore, StoredInput } from './stitch-inputs.ts';
import type { NetflowTemplateStore, StoredTemplate, Template, TemplateField } from './templates.ts';

interface TemplateRow {
  exporter: string;
  domain: number;
  template_id: number;
  version: number;
  options: number;
  scope_count: number;
  fields: string;
}

export class SqliteTemplateStore implements NetflowTemplateStore {
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private readonly selectAll: Statement;

  constructor(db: Database) {
    this.upsert =
      db.prepare(`INSERT INTO netflow_templates (exporter, domain, template_id, version, options, scope_count, fields, updated_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (exporter, domain, template_id) DO UPDATE SET version = excluded.version, options = excluded.options,
        scope_count = excluded.scope_count, fields = excluded.fields, updated_ms = excluded.updated_ms`);
    this.remove = db.prepare('DELETE FROM netflow_templates WHERE exporter = ? AND domain = ? AND template_id = ?');
    this.selectAll = db.prepare('SELECT exporter, domain, template_id, version, options, scope_count, fields FROM netflow_templates');
  }

  save(exporter: string, domain: number, t: Template, now = Date.now()): void {
    const fields = JSON.stringify(t.fields.map((f) => [f.id, f.length, f.pen]));
    this.upsert.run(exporter, domain, t.id, t.version, t.options ? 1 : 0, t.scopeCount, fields, now);
  }

  delete(exporter: string, domain: number, templateId: number): void {
    this.remove.run(exporter, domain, templateId);
  }

  loadAll(): StoredTemplate[] {
    const out: StoredTemplate[] = [];
    for (const r of this.selectAll.all() as TemplateRow[]) {
      let raw: unknown;
      try {
        raw = JSON.parse(r.fields);
      } catch {
        continue;
      }
      if (!Array.isArray(raw) || (r.version !== 9 && r.version !== 10)) continue;
      const fields: TemplateField[] = [];
      for (const f of raw) {
        if (Array.isArray(f) && f.length === 3 && f.every((x) => Number.isInteger(x))) fields.push({ id: f[0], length: f[1], pen: f[2] });
      }
      if (fields.length !== raw.length || fields.length === 0) continue;
      out.push({
        exporter: r.exporter,
        domain: r.domain,
        template: { version: r.version, id: r.template_id, options: r.options === 1, scopeCount: r.scope_count, fields },
      });
    }
    return out;
  }
}

/** A table of JSON bodies by id (`id, body, created_at, updated_at`), listed oldest first. */
class JsonBodyTable {
  private readonly selectAll: Statement;
  private readonly upsert: Statement;
  private readonly remove: Statement;

  constructor(db: Database, table: 'snmp_devices' | 'captures' | 'alert_rules') {
    this.selectAll = db.prepare(`SELECT id, body FROM ${table} ORDER BY created_at, id`);
    this.upsert = db.prepare(
      `INSERT INTO ${table} VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  }

  all(): { id: string; body: unknown }[] {
    return (this.selectAll.all() as { id: string; body: string }[]).map((r) => ({ id: r.id, body: JSON.parse(r.body) as unknown }));
  }

  put(id: string, body: unknown, now = Date.now()): void {
    this.upsert.run(id, JSON.stringify(body), now, now);
  }

  delete(id: string): boolean {
    return this.remove.run(id).changes > 0;
  }
}

export class SqliteDeviceStore extends JsonBodyTable implements SnmpDeviceStore {
  private readonly selectDiscovered: Statement;
  private readonly upsertDiscovered: Statement;
  private readonly removeDiscovered: Statement;

  constructor(db: Database) {
    super(db, 'snmp_devices');
    this.selectDiscovered = db.prepare(
      'SELECT id, address, port, via, first_seen, unreachable_since FROM snmp_discovered ORDER BY first_seen, id',
    );
    this.upsertDiscovered = db.prepare(`INSERT INTO snmp_discovered VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET
      address = excluded.address, port = excluded.port, via = excluded.via, first_seen = excluded.first_seen,
      unreachable_since = excluded.unreachable_since`);
    this.removeDiscovered = db.prepare('DELETE FROM snmp_discovered WHERE id = ?');
  }

  discovered(): DiscoveredDevice[] {
    type Row = { id: string; address: string; port: number; via: string; first_seen: number; unreachable_since: number | null };
    return (this.selectDiscovered.all() as Row[]).map((r) => ({
      id: r.id,
      address: r.address,
      port: r.port,
      via: r.via,
      firstSeen: r.first_seen,
      unreachableSince: r.unreachable_since,
    }));
  }

  putDiscovered(d: DiscoveredDevice): void {
    this.upsertDiscovered.run(d.id, d.address, d.port, d.via, d.firstSeen, d.unreachableSince);
  }

  deleteDiscovered(id: string): boolean {
    return this.removeDiscovered.run(id).changes > 0;
  }
}

export class SqliteCaptureStore extends JsonBodyTable implements CaptureStore {
  constructor(db: Database) {
    super(db, 'captures');
  }
}

export class SqliteAlertRuleStore extends JsonBodyTable implements AlertRuleStore {
  constructor(db: Database) {
    super(db, 'alert_rules');
  }
}

export class SqliteStitchInputs implements StitchInputStore {
  private readonly put: Statement;
  private readonly del: Statement;
  private readonly selectAll: Statement;

  constructor(db: Database) {
    this.put = db.prepare(`INSERT INTO stitch_input(source, reporter, rows, updated_at) VALUES (?,?,?,?)
      ON CONFLICT(source, reporter) DO UPDATE SET rows = excluded.rows, updated_at = excluded.updated_at`);
    this.del = db.prepare('DELETE FROM stitch_input WHERE source = ? AND reporter = ?');
    this.selectAll = db.prepare('SELECT source, reporter, rows, updated_at FROM stitch_input');
  }

  save(source: InputSource, reporter: string, rows: unknown[], now: number): void {
    if (rows.length === 0) this.del.run(source, reporter);
    else this.put.run(source, reporter, JSON.stringify(rows), now);
  }

  all(): StoredInput[] {
    const rows = this.selectAll.all() as { source: InputSource; reporter: string; rows: string; updated_at: number }[];
    return rows.map((r) => ({ source: r.source, reporter: r.reporter, rows: JSON.parse(r.rows) as unknown[], updatedAt: r.updated_at }));
  }
}
