// Graph store conformance: revisions, At(), aliases, retention and change-feed order, written
// against the GraphStore interface only. Run by describeConformance for every backend.
import { expect, it } from 'vitest';
import { ids } from '../../../src/topology/ids.ts';
import type { GraphEvent } from '../../../src/topology/types.ts';
import type { Harness } from './conformance.ts';

const sw = ids.switchBySysName('leaf1');
const p1 = ids.port(sw, 1);

export function graphConformance(h: () => Harness): void {
  const seed = () =>
    h().storage.graph.write((tx) => {
      tx.upsertNode({ ID: sw, Metadata: { Type: 'switch', Name: 'leaf1', MgmtAddress: '10.0.0.1' }, Origin: 'snmp', Host: 'c1' });
      tx.upsertNode({
        ID: p1,
        Metadata: {
          Type: 'port',
          Name: 'Ethernet1',
          IfIndex: 1,
          MAC: '02:00:00:00:00:01',
          IPV4: ['10.1.0.1/24', '10.2.0.1/24'],
          State: 'UP',
        },
        Origin: 'snmp',
      });
      tx.upsertEdge({ ID: ids.edge(sw, p1, 'ownership'), Parent: sw, Child: p1, Metadata: { RelationType: 'ownership' }, Origin: 'snmp' });
    });

  it('creates nodes and edges with bookkeeping fields and emits events in commit order', () => {
    const store = h().storage.graph;
    const seen: GraphEvent[] = [];
    store.subscribe((evs) => seen.push(...evs));
    seed();
    expect(seen.map((e) => e.type)).toEqual(['NodeAdded', 'NodeAdded', 'EdgeAdded']);
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3]);
    const n = store.getNode(sw)!;
    expect(n).toMatchObject({ ID: sw, Host: 'c1', Origin: 'snmp', CreatedAt: 1_000_000, UpdatedAt: 1_000_000, Revision: 1 });
    expect(store.edgesOf(sw, 'out')).toHaveLength(1);
    expect(store.edgesOf(p1, 'in')[0]!.Parent).toBe(sw);
    expect(store.nodeCount()).toBe(2);
    expect(store.edgeCount()).toBe(1);
    expect(store.idsByOrigin('snmp')).toEqual({ nodes: expect.arrayContaining([sw, p1]), edges: [ids.edge(sw, p1, 'ownership')] });
  });

  it('bumps revisions on change, ignores no-op writes and never lets an older revision win', () => {
    const store = h().storage.graph;
    seed();
    const seen: GraphEvent[] = [];
    store.subscribe((evs) => seen.push(...evs));
    h().clock.now += 1000;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    expect(store.getNode(p1)).toMatchObject({ Revision: 2, UpdatedAt: 1_001_000 });
    expect(store.getNode(p1)!.Metadata).toMatchObject({ Name: 'Ethernet1', State: 'DOWN' });
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    expect(store.getNode(p1)!.Revision).toBe(2);
    // A publisher replaying revision 1 (stale) changes nothing.
    const stale = store.write((tx) => tx.upsertNode({ ID: p1, Revision: 1, Metadata: { Type: 'port', Name: 'old' } }));
    expect(stale).toBeUndefined();
    // Older UpdatedAt loses too.
    expect(store.write((tx) => tx.upsertNode({ ID: p1, UpdatedAt: 5, Metadata: { Type: 'port', Name: 'old' } }))).toBeUndefined();
    expect(store.getNode(p1)!.Metadata.Name).toBe('Ethernet1');
    expect(seen.map((e) => e.type)).toEqual(['NodeUpdated']);
  });

  it('a failing batch commits nothing and emits nothing', () => {
    const store = h().storage.graph;
    const seen: GraphEvent[] = [];
    store.subscribe((evs) => seen.push(...evs));
    expect(() =>
      store.write((tx) => {
        tx.upsertNode({ ID: sw, Metadata: { Type: 'switch', Name: 'leaf1' } });
        tx.upsertEdge({ ID: 'e1', Parent: sw, Child: 'missing', Metadata: { RelationType: 'layer2' } });
      }),
    ).toThrow(/does not exist/);
    expect(store.getNode(sw)).toBeUndefined();
    expect(seen).toHaveLength(0);
  });

  it('finds nodes by Type, Name, MAC, list-valued IPV4 and typed IfIndex; lookups follow updates', () => {
    const store = h().storage.graph;
    seed();
    expect(store.findNodes('Type', 'port').map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('Name', 'leaf1').map((n) => n.ID)).toEqual([sw]);
    expect(store.findNodes('MAC', '02:00:00:00:00:01').map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('IPV4', '10.2.0.1/24').map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('IfIndex', 1).map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('IfIndex', '1')).toEqual([]);
    expect(store.findNodes('State', 'UP').map((n) => n.ID)).toEqual([p1]); // not indexed: a scan
    expect(store.findEdges('RelationType', 'ownership')).toHaveLength(1);
    h().clock.now += 10;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { MAC: '02:00:00:00:00:99' } }, { merge: true }));
    expect(store.findNodes('MAC', '02:00:00:00:00:01')).toEqual([]);
    expect(store.findNodes('MAC', '02:00:00:00:00:99')).toHaveLength(1);
  });

  it('keeps history: At(t) shows past revisions and deleted elements; deletes cascade to edges', () => {
    const store = h().storage.graph;
    const clock = h().clock;
    seed(); // t0 = 1_000_000
    clock.now = 2_000_000;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    clock.now = 3_000_000;
    const seen: GraphEvent[] = [];
    store.subscribe((evs) => seen.push(...evs));
    store.write((tx) => tx.deleteNode(p1));
    expect(seen.map((e) => e.type)).toEqual(['EdgeDeleted', 'NodeDeleted']);
    expect((seen[1] as { node: { DeletedAt: number } }).node.DeletedAt).toBe(3_000_000);
    expect(store.getNode(p1)).toBeUndefined();
    expect(store.edgeCount()).toBe(0);

    const before = store.at(999_999);
    expect(before.nodeCount()).toBe(0);
    const t1 = store.at(1_500_000);
    expect(t1.getNode(p1)!.Metadata.State).toBe('UP');
    expect(t1.edgesOf(sw, 'out')).toHaveLength(1);
    expect(t1.findNodes('MAC', '02:00:00:00:00:01').map((n) => n.ID)).toEqual([p1]);
    const t2 = store.at(2_500_000);
    expect(t2.getNode(p1)!.Metadata.State).toBe('DOWN');
    expect(t2.getNode(p1)!.Revision).toBe(2);
    expect(t2.findNodes('Type', 'port')).toHaveLength(1);
    const t3 = store.at(3_000_000);
    expect(t3.getNode(p1)).toBeUndefined();
    expect(t3.getNode(sw)).toBeDefined();
    expect(t3.edgeCount()).toBe(0);
    const hist = store.historyOf(p1);
    expect(hist.map((x) => x.Revision)).toEqual([1, 2]);
    expect(hist[1]!.DeletedAt).toBe(3_000_000);
  });

  it('prunes history older than retention but keeps live elements', () => {
    const store = h().storage.graph;
    const clock = h().clock;
    seed();
    clock.now = 2_000_000;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    clock.now = 3_000_000;
    store.write((tx) => tx.deleteEdge(ids.edge(sw, p1, 'ownership')));
    expect(store.prune(2_500_000)).toEqual({ nodes: 1, edges: 0 });
    expect(store.at(1_500_000).getNode(p1)).toBeUndefined(); // that revision is gone
    expect(store.at(2_500_000).getEdge(ids.edge(sw, p1, 'ownership'))).toBeDefined();
    expect(store.prune(4_000_000)).toEqual({ nodes: 0, edges: 1 });
    expect(store.getNode(p1)).toBeDefined();
  });

  it('revisionsBetween: only elements changed in (from, to], each with its revisions valid in [from, to]', () => {
    const store = h().storage.graph;
    const clock = h().clock;
    seed(); // t0 = 1_000_000: switch, port, ownership edge
    const p2 = ids.port(sw, 2);
    clock.now = 2_000_000;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    clock.now = 3_000_000;
    store.write((tx) => tx.upsertNode({ ID: p2, Metadata: { Type: 'port', Name: 'Ethernet2', State: 'UP' }, Origin: 'snmp' }));
    clock.now = 4_000_000;
    store.write((tx) => tx.deleteEdge(ids.edge(sw, p1, 'ownership')));
    clock.now = 5_000_000;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'UP' } }, { merge: true }));

    const rev = (from: number, to: number) => store.revisionsBetween(from, to).map((x) => `${x.ID}@${x.Revision}${x.DeletedAt ? 'x' : ''}`);
    // Nothing changed after the seed until 2 s; the switch never changed after it.
    expect(rev(1_000_000, 1_999_999)).toEqual([]);
    // p1 went DOWN: the revision valid at `from` and the new one, in order.
    expect(rev(1_500_000, 2_000_000)).toEqual([`${p1}@1`, `${p1}@2`]);
    // p2 created, the ownership edge deleted (its last revision carries DeletedAt); p1's later revision excluded.
    expect(rev(2_500_000, 4_500_000).sort()).toEqual([`${p2}@1`, `${ids.edge(sw, p1, 'ownership')}@1x`].sort());
    // The whole span: p1's three revisions in order, the live one last.
    const all = store.revisionsBetween(0, 6_000_000).filter((x) => x.ID === p1);
    expect(all.map((x) => [x.Revision, x.Metadata.State, x.UpdatedAt])).toEqual([
      [1, 'UP', 1_000_000],
      [2, 'DOWN', 2_000_000],
      [3, 'UP', 5_000_000],
    ]);
    expect(store.revisionsBetween(0, 6_000_000).map((x) => x.ID)).toContain(sw);
  });

  it('IDs and aliases are stable across restarts', () => {
    seed();
    h().storage.graph.write((tx) => tx.setAlias('sysname:leaf1.example.com', sw));
    const store = h().reopen().graph;
    expect(ids.switchBySysName('LEAF1')).toBe(sw);
    expect(store.getNode(ids.port(ids.switchBySysName('leaf1'), 1))).toBeDefined();
    expect(store.resolveAlias('sysname:leaf1.example.com')).toBe(sw);
    // Re-seeding after restart updates in place instead of duplicating.
    seed();
    expect(store.nodeCount()).toBe(2);
    expect(store.getNode(sw)!.Revision).toBe(1);
  });

  it('nested writes join the enclosing transaction', () => {
    const store = h().storage.graph;
    const batches: number[] = [];
    store.subscribe((evs) => batches.push(evs.length));
    store.write(() => {
      seed();
    });
    expect(batches).toEqual([3]);
  });

  it('change listeners stop after unsubscribe; writes are durable once flush() resolves', async () => {
    const store = h().storage.graph;
    const seen: GraphEvent[] = [];
    const off = store.subscribe((evs) => seen.push(...evs));
    seed();
    off();
    h().clock.now += 5;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    expect(seen).toHaveLength(3);
    await h().storage.flush();
    expect(h().reopen().graph.getNode(p1)!.Metadata.State).toBe('DOWN');
  });
}
