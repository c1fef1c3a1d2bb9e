// PATCH /api/node/:id with the bodies fuzzing found (fixtures/fuzz/jsonpatch.*): each is a 400 with
// a reason, never a 500, and none reaches Object.prototype of the collector process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPatch, PatchError } from '../../src/api/json-patch.ts';
import { startTestCollector, type TestCollector } from './helpers.ts';

const DIR = join(import.meta.dirname, '../../fixtures/fuzz');
const bodies = ['jsonpatch.body.mutated', 'jsonpatch.body.structured'].flatMap((d) =>
  readdirSync(join(DIR, d))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: `${d}/${f}`, body: readFileSync(join(DIR, d, f), 'utf8') })),
);
const protoNames = () => Object.getOwnPropertyNames(Object.prototype).sort();

let t: TestCollector;
beforeAll(async () => {
  t = await startTestCollector();
  const r = await fetch(t.base + '/api/node', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ID: 'h1', Metadata: { Name: 'web1', Type: 'host', Tags: ['prod'] } }),
  });
  expect(r.status).toBe(201);
});
afterAll(async () => t.stop());

describe('JSON Patch bodies found by fuzzing', () => {
  it('has the fixtures', () => expect(bodies.length).toBeGreaterThanOrEqual(7));

  for (const { name, body } of bodies) {
    it(`${name}: 400 with a reason, Object.prototype untouched, the node unchanged`, async () => {
      const before = protoNames();
      const r = await fetch(t.base + '/api/node/h1', { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { detail?: string }).detail).toBeTruthy();
      expect(protoNames()).toEqual(before);
      expect(({} as Record<string, unknown>)['a/b']).toBeUndefined();
      const n = (await (await fetch(t.base + '/api/node/h1')).json()) as { Metadata: Record<string, unknown> };
      expect(n.Metadata).toEqual({ Name: 'web1', Type: 'host', Tags: ['prod'] });
    });
  }

  it('"__proto__" is an ordinary member name: added as an own property, read and removed like any other', () => {
    const doc = { Metadata: { Name: 'x' } as Record<string, unknown> };
    const out = applyPatch(doc, [{ op: 'add', path: '/Metadata/__proto__', value: { polluted: true } }]);
    expect(Object.hasOwn(out.Metadata, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(out.Metadata)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => applyPatch(doc, [{ op: 'remove', path: '/__proto__/toString' }])).toThrow(PatchError);
    expect(() => applyPatch(doc, [{ op: 'add', path: '/constructor/prototype/x', value: 1 }])).toThrow(PatchError);
    expect(() => applyPatch(doc, [{ op: 'replace', path: '/Metadata/toString', value: 1 }])).toThrow(PatchError);
  });
});
