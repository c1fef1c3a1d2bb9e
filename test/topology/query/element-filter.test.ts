import { describe, it, expect, afterAll } from 'vitest';
import { compileElementFilter, parseQuery } from '../../../src/topology/query/index.ts';
import { smallGraph } from './fixture-graph.ts';

describe('compileElementFilter (subscriber filters)', () => {
  const store = smallGraph();
  afterAll(() => store.close());
  const node = (id: string) => store.getNode(id)!;
  const edge = (id: string) => store.getEdge(id)!;

  it('matches single elements for Has-only filters', () => {
    const f = compileElementFilter(parseQuery("G.V().Has('Type', 'port', 'State', NE('DOWN')).HasNot('Managed')"));
    if (!f.simple) throw new Error(f.reason);
    expect(f.elements).toBe('nodes');
    expect(['p1', 'p2', 'p3', 'h1'].map((id) => f.match(node(id)))).toEqual([true, false, false, false]);
    expect(f.match(edge('l1'))).toBe(false);

    const e = compileElementFilter(parseQuery("G.E().HasEither('Evidence', 'fdb', 'Evidence', 'lldp-snmp')"));
    if (!e.simple) throw new Error(e.reason);
    expect([e.match(edge('l1')), e.match(edge('l2')), e.match(edge('o1')), e.match(node('p1'))]).toEqual([true, true, false, false]);

    const byId = compileElementFilter(parseQuery("G.V('h1').HasKey('Tags')"));
    expect(byId.simple && [byId.match(node('h1')), byId.match(node('h2'))]).toEqual([true, false]);
    const all = compileElementFilter(parseQuery('G.V()'));
    expect(all.simple && [all.match(node('h1')), all.match(edge('o1'))]).toEqual([true, false]);
  });

  it('reports traversal filters as not simple', () => {
    expect(compileElementFilter(parseQuery("G.V().Has('Type', 'host').Out()"))).toEqual({
      simple: false,
      reason: 'the filter has a traversal step at 26',
    });
    expect(compileElementFilter(parseQuery("G.V().Has('Type', 'host').Limit(1)")).simple).toBe(false);
    expect(compileElementFilter(parseQuery("G.At('-1h').V()")).simple).toBe(false);
  });
});
