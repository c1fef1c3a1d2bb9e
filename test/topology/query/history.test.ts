import { describe, it, expect } from 'vitest';
import { runQuery, type QueryResult } from '../../../src/topology/query/index.ts';
import { openGraphStore } from '../../../src/topology/store/sqlite-store.ts';

const T0 = 1_700_000_000_000; // ms
const MIN = 60_000;

/** A store whose clock the test moves: X created at T0, updated at +10m, deleted at +20m. */
function historyStore() {
  let clock = T0;
  const s = openGraphStore({ path: ':memory:', now: () => clock });
  const at = (t: number, fn: () => void) => {
    clock = t;
    fn();
  };
  at(T0, () =>
    s.write((tx) => {
      tx.upsertNode({ ID: 'sw', Metadata: { Type: 'switch', Name: 'sw' } });
      tx.upsertNode({ ID: 'x', Metadata: { Type: 'port', Name: 'x', State: 'UP', MAC: '02:00:00:00:00:aa' } });
      tx.upsertEdge({ ID: 'e', Parent: 'sw', Child: 'x', Metadata: { RelationType: 'ownership' } });
    }),
  );
  at(T0 + 10 * MIN, () =>
    s.write((tx) => tx.upsertNode({ ID: 'x', Metadata: { Type: 'port', Name: 'x', State: 'DOWN', MAC: '02:00:00:00:00:aa' } })),
  );
  at(T0 + 20 * MIN, () => s.write((tx) => tx.deleteNode('x')));
  // A short-lived node: alive from +30m to +32m only.
  at(T0 + 30 * MIN, () => s.write((tx) => tx.upsertNode({ ID: 'y', Metadata: { Type: 'port', Name: 'y' } })));
  at(T0 + 32 * MIN, () => s.write((tx) => tx.deleteNode('y')));
  clock = T0 + 60 * MIN;
  return { s, now: clock };
}

const states = (r: QueryResult) =>
  r.kind === 'nodes' ? r.value.map((n) => `${n.ID}:${String(n.Metadata.State ?? '-')}:r${n.Revision}`) : r.kind;

describe('At over history', () => {
  const { s, now } = historyStore();

  it('sees each revision at its instant, in every time syntax', () => {
    const sec = (ms: number) => Math.floor(ms / 1000);
    expect(states(runQuery(s, `G.At(${sec(T0 + 5 * MIN)}).V('x')`, { now }))).toEqual(['x:UP:r1']);
    expect(states(runQuery(s, `G.At(${T0 + 15 * MIN}).V('x')`, { now }))).toEqual(['x:DOWN:r2']); // ms form
    expect(states(runQuery(s, `G.At('${new Date(T0 + 5 * MIN).toISOString()}').V('x')`, { now }))).toEqual(['x:UP:r1']);
    expect(states(runQuery(s, `G.At('${new Date(T0 + 15 * MIN).toUTCString()}').V('x')`, { now }))).toEqual(['x:DOWN:r2']); // RFC 1123
    expect(states(runQuery(s, "G.At('-55m').V('x')", { now }))).toEqual(['x:UP:r1']);
    expect(states(runQuery(s, "G.Context('-45m').V().Has('Type', 'port')", { now }))).toEqual(['x:DOWN:r2']);
    expect(states(runQuery(s, "G.At('-35m').V().Has('Type', 'port')", { now }))).toEqual([]);
    expect(states(runQuery(s, "G.At(NOW).V().Has('Type', 'port')", { now }))).toEqual([]);
    expect(states(runQuery(s, `G.At(${sec(T0) - 1}).V()`, { now }))).toEqual([]); // before anything existed
  });

  it('indexed lookups and traversals work on a past instant', () => {
    expect(states(runQuery(s, "G.At('-55m').V().Has('MAC', '02:00:00:00:00:aa')", { now }))).toEqual(['x:UP:r1']);
    expect(states(runQuery(s, "G.At('-45m').V().Has('Name', 'sw').Out()", { now }))).toEqual(['x:DOWN:r2']);
    expect(runQuery(s, "G.At('-55m').E().Count()", { now })).toEqual({ kind: 'count', value: 1 });
    expect(runQuery(s, "G.V().Has('Name', 'sw').Out().Count()", { now })).toEqual({ kind: 'count', value: 0 });
  });

  it('with a duration, includes what was alive at either end of the window', () => {
    // At +25m with 20 min: x was alive at +5m (start of the window), deleted at +20m.
    expect(states(runQuery(s, "G.At('-35m', 1200).V().Has('Type', 'port')", { now }))).toEqual(['x:UP:r1']);
    // The later end wins when both ends have a revision.
    expect(states(runQuery(s, "G.At('-45m', 600).V().Has('Type', 'port')", { now }))).toEqual(['x:DOWN:r2']);
    expect(states(runQuery(s, "G.At('-35m', '5m').V().Has('Type', 'port')", { now }))).toEqual([]);
    // Documented approximation: y lived only strictly inside [+29m, +33m], so it is not seen.
    expect(states(runQuery(s, "G.At('-27m', 240).V().Has('Name', 'y')", { now }))).toEqual([]);
    expect(states(runQuery(s, "G.At('-29m', 60).V().Has('Name', 'y')", { now }))).toEqual(['y:-:r1']);
  });
});
