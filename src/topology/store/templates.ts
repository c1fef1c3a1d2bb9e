// NetFlow v9 / IPFIX templates as persisted, so data arriving right after a restart decodes.

export interface TemplateField {
  id: number;
  length: number;
  /** IPFIX private enterprise number; 0 for IANA IEs and all NetFlow v9 fields. */
  pen: number;
}

export interface Template {
  version: 9 | 10;
  id: number;
  /** Options templates: the first `scopeCount` fields are scope fields. */
  scopeCount: number;
  options: boolean;
  fields: TemplateField[];
}

export interface StoredTemplate {
  exporter: string;
  domain: number;
  template: Template;
}

export interface NetflowTemplateStore {
  save(exporter: string, domain: number, t: Template, now?: number): void;
  delete(exporter: string, domain: number, templateId: number): void;
  /** Every stored template; rows that do not parse (hand-edited, older format) are skipped. */
  loadAll(): StoredTemplate[];
}
