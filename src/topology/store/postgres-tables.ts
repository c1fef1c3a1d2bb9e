// The small stores on PostgreSQL: NetFlow templates, SNMP devices (API-created and discovered),
// captures and the stitcher's inputs. Writes are sent behind; a delete that answers whether the row
// existed, and every read, runs synchronously after them.
import type { AlertRuleStore } from './alert-rules.ts';
import type { CaptureStore } from './captures.ts';
import type { PostgresLink } from './postgres-link.ts';
import type { DiscoveredDevice, SnmpDeviceStore } from './snmp-rows.ts';
import type { InputSource, StitchInputStore, StoredInput } from './stitch-inputs.ts';
import type { NetflowTemplateStore, StoredTemplate, TemplateField } from './templates.ts';
import type { Template } from './templates.ts';

export class PostgresTemplateStore implements NetflowTemplateStore {
  constructor(private readonly link: PostgresLink) {}

  save(exporter: string, domain: number, t: Template, now = Date.now()): void {
    const fields = JSON.stringify(t.fields.map((f) => [f.id, f.length, f.pen]));
    this.link.send([
      {
        sql: `INSERT INTO netflow_templates (exporter, domain, template_id, version, options, scope_count, fields, updated_ms)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
              ON CONFLICT (exporter, domain, template_id) DO UPDATE SET version = excluded.version, options = excluded.options,
              scope_count = excluded.scope_count, fields = excluded.fields, updated_ms = excluded.updated_ms`,
        params: [exporter, domain, t.id, t.version, t.options, t.scopeCount, fields, now],
      },
    ]);
  }

  delete(exporter: string, domain: number, templateId: number): void {
    this.link.send([
      {
        sql: 'DELETE FROM netflow_templates WHERE exporter = $1 AND domain = $2 AND template_id = $3',
        params: [exporter, domain, templateId],
      },
    ]);
  }

  loadAll(): StoredTemplate[] {
    type Row = {
      exporter: string;
      domain: number;
      template_id: number;
      version: number;
      options: boolean;
      scope_count: number;
      fields: string;
    };
    const out: StoredTemplate[] = [];
    for (const r of this.link.query<Row>(
      'SELECT exporter, domain, template_id, version, options, scope_count, fields FROM netflow_templates',
    )) {
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
        template: { version: r.version, id: r.template_id, options: r.options, scopeCount: r.scope_count, fields },
      });
    }
    return out;
  }
}

/** A table of JSON bodies by id (`id, body, created_at, updated_at`), listed oldest first. */
class JsonBodyTable {
  constructor(
    protected readonly link: PostgresLink,
    private readonly table: 'snmp_devices' | 'captures' | 'alert_rules',
  ) {}

  all(): { id: string; body: unknown }[] {
    const rows = this.link.query<{ id: string; body: string }>(`SELECT id, body FROM ${this.table} ORDER BY created_at, id COLLATE "C"`);
    return rows.map((r) => ({ id: r.id, body: JSON.parse(r.body) as unknown }));
  }

  put(id: string, body: unknown, now = Date.now()): void {
    this.link.send([
      {
        sql: `INSERT INTO ${this.table} VALUES ($1, $2, $3, $3) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
        params: [id, JSON.stringify(body), now],
      },
    ]);
  }

  delete(id: string): boolean {
    return this.link.sync([{ sql: `DELETE FROM ${this.table} WHERE id = $1`, params: [id] }])[0]!.rowCount > 0;
  }
}

export class PostgresDeviceStore extends JsonBodyTable implements SnmpDeviceStore {
  constructor(link: PostgresLink) {
    super(link, 'snmp_devices');
  }

  discovered(): DiscoveredDevice[] {
    type Row = { id: string; address: string; port: number; via: string; first_seen: number; unreachable_since: number | null };
    const rows = this.link.query<Row>('SELECT * FROM snmp_discovered ORDER BY first_seen, id COLLATE "C"');
    return rows.map((r) => ({
      id: r.id,
      address: r.address,
      port: r.port,
      via: r.via,
      firstSeen: r.first_seen,
      unreachableSince: r.unreachable_since,
    }));
  }

  putDiscovered(d: DiscoveredDevice): void {
    this.link.send([
      {
        sql: `INSERT INTO snmp_discovered VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET address = excluded.address,
              port = excluded.port, via = excluded.via, first_seen = excluded.first_seen, unreachable_since = excluded.unreachable_since`,
        params: [d.id, d.address, d.port, d.via, d.firstSeen, d.unreachableSince],
      },
    ]);
  }

  deleteDiscovered(id: string): boolean {
    return this.link.sync([{ sql: 'DELETE FROM snmp_discovered WHERE id = $1', params: [id] }])[0]!.rowCount > 0;
  }
}

export class PostgresCaptureStore extends JsonBodyTable implements CaptureStore {
  constructor(link: PostgresLink) {
    super(link, 'captures');
  }
}

export class PostgresAlertRuleStore extends JsonBodyTable implements AlertRuleStore {
  constructor(link: PostgresLink) {
    super(link, 'alert_rules');
  }
}

export class PostgresStitchInputs implements StitchInputStore {
  constructor(private readonly link: PostgresLink) {}

  save(source: InputSource, reporter: string, rows: unknown[], now: number): void {
    if (rows.length === 0)
      this.link.send([{ sql: 'DELETE FROM stitch_input WHERE source = $1 AND reporter = $2', params: [source, reporter] }]);
    else
      this.link.send([
        {
          sql: `INSERT INTO stitch_input(source, reporter, rows, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (source, reporter) DO UPDATE SET rows = excluded.rows, updated_at = excluded.updated_at`,
          params: [source, reporter, JSON.stringify(rows), now],
        },
      ]);
  }

  all(): StoredInput[] {
    const rows = this.link.query<{ source: InputSource; reporter: string; rows: string; updated_at: number }>(
      'SELECT source, reporter, rows, updated_at FROM stitch_input',
    );
    return rows.map((r) => ({ source: r.source, reporter: r.reporter, rows: JSON.parse(r.rows) as unknown[], updatedAt: r.updated_at }));
  }
}
