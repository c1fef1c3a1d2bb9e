import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { runQuery, QueryError, type QueryResult } from '../../../src/topology/query/index.ts';
import type { GraphStore } from '../../../src/topology/store/graph-store.ts';
import { smallGraph, T0 } from './fixture-graph.ts';

let store: GraphStore;
beforeAll(() => {
  store = smallGraph();
});
afterAll(() => store.close());

const q = (text: string) => runQuery(store, text);
function ids(r: QueryResult): string[] {
  if (r.kind !== 'nodes' && r.kind !== 'edges') throw new Error(`expected elements, got ${r.kind}`);
  return r.value.map((x) => x.ID).sort();
}
const count = (text: string) => {
  const r = q(text);
  if (r.kind !== 'count') throw new Error(`expected a count, got ${r.kind}`);
  return r.value;
};

describe('sources', () => {
  it('G.V(), G.E(), by ID, unknown ID', () => {
    expect(count('G.V().Count()')).toBe(10);
    expect(count('G.E().Count()')).toBe(9);
    expect(ids(q("G.V('h1')"))).toEqual(['h1']);
    expect(ids(q("G.E('l1')"))).toEqual(['l1']);
    expect(ids(q("G.V('nope')"))).toEqual([]);
    expect(ids(q("G.V('Type', 'host')"))).toEqual(['h1', 'h2']); // Skydive's V(k, v) form
  });

  it('shapes nodes and edges like Skydive', () => {
    const n = q("G.V('h1')");
    expect(n).toEqual({
      kind: 'nodes',
      value: [
        {
          ID: 'h1',
          Metadata: { Type: 'host', Name: 'web1', Tags: ['prod', 'eu'] },
          Host: 'test',
          Origin: 'api',
          CreatedAt: T0,
          UpdatedAt: T0,
          Revision: 1,
        },
      ],
    });
    const e = q("G.E('l1')");
    expect(e.kind === 'edges' && e.value[0]).toEqual({
      ID: 'l1',
      Metadata: { RelationType: 'layer2', Evidence: ['lldp-snmp'] },
      Parent: 'p1',
      Child: 'h1e',
      Host: 'test',
      Origin: 'api',
      CreatedAt: T0,
      UpdatedAt: T0,
      Revision: 1,
    });
    expect(JSON.stringify(n.value)).not.toContain('DeletedAt');
  });
});

describe('Has and predicates', () => {
  it.each([
    ["G.V().Has('Type', 'port')", ['p1', 'p2', 'p3']],
    ["G.V().Has('IfIndex', 2)", ['p2']],
    ["G.V().Has('IfIndex', '2')", []],
    ["G.V().Has('Managed', true)", ['p3']],
    ["G.V().Has('LLDP.ChassisID', 'aa:aa')", ['sw1']],
    ["G.V().Has('Tags', 'eu')", ['h1']],
    ["G.V().Has('IPV4', '192.168.9.1/24')", ['h1e']],
    ["G.V().Has('Type', 'port', 'State', 'UP')", ['p1', 'p3']],
    ["G.V().Has('MAC')", ['h1e', 'h2e', 'p1', 'p2']],
    ["G.V().HasKey('Tags')", ['h1', 'h2']],
    ["G.V().Has('Type', 'port').HasNot('MAC')", ['p3']],
    ["G.V().HasEither('Name', 'web1', 'Name', 'db1')", ['h1', 'h2']],
    ["G.V().Has('State', NE('UP'))", ['p2']],
    ["G.V().Has('Name', Within('web1', 'db1', 'nope'))", ['h1', 'h2']],
    ["G.V().Has('Type', Without('port', 'device', 'veth'))", ['c1', 'h1', 'h2', 'sw1']],
    ["G.V().Has('Tags', Without('dev'))", ['c1', 'c1e', 'h1', 'h1e', 'h2e', 'p1', 'p2', 'p3', 'sw1']],
    ["G.V().Has('Name', Regex('Ether.*'))", ['p1', 'p2', 'p3']],
    ["G.V().Has('Name', Regex('ther.*'))", []],
    ["G.V().Has('Name', Regex('web1|db1'))", ['h1', 'h2']],
    ["G.V().Has('Speed', Lt(25e9))", ['p1']],
    ["G.V().Has('Speed', Lte(25e9))", ['p1', 'p2']],
    ["G.V().Has('Speed', Gt(25e9))", ['p3']],
    ["G.V().Has('Speed', Gte(25e9))", ['p2', 'p3']],
    ["G.V().Has('IfIndex', Inside(1, 3))", ['p2']],
    ["G.V().Has('IfIndex', Between(1, 3))", ['p1', 'p2']],
    ["G.V().Has('IfIndex', Outside(1, 2))", ['p3']],
    ["G.V().Has('MTU', Gt(1460))", ['h1e', 'h2e']],
    ["G.V().Has('IPV4', Ipv4Range('10.0.0.0/16'))", ['h1e']],
    ["G.V().Has('IPV4', Ipv4Range('10.0.0.0/8'))", ['h1e', 'h2e']],
    ["G.V().Has('IPV4', Ipv4Range('192.168.9.0/24'))", ['h1e']],
    ["G.V().Has('MgmtAddress', Ipv4Range('192.168.0.0/16'))", ['sw1']],
    ["G.V().Has('ID', 'p2')", ['p2']],
    ["G.E().Has('RelationType', 'layer2')", ['l1', 'l2']],
    ["G.E().Has('Evidence', 'fdb')", ['l2']],
    ["G.E().Has('Parent', 'sw1')", ['o1', 'o2', 'o3']],
  ])('%s', (text, expected) => {
    expect(ids(q(text))).toEqual(expected);
  });
});

