import { describe, it, expect, afterAll } from 'vitest';
import { chooseIndex, parseQuery, runQuery } from '../../../src/topology/query/index.ts';
import type { GraphStore } from '../../../src/topology/store/graph-store.ts';
import { smallGraph } from './fixture-graph.ts';

/** The real store, with a spy that records which reader methods a query calls. */
function spied(store: GraphStore) {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop === 'allNodes' || prop === 'allEdges' || prop === 'findNodes' || prop === 'findEdges')
          calls.push(`${prop}(${args.map(String).join(',')})`);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { proxy, calls };
}

describe('index use for the first Has after G.V()', () => {
  const store = smallGraph();
  afterAll(() => store.close());

  it('picks the most selective indexed key among the leading Has steps', () => {
    expect(chooseIndex(parseQuery("G.V().Has('Type', 'host').Has('Name', 'web1').Out()"))).toMatchObject({ key: 'Name', values: ['web1'] });
    expect(chooseIndex(parseQuery("G.V().Has('Type', 'device', 'MAC', 'x')"))).toMatchObject({ key: 'MAC' });
    expect(chooseIndex(parseQuery("G.V().Has('Name', Within('a', 'b'))"))).toMatchObject({ key: 'Name', values: ['a', 'b'] });
    expect(chooseIndex(parseQuery("G.V().Has('Speed', 5)"))).toBeUndefined(); // not indexed
    expect(chooseIndex(parseQuery("G.V().Out().Has('Name', 'x')"))).toBeUndefined(); // not leading
    expect(chooseIndex(parseQuery("G.V().HasEither('Name', 'a', 'Type', 'b')"))).toBeUndefined(); // OR
    expect(chooseIndex(parseQuery("G.E().Has('RelationType', 'layer2')"))).toMatchObject({ key: 'RelationType' });
  });

  it('never scans the graph when an index applies', () => {
    const { proxy, calls } = spied(store);
    const r = runQuery(proxy, "G.V().Has('Type', 'host').Has('Name', 'web1').Out()");
    expect(r.kind === 'nodes' && r.value.map((n) => n.ID).sort()).toEqual(['c1', 'h1e']);
    expect(calls).toEqual(['findNodes(Name,web1)']);
    calls.length = 0;
    runQuery(proxy, "G.V().Has('MAC', '02:00:00:00:01:01')");
    runQuery(proxy, "G.V().Has('Name', Within('web1', 'db1')).Count()");
    expect(calls).toEqual(['findNodes(MAC,02:00:00:00:01:01)', 'findNodes(Name,web1)', 'findNodes(Name,db1)']);
  });

  it('scans (once) when nothing indexed applies — the spy does see scans', () => {
    const { proxy, calls } = spied(store);
    expect(runQuery(proxy, "G.V().Has('Speed', Gt(1)).Count()")).toEqual({ kind: 'count', value: 3 });
    expect(calls).toEqual(['allNodes()']);
  });
});
