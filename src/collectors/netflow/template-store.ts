// Keeps NetFlow v9 / IPFIX templates in storage so that data arriving right after a restart
// decodes without waiting for the exporter's next template refresh.
import type { NetflowTemplateStore } from '../../topology/store/templates.ts';
import type { TemplateCache, TemplateChange } from './template-cache.ts';

export type { StoredTemplate } from '../../topology/store/templates.ts';

export class TemplateStore {
  constructor(private readonly stored: NetflowTemplateStore) {}

  /** Loads stored templates into the cache, then persists its learns and withdrawals. Returns the count loaded. */
  attach(cache: TemplateCache): number {
    let n = 0;
    for (const s of this.stored.loadAll()) {
      try {
        cache.learn(s.exporter, s.domain, s.template, false);
        n++;
      } catch {
        // A row that no longer compiles is dropped; the exporter will resend it.
        this.stored.delete(s.exporter, s.domain, s.template.id);
      }
    }
    cache.onChange((c: TemplateChange) => {
      if (c.kind === 'learn') this.stored.save(c.exporter, c.domain, c.template);
      else this.stored.delete(c.exporter, c.domain, c.templateId);
    });
    return n;
  }
}