describe('traversal steps', () => {
  it.each([
    ["G.V('sw1').Out()", ['p1', 'p2', 'p3']],
    ["G.V('sw1').Out('State', 'UP')", ['p1', 'p3']],
    ["G.V('p1').In()", ['sw1']],
    ["G.V('p1').Both()", ['h1e', 'sw1']],
    ["G.V('p1').Both('Type', 'device')", ['h1e']],
    ["G.V('p1').OutE()", ['l1']],
    ["G.V('p1').InE()", ['o1']],
    ["G.V('p1').BothE('RelationType', 'ownership')", ['o1']],
    ["G.V('p1').BothE()", ['l1', 'o1']],
    // Skydive's InV yields the edge's Parent, OutV its Child.
    ["G.E().Has('RelationType', 'layer2').InV()", ['p1', 'p2']],
    ["G.E().Has('RelationType', 'layer2').OutV()", ['h1e', 'h2e']],
    ["G.E('l1').BothV()", ['h1e', 'p1']],
    ["G.E('l1').BothV('Type', 'port')", ['p1']],
    ["G.V().Has('Type', 'port').In()", ['sw1', 'sw1', 'sw1']],
    ["G.V().Has('Type', 'port').In().Dedup()", ['sw1']],
    ["G.V('h1').Descendants()", ['c1', 'h1', 'h1e']],
    ["G.V('h1').Descendants(2)", ['c1', 'c1e', 'h1', 'h1e']],
    ["G.V('h1').Descendants(0)", ['c1', 'c1e', 'h1', 'h1e']],
    ["G.V('c1e').Ascendants()", ['c1', 'c1e']],
    ["G.V('c1e').Ascendants(0)", ['c1', 'c1e', 'h1']],
    ["G.V('sw1').Descendants(0)", ['p1', 'p2', 'p3', 'sw1']], // layer2 edges are not ownership
  ])('%s', (text, expected) => {
    expect(ids(q(text))).toEqual(expected);
  });

  it('Dedup by keys keeps one element per distinct value', () => {
    const r = q("G.V().Dedup('Type').Values('Type')");
    expect(r.kind === 'values' && [...r.value].sort()).toEqual(['container', 'device', 'host', 'port', 'switch', 'veth']);
  });

  it('Count, Values, Keys', () => {
    expect(count("G.V().Has('Type', 'port').Count()")).toBe(3);
    expect(count("G.V().Has('Type', 'port').Values('Name').Count()")).toBe(3);
    expect(q("G.V().Has('Type', 'port').Sort('IfIndex').Values('Name')")).toEqual({
      kind: 'values',
      value: ['Ethernet1', 'Ethernet2', 'Ethernet3'],
    });
    expect(q("G.V('sw1').Values('LLDP.ChassisID')")).toEqual({ kind: 'values', value: ['aa:aa'] });
    expect(q("G.V('h1').Values('Tags')")).toEqual({ kind: 'values', value: [['prod', 'eu']] });
    expect(q("G.V().Has('Type', 'device').Values('Name').Dedup()")).toEqual({ kind: 'values', value: ['eth0'] });
    expect(q("G.V('sw1').Keys()")).toEqual({
      kind: 'values',
      value: ['Type', 'Name', 'Role', 'MgmtAddress', 'LLDP.ChassisID', 'LLDP.ChassisIDType'],
    });
    expect(q("G.V('h2').Values('MAC')")).toEqual({ kind: 'values', value: [] });
  });

  it('Sort ASC/DESC, missing keys last, Range and Limit', () => {
    expect(q("G.V().Has('Type', 'port').Sort(DESC, 'Speed').Values('Name')")).toEqual({
      kind: 'values',
      value: ['Ethernet3', 'Ethernet2', 'Ethernet1'],
    });
    expect(q("G.V().Has('Type', 'port').Sort(ASC, 'MAC').Values('Name')")).toEqual({
      kind: 'values',
      value: ['Ethernet1', 'Ethernet2', 'Ethernet3'],
    });
    const byMacDesc = q("G.V().Has('Type', 'port').Sort(DESC, 'MAC')");
    expect(byMacDesc.kind === 'nodes' && byMacDesc.value.map((n) => n.ID)).toEqual(['p2', 'p1', 'p3']);
    const r = q("G.V().Has('Type', 'port').Sort('IfIndex').Range(1, 3)");
    expect(r.kind === 'nodes' && r.value.map((n) => n.ID)).toEqual(['p2', 'p3']);
    const l = q("G.V().Has('Type', 'port').Sort('IfIndex').Limit(1)");
    expect(l.kind === 'nodes' && l.value.map((n) => n.ID)).toEqual(['p1']);
    expect(count('G.V().Range(8, 100).Count()')).toBe(2);
  });

  it('ShortestPathTo walks edges both ways and returns node lists, source first', () => {
    const r = q("G.V().Has('Name', 'web1').ShortestPathTo(Metadata('Name', 'db1'))");
    expect(r.kind).toBe('paths');
    expect(r.kind === 'paths' && r.value.map((p) => p.map((n) => n.ID))).toEqual([['h1', 'h1e', 'p1', 'sw1', 'p2', 'h2e', 'h2']]);
    const shortest = q("G.V('h1').ShortestPathTo(Metadata('Type', 'device'))");
    expect(shortest.kind === 'paths' && shortest.value.map((p) => p.map((n) => n.ID))).toEqual([['h1', 'h1e']]);
    // Only layer2 edges: the host-to-NIC ownership edge may not be used, so no path.
    expect(q("G.V('h1').ShortestPathTo(Metadata('Name', 'db1'), Metadata('RelationType', 'layer2'))")).toEqual({
      kind: 'paths',
      value: [],
    });
    const l2 = q("G.V('h1e').ShortestPathTo(Metadata('Type', 'port'), Metadata('RelationType', 'layer2'))");
    expect(l2.kind === 'paths' && l2.value.map((p) => p.map((n) => n.ID))).toEqual([['h1e', 'p1']]);
    expect(count("G.V().Has('Type', 'host').ShortestPathTo(Metadata('Type', 'switch')).Count()")).toBe(2);
  });

  it('SubGraph returns [{Nodes, Edges}] for nodes, edges and paths', () => {
    const g = q("G.V('h1').Descendants().SubGraph()");
    if (g.kind !== 'graph') throw new Error(g.kind);
    expect(g.value).toHaveLength(1);
    expect(g.value[0].Nodes.map((n) => n.ID).sort()).toEqual(['c1', 'h1', 'h1e']);
    expect(g.value[0].Edges.map((e) => e.ID).sort()).toEqual(['o4', 'o6']);
    const ge = q("G.E().Has('RelationType', 'layer2').SubGraph()");
    expect(ge.kind === 'graph' && ge.value[0].Nodes.map((n) => n.ID).sort()).toEqual(['h1e', 'h2e', 'p1', 'p2']);
    expect(ge.kind === 'graph' && ge.value[0].Edges.map((e) => e.ID).sort()).toEqual(['l1', 'l2']);
    const gp = q("G.V('h1').ShortestPathTo(Metadata('Type', 'port')).SubGraph()");
    expect(gp.kind === 'graph' && gp.value[0].Edges.map((e) => e.ID).sort()).toEqual(['l1', 'o4']);
  });
});

