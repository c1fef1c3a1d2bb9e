import { describe, it, expect } from 'vitest';
import { generateFabric, type FabricOptions } from '../../../src/topology/synthetic.ts';
import { openGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { runQuery } from '../../../src/topology/query/index.ts';

const SMALL: Partial<FabricOptions> = {
  spines: 2,
  leaves: 4,
  portsPerLeaf: 8,
  hosts: 10,
  ifacesPerHost: 2,
  containersPerHost: 2,
  totalNodes: 120,
  totalEdges: 200,
};

function build(seed: number) {
  const s = openGraphStore({ path: ':memory:', now: () => 1_700_000_000_000 });
  const summary = generateFabric(s, { ...SMALL, seed });
  const dump = JSON.stringify([...s.allNodes(), ...s.allEdges()].sort((a, b) => (a.ID < b.ID ? -1 : 1)));
  return { s, summary, dump };
}

describe('synthetic fabric', () => {
  it('hits the node and edge budgets with a realistic shape', () => {
    const { s, summary } = build(7);
    expect([summary.nodes, summary.edges, s.nodeCount(), s.edgeCount()]).toEqual([120, 200, 120, 200]);
    const count = (q: string) => runQuery(s, q).value;
    expect(count("G.V().Has('Type', 'switch', 'Role', 'spine').Count()")).toBe(2);
    expect(count("G.V().Has('Role', 'leaf').Count()")).toBe(4);
    expect(count("G.V().Has('Type', 'port').Count()")).toBe(2 * 4 + 4 * 8); // spine ports + leaf ports
    expect(count("G.V().Has('Type', 'host').Count()")).toBe(10);
    expect(count("G.V().Has('Type', 'container').Count()")).toBe(20);
    // Every node but the 16 roots (switches, hosts) has exactly one owner.
    expect(count("G.E().Has('RelationType', 'ownership').Count()")).toBe(120 - 2 - 4 - 10);
    expect(count("G.V().Has('Type', 'device').In('Type', 'host').Dedup().Count()")).toBe(10);
    // Each leaf uplink is cabled to a spine port.
    expect(count("G.V().Has('Name', 'spine-1').Out().Both('Type', 'port').In('Role', 'leaf').Dedup().Values('Name')")).toEqual([
      'leaf-1',
      'leaf-2',
      'leaf-3',
      'leaf-4',
    ]);
    // The probe MAC belongs to the probe host.
    const path = runQuery(s, `G.V().Has('MAC', '${summary.sample.hostMac}').In('Type', 'host').Values('Name')`);
    expect(path.value).toEqual([summary.sample.hostName]);
    s.close();
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = build(7);
    const b = build(7);
    const c = build(8);
    expect(a.dump).toBe(b.dump);
    expect(c.dump).not.toBe(a.dump);
    for (const x of [a, b, c]) x.s.close();
  });
});
