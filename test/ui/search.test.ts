// Search ranking without a browser: exact matches of a name, address or MAC first, then prefix
// matches, then word starts; substring matches last and few. On the lab's naming (hosts h1…h12,
// every host and switch with an "eth1"), "h1" must give host h1, then h10…h12, and no "…eth1".
import { describe, expect, it } from 'vitest';
import { GraphModel } from '../../src/ui/web/model/graph-model.ts';
import { SearchIndex } from '../../src/ui/web/ui/search.ts';
import type { GEdge, GNode } from '../../src/ui/web/model/types.ts';

function labLike(): { g: GraphModel; macOf: (host: string) => string } {
  const nodes: GNode[] = [];
  const edges: GEdge[] = [];
  const own = (p: string, c: string) => edges.push({ ID: `o:${c}`, Parent: p, Child: c, Metadata: { RelationType: 'ownership' } });
  const mac = (i: number) => `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;
  for (const sw of ['leaf1', 'leaf2', 'spine1']) {
    nodes.push({ ID: sw, Metadata: { Type: 'switch', Name: sw, MgmtAddress: `172.20.0.${sw.length}` } });
    for (let p = 1; p <= 9; p++) {
      nodes.push({ ID: `${sw}.eth${p}`, Metadata: { Type: 'port', Name: `eth${p}` } });
      own(sw, `${sw}.eth${p}`);
    }
  }
  for (let i = 1; i <= 12; i++) {
    nodes.push({ ID: `h${i}`, Metadata: { Type: 'host', Name: `h${i}` } });
    nodes.push({ ID: `h${i}.eth1`, Metadata: { Type: 'device', Name: 'eth1', MAC: mac(i), IPV4: [`10.0.0.${i}/24`] } });
    own(`h${i}`, `h${i}.eth1`);
  }
  const g = new GraphModel();
  g.reset(nodes, edges);
  return { g, macOf: (h) => mac(Number(h.slice(1))) };
}

describe('search ranking', () => {
  const { g, macOf } = labLike();
  const s = new SearchIndex(g);

  it('"h1": the host h1, then the hosts starting with h1, and none of the unrelated …eth1', () => {
    const hits = s.find('h1');
    expect(hits.map((x) => x.label)).toEqual(['h1', 'h10', 'h11', 'h12']);
  });

  it('ranks an exact name before prefixes, and devices before their ports', () => {
    const hits = s.find('leaf1').map((x) => x.label);
    expect(hits[0]).toBe('leaf1');
    const eth1 = s.find('eth1').map((x) => x.label);
    // Every "eth1" is an exact name match: 3 switch ports and 12 host NICs.
    expect(eth1.length).toBeGreaterThanOrEqual(15);
    expect(eth1.every((l) => l.endsWith('· eth1'))).toBe(true);
  });

  it('finds a MAC in any notation, exact match first', () => {
    const mac = macOf('h4');
    for (const q of [mac, mac.toUpperCase(), mac.replace(/:/g, '-'), mac.replace(/:/g, '').replace(/(.{4})(?!$)/g, '$1.')]) {
      expect(s.find(q)[0]?.gid, q).toBe('h4.eth1');
    }
  });

  it('ranks an exact IP before addresses it prefixes', () => {
    const hits = s.find('10.0.0.1');
    expect(hits[0]?.gid).toBe('h1.eth1');
    expect(hits.slice(1).map((x) => x.gid)).toEqual(['h10.eth1', 'h11.eth1', 'h12.eth1']);
  });

  it('keeps plain substring matches last and few', () => {
    // "th1" is inside every eth1 (12 NICs, 3 ports) and eth1x: a handful at most.
    const hits = s.find('th1');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(5);
    expect(s.find('zz')).toEqual([]);
  });
});
