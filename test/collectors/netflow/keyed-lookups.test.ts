// The per-message lookups of the NetFlow/IPFIX decoder keyed by numbers under the exporter
// (template-cache.ts, sequence-check.ts, sampling.ts): the same answers as the text keys they
// replaced, through learning, withdrawing, eviction and the spoofing bounds.
import { describe, expect, it } from 'vitest';
import { TemplateCache } from '../../../src/collectors/netflow/template-cache.ts';
import { SequenceCheck } from '../../../src/collectors/netflow/sequence-check.ts';
import { SamplingResolver } from '../../../src/collectors/netflow/sampling.ts';
import { SystemInitTimes } from '../../../src/collectors/netflow/system-init.ts';
import type { Template } from '../../../src/topology/store/templates.ts';

const tpl = (id: number, extra = 0): Template => ({
  version: 10,
  id,
  scopeCount: 0,
  options: false,
  fields: [{ id: 8, length: 4, pen: 0 }, { id: 12, length: 4, pen: 0 }, ...(extra ? [{ id: 7, length: 2, pen: 0 }] : [])],
});

describe('template cache lookups', () => {
  it('finds what it learned by exporter, domain and ID; not across them; not after a withdraw', () => {
    const c = new TemplateCache();
    c.learn('192.0.2.1', 0, tpl(256));
    c.learn('192.0.2.1', 1, tpl(256, 1));
    c.learn('192.0.2.2', 0, tpl(257));
    // Domain 2^32-1 and ID 65535 do not collide with a neighbouring pair.
    c.learn('192.0.2.1', 0xffffffff, tpl(65_535));
    expect(c.get('192.0.2.1', 0, 256)?.template.fields).toHaveLength(2);
    expect(c.get('192.0.2.1', 1, 256)?.template.fields).toHaveLength(3);
    expect(c.get('192.0.2.1', 0, 257)).toBeUndefined();
    expect(c.get('192.0.2.2', 0, 257)?.exporter).toBe('192.0.2.2');
    expect(c.get('192.0.2.1', 0xffffffff, 65_535)?.domain).toBe(0xffffffff);
    expect(c.get('192.0.2.1', 0xfffffffe, 65_535)).toBeUndefined();
    // Re-learned with other fields: the lookup sees the new one.
    c.learn('192.0.2.1', 0, tpl(256, 1));
    expect(c.get('192.0.2.1', 0, 256)?.template.fields).toHaveLength(3);
    expect(c.withdraw('192.0.2.1', 0, 256)).toBe(true);
    expect(c.get('192.0.2.1', 0, 256)).toBeUndefined();
    expect(c.withdrawAll('192.0.2.1', 1, false)).toBe(1);
    expect(c.get('192.0.2.1', 1, 256)).toBeUndefined();
    expect(c.size).toBe(2);
  });

  it('an evicted template (cache full, oldest first) is no longer found', () => {
    const c = new TemplateCache(3);
    for (let id = 256; id < 260; id++) c.learn('192.0.2.9', 7, tpl(id));
    expect(c.evicted).toBe(1);
    expect(c.get('192.0.2.9', 7, 256)).toBeUndefined();
    for (let id = 257; id < 260; id++) expect(c.get('192.0.2.9', 7, id)?.template.id).toBe(id);
  });
});

describe('sequence check', () => {
  it('follows each exporter and domain apart', () => {
    const s = new SequenceCheck();
    expect(s.check('a', 1, 100, 5)).toBe(0);
    expect(s.check('a', 2, 7, 1)).toBe(0);
    expect(s.check('b', 1, 50, 1)).toBe(0);
    expect(s.check('a', 1, 105, 5)).toBe(0);
    expect(s.check('a', 1, 113, 5)).toBe(3);
    expect(s.check('a', 2, 8, 1)).toBe(0);
    expect(s.check('b', 1, 52, 1)).toBe(1);
    expect(s.gaps).toBe(2);
  });

  it('forgets every stream past 65,536 of them (spoofed sources), then counts afresh', () => {
    const s = new SequenceCheck();
    for (let d = 0; d < 65_536; d++) s.check('x', d, 1, 1);
    expect(s.check('x', 0, 2, 1)).toBe(0); // still known: 2 follows 1
    s.check('y', 0, 1, 1); // the 65,537th: all forgotten
    expect(s.check('x', 0, 10, 1)).toBe(0); // a first sight again, no gap
    expect(s.check('y', 0, 5, 1)).toBe(3); // y kept since: 2, 3, 4 missing
  });
});

describe('options-learned sampling rates', () => {
  it('per exporter and domain, sampler first, then the domain-wide rate', () => {
    const r = new SamplingResolver();
    r.learnOptionsRate('192.0.2.1', 0, 3, 100);
    r.learnOptionsRate('192.0.2.1', 1, 0xffffffff, 512);
    expect(r.optionsRate('192.0.2.1', 0, 3)).toBe(100);
    expect(r.optionsRate('192.0.2.1', 0, undefined)).toBe(100); // the one sampler announced
    expect(r.optionsRate('192.0.2.1', 0, 4)).toBeUndefined();
    expect(r.optionsRate('192.0.2.1', 2, undefined)).toBeUndefined();
    expect(r.optionsRate('192.0.2.2', 0, 3)).toBeUndefined();
    expect(r.setRate('192.0.2.1', 0, false, true)).toBeUndefined(); // per-record sampler IDs decide
    expect(r.setRate('192.0.2.2', 0, false, true)).toBe(0);
    expect(r.optionsEntries()).toHaveLength(2);
  });
});

describe('system init times (IPFIX IE 160)', () => {
  it('per exporter and domain; a known one is updated past the bound, a new one is not kept', () => {
    const t = new SystemInitTimes();
    t.set('192.0.2.1', 5, 1000);
    expect(t.get('192.0.2.1', 5)).toBe(1000);
    expect(t.get('192.0.2.1', 6)).toBe(-1);
    expect(t.get('192.0.2.2', 5)).toBe(-1);
    for (let d = 0; d < 70_000; d++) t.set('192.0.2.9', d, d);
    expect(t.get('192.0.2.9', 65_534)).toBe(65_534);
    expect(t.get('192.0.2.9', 65_535)).toBe(-1); // the 65,537th entry
    t.set('192.0.2.1', 5, 2000);
    expect(t.get('192.0.2.1', 5)).toBe(2000);
  });
});