describe('evaluation limits', () => {
  it('too many visited elements, too many results, deadline', () => {
    const visit = (() => {
      try {
        runQuery(store, 'G.V().Out().Out()', { maxVisited: 5 });
      } catch (e) {
        return e;
      }
    })();
    expect(visit).toBeInstanceOf(QueryError);
    expect(visit).toMatchObject({ code: 'limit', status: 422 });
    const res = (() => {
      try {
        runQuery(store, 'G.V()', { maxResults: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect(res).toMatchObject({
      code: 'limit',
      message: 'query returns 10 elements; the limit is 3 (add Limit()/Range() or a more selective Has())',
    });
    expect(runQuery(store, 'G.V().Limit(3)', { maxResults: 3 }).value).toHaveLength(3);
    const slow = (() => {
      try {
        runQuery(store, 'G.V().Out().Out().Count()', { timeoutMs: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(slow).toMatchObject({ code: 'timeout' });
  });
});

describe('random queries against the real store', () => {
  it('either answer or raise a QueryError, never anything else', async () => {
    const fc = (await import('fast-check')).default;
    const runs = Math.max(50, Math.floor(Number(process.env.FUZZ_RUNS ?? 2000) / 4));
    const key = fc.constantFrom(
      "'Type'",
      "'Name'",
      "'MAC'",
      "'IPV4'",
      "'IfIndex'",
      "'LLDP.ChassisID'",
      "'Tags'",
      "'ID'",
      "'Nope'",
      "'RelationType'",
    );
    const val = fc.oneof(
      fc.constantFrom("'port'", "'host'", "'web1'", '2', 'true', "'10.0.0.5/24'"),
      fc.constantFrom(
        "NE('UP')",
        "Within('web1', 2)",
        "Regex('Eth.*')",
        'Gt(1)',
        'Inside(0, 5)',
        "Ipv4Range('10.0.0.0/8')",
        "Without('x')",
      ),
    );
    const has = fc
      .tuple(fc.constantFrom('Has', 'HasEither', 'HasKey', 'HasNot'), key, val)
      .map(([s, k, v]) => (s === 'HasKey' || s === 'HasNot' ? `${s}(${k})` : `${s}(${k}, ${v})`));
    const step = fc.oneof(
      has,
      fc.constantFrom(
        'Out()',
        'In()',
        'Both()',
        'OutE()',
        'InE()',
        'BothE()',
        'OutV()',
        'InV()',
        'BothV()',
        'Dedup()',
        'Count()',
        "Values('Name')",
        'Keys()',
      ),
      fc.constantFrom(
        "Sort(DESC, 'Name')",
        'Range(0, 2)',
        'Limit(1)',
        "ShortestPathTo(Metadata('Type', 'host'))",
        'SubGraph()',
        'Descendants(0)',
        'Ascendants()',
      ),
    );
    const query = fc
      .tuple(fc.constantFrom('G.V()', 'G.E()', "G.V('h1')", "G.At('-1m').V()", 'G.Context(NOW, 60).E()'), fc.array(step, { maxLength: 6 }))
      .map(([src, steps]) => [src, ...steps].join('.'));
    fc.assert(
      fc.property(query, (text) => {
        try {
          const r = runQuery(store, text, { now: T0 + 120_000, maxVisited: 10_000 });
          expect(['nodes', 'edges', 'count', 'values', 'paths', 'graph']).toContain(r.kind);
        } catch (e) {
          if (!(e instanceof QueryError)) throw e;
        }
      }),
      { numRuns: runs },
    );
  });
});
