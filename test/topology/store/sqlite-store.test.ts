import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGraphStore, GraphIntegrityError, type SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { ids } from '../../../src/topology/ids.ts';
import type { GraphEvent } from '../../../src/topology/types.ts';

let clock = 1_000_000;
const now = () => clock;
let dir: string;
let store: SqliteGraphStore;

beforeEach(() => {
  clock = 1_000_000;
  dir = mkdtempSync(join(tmpdir(), 'canopy-store-'));
  store = openGraphStore({ path: join(dir, 'canopy.db'), now });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sw = ids.switchBySysName('leaf1');
const p1 = ids.port(sw, 1);

function seed() {
  store.write((tx) => {
    tx.upsertNode({ ID: sw, Metadata: { Type: 'switch', Name: 'leaf1', MgmtAddress: '10.0.0.1' }, Origin: 'snmp', Host: 'c1' });
    tx.upsertNode({ ID: p1, Metadata: { Type: 'port', Name: 'Ethernet1', IfIndex: 1, MAC: '02:00:00:00:00:01', IPV4: ['10.1.0.1/24', '10.2.0.1/24'], State: 'UP' }, Origin: 'snmp' });
    tx.upsertEdge({ ID: ids.edge(sw, p1, 'ownership'), Parent: sw, Child: p1, Metadata: { RelationType: 'ownership' }, Origin: 'snmp' });
  });
}

describe('SqliteGraphStore', () => {
  it('creates nodes and edges with bookkeeping fields and emits events in commit order', () => {
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
  });

  it('bumps revisions on change, ignores no-op writes and never lets an older revision win', () => {
    seed();
    const seen: GraphEvent[] = [];
    store.subscribe((evs) => seen.push(...evs));
    clock += 1000;
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
    const seen: GraphEvent[] = [];
    store.subscribe((evs) => seen.push(...evs));
    expect(() =>
      store.write((tx) => {
        tx.upsertNode({ ID: sw, Metadata: { Type: 'switch', Name: 'leaf1' } });
        tx.upsertEdge({ ID: 'e1', Parent: sw, Child: 'missing', Metadata: { RelationType: 'layer2' } });
      }),
    ).toThrow(GraphIntegrityError);
    expect(store.getNode(sw)).toBeUndefined();
    expect(seen).toHaveLength(0);
  });

  it('uses indexes for Type, Name, MAC and list-valued IPV4', () => {
    seed();
    expect(store.findNodes('Type', 'port').map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('Name', 'leaf1').map((n) => n.ID)).toEqual([sw]);
    expect(store.findNodes('MAC', '02:00:00:00:00:01').map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('IPV4', '10.2.0.1/24').map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('IfIndex', 1).map((n) => n.ID)).toEqual([p1]);
    expect(store.findNodes('IfIndex', '1')).toEqual([]);
    const plan = store.database.prepare("EXPLAIN QUERY PLAN SELECT n.* FROM node_keys k JOIN nodes n ON n.id = k.id WHERE k.key = 'MAC' AND k.value = 'x'").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX node_keys_kv/);
    const plan2 = store.database.prepare('EXPLAIN QUERY PLAN SELECT * FROM edges WHERE parent = ?').all('x') as { detail: string }[];
    expect(plan2[0]!.detail).toMatch(/USING INDEX edges_parent/);
    // Index follows updates.
    clock += 10;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { MAC: '02:00:00:00:00:99' } }, { merge: true }));
    expect(store.findNodes('MAC', '02:00:00:00:00:01')).toEqual([]);
    expect(store.findNodes('MAC', '02:00:00:00:00:99')).toHaveLength(1);
  });

  it('keeps history: At(t) shows past revisions and deleted elements; deletes cascade to edges', () => {
    seed(); // t0 = 1_000_000
    clock = 2_000_000;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    clock = 3_000_000;
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
    const t2 = store.at(2_500_000);
    expect(t2.getNode(p1)!.Metadata.State).toBe('DOWN');
    expect(t2.getNode(p1)!.Revision).toBe(2);
    expect(t2.findNodes('Type', 'port')).toHaveLength(1);
    const t3 = store.at(3_000_000);
    expect(t3.getNode(p1)).toBeUndefined();
    expect(t3.getNode(sw)).toBeDefined();
    const hist = store.historyOf(p1);
    expect(hist.map((h) => h.Revision)).toEqual([1, 2]);
    expect(hist[1]!.DeletedAt).toBe(3_000_000);
  });

  it('prunes history older than retention but keeps live elements', () => {
    seed();
    clock = 2_000_000;
    store.write((tx) => tx.upsertNode({ ID: p1, Metadata: { State: 'DOWN' } }, { merge: true }));
    clock = 3_000_000;
    store.write((tx) => tx.deleteEdge(ids.edge(sw, p1, 'ownership')));
    expect(store.prune(2_500_000)).toEqual({ nodes: 1, edges: 0 });
    expect(store.at(1_500_000).getNode(p1)).toBeUndefined(); // that revision is gone
    expect(store.at(2_500_000).getEdge(ids.edge(sw, p1, 'ownership'))).toBeDefined();
    expect(store.prune(4_000_000)).toEqual({ nodes: 0, edges: 1 });
    expect(store.getNode(p1)).toBeDefined();
  });

  it('IDs and aliases are stable across restarts', () => {
    seed();
    store.write((tx) => tx.setAlias('sysname:leaf1.example.com', sw));
    store.close();
    store = openGraphStore({ path: join(dir, 'canopy.db'), now });
    expect(ids.switchBySysName('LEAF1')).toBe(sw);
    expect(store.getNode(ids.port(ids.switchBySysName('leaf1'), 1))).toBeDefined();
    expect(store.resolveAlias('sysname:leaf1.example.com')).toBe(sw);
    // Re-seeding after restart updates in place instead of duplicating.
    seed();
    expect(store.nodeCount()).toBe(2);
    expect(store.getNode(sw)!.Revision).toBe(1);
  });

  it('nested writes join the enclosing transaction', () => {
    const batches: number[] = [];
    store.subscribe((evs) => batches.push(evs.length));
    store.write(() => {
      seed();
    });
    expect(batches).toEqual([3]);
  });
});
