// Templates keyed by (exporter address, source ID / observation domain, template ID), each with its
// compiled decode plan. Listeners see every learn/withdraw so the store can persist them.
import { planFor, templateSignature, type Plan, type Template } from './plan.ts';

export interface CachedTemplate {
  exporter: string;
  domain: number;
  template: Template;
  plan: Plan;
  signature: string;
}

export type TemplateChange =
  | { kind: 'learn'; exporter: string; domain: number; template: Template }
  | { kind: 'withdraw'; exporter: string; domain: number; templateId: number };

export function templateKey(exporter: string, domain: number, id: number): string {
  return `${exporter}|${domain}|${id}`;
}

/** Domain (32 bits) and template ID (16 bits) as one exact number key. */
const domainId = (domain: number, id: number): number => domain * 65_536 + id;

export class TemplateCache {
  private map = new Map<string, CachedTemplate>();
  /**
   * The same entries by exporter, then domain × 2^16 + ID: the per-set lookup builds no key text
   * (hashing a fresh string per data set was a tenth of the IPFIX receive thread).
   */
  private byExporter = new Map<string, Map<number, CachedTemplate>>();
  private listeners: ((c: TemplateChange) => void)[] = [];
  /** Templates dropped because the cache was full (oldest first). */
  evicted = 0;

  constructor(private readonly maxTemplates = 65_536) {}

  onChange(fn: (c: TemplateChange) => void): void {
    this.listeners.push(fn);
  }

  get size(): number {
    return this.map.size;
  }

  get(exporter: string, domain: number, id: number): CachedTemplate | undefined {
    return this.byExporter.get(exporter)?.get(domainId(domain, id));
  }

  private index(e: CachedTemplate): void {
    let m = this.byExporter.get(e.exporter);
    if (!m) this.byExporter.set(e.exporter, (m = new Map()));
    m.set(domainId(e.domain, e.template.id), e);
  }

  private unindex(e: CachedTemplate): void {
    const m = this.byExporter.get(e.exporter);
    if (!m) return;
    m.delete(domainId(e.domain, e.template.id));
    if (m.size === 0) this.byExporter.delete(e.exporter);
  }

  /** Returns the entry and whether it changed (an identical re-announcement is not a change). */
  learn(exporter: string, domain: number, template: Template, notify = true): { entry: CachedTemplate; changed: boolean } {
    const key = templateKey(exporter, domain, template.id);
    const signature = templateSignature(template);
    const cur = this.map.get(key);
    if (cur && cur.signature === signature) return { entry: cur, changed: false };
    if (!cur && this.map.size >= this.maxTemplates) {
      const oldest = this.map.entries().next().value;
      if (oldest !== undefined) {
        this.map.delete(oldest[0]);
        this.unindex(oldest[1]);
        this.evicted++;
      }
    }
    const entry: CachedTemplate = { exporter, domain, template, plan: planFor(template), signature };
    this.map.set(key, entry);
    this.index(entry);
    if (notify) for (const l of this.listeners) l({ kind: 'learn', exporter, domain, template });
    return { entry, changed: true };
  }

  withdraw(exporter: string, domain: number, id: number, notify = true): boolean {
    const key = templateKey(exporter, domain, id);
    const cur = this.map.get(key);
    const ok = this.map.delete(key);
    if (cur) this.unindex(cur);
    if (ok && notify) for (const l of this.listeners) l({ kind: 'withdraw', exporter, domain, templateId: id });
    return ok;
  }

  /** IPFIX "withdraw all" (template ID 2 / 3): every data or every options template of the domain. */
  withdrawAll(exporter: string, domain: number, options: boolean): number {
    let n = 0;
    for (const e of [...this.map.values()]) {
      if (e.exporter === exporter && e.domain === domain && e.template.options === options && e.template.version === 10) {
        if (this.withdraw(exporter, domain, e.template.id)) n++;
      }
    }
    return n;
  }

  *entries(): IterableIterator<CachedTemplate> {
    yield* this.map.values();
  }
}
