// Persists NetFlow v9 / IPFIX templates in the collector's SQLite database so that data arriving
// right after a restart decodes without waiting for the exporter's next template refresh.
import type { Database, Statement } from 'better-sqlite3';
import type { Template, TemplateField } from './plan.ts';
import type { TemplateCache, TemplateChange } from './template-cache.ts';

interface Row {
  exporter: string;
  domain: number;
  template_id: number;
  version: number;
  options: number;
  scope_count: number;
  fields: string;
}

export interface StoredTemplate {
  exporter: string;
  domain: number;
  template: Template;
}

export class TemplateStore {
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private readonly selectAll: Statement;

  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS netflow_templates (
      exporter TEXT NOT NULL,
      domain INTEGER NOT NULL,
      template_id INTEGER NOT NULL,
      version INTEGER NOT NULL,
      options INTEGER NOT NULL,
      scope_count INTEGER NOT NULL,
      fields TEXT NOT NULL,
      updated_ms INTEGER NOT NULL,
      PRIMARY KEY (exporter, domain, template_id)
    )`);
    this.upsert = db.prepare(`INSERT INTO netflow_templates (exporter, domain, template_id, version, options, scope_count, fields, updated_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (exporter, domain, template_id) DO UPDATE SET version = excluded.version, options = excluded.options,
        scope_count = excluded.scope_count, fields = excluded.fields, updated_ms = excluded.updated_ms`);
    this.remove = db.prepare('DELETE FROM netflow_templates WHERE exporter = ? AND domain = ? AND template_id = ?');
    this.selectAll = db.prepare('SELECT exporter, domain, template_id, version, options, scope_count, fields FROM netflow_templates');
  }

  save(exporter: string, domain: number, t: Template): void {
    const fields = JSON.stringify(t.fields.map((f) => [f.id, f.length, f.pen]));
    this.upsert.run(exporter, domain, t.id, t.version, t.options ? 1 : 0, t.scopeCount, fields, Date.now());
  }

  delete(exporter: string, domain: number, templateId: number): void {
    this.remove.run(exporter, domain, templateId);
  }

  /** Every stored template; rows that fail to parse (hand-edited, older format) are skipped. */
  loadAll(): StoredTemplate[] {
    const out: StoredTemplate[] = [];
    for (const r of this.selectAll.all() as Row[]) {
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

  /** Loads stored templates into the cache, then persists its learns and withdrawals. Returns the count loaded. */
  attach(cache: TemplateCache): number {
    let n = 0;
    for (const s of this.loadAll()) {
      try {
        cache.learn(s.exporter, s.domain, s.template, false);
        n++;
      } catch {
        // A row that no longer compiles is dropped; the exporter will resend it.
        this.delete(s.exporter, s.domain, s.template.id);
      }
    }
    cache.onChange((c: TemplateChange) => {
      if (c.kind === 'learn') this.save(c.exporter, c.domain, c.template);
      else this.delete(c.exporter, c.domain, c.templateId);
    });
    return n;
  }
}
