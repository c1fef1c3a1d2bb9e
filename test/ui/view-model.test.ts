// The display's model without a browser: state rules (docs/architecture.md#wall-display), role inference, tiers, host
// groups, link aggregation, stable positions and incremental state refresh.
import { describe, expect, it } from 'vitest';
import { GraphModel } from '../../src/ui/web/model/graph-model.ts';
import { ViewModel } from '../../src/ui/web/model/view-model.ts';
import { combine, linkState, utilisation } from '../../src/ui/web/model/state.ts';
import { St, type GEdge } from '../../src/ui/web/model/types.ts';
import { LAYOUT } from '../../src/ui/web/model/layout.ts';
import { linkSummary } from '../../src/ui/web/ui/summary.ts';
import { generateFabric } from '../../src/ui/web/fabric.ts';

const SPEC = { spines: 2, leaves: 3, hosts: 9, dualHomed: 0, containersPerHost: 1, omitRoles: true };

function model(spec = SPEC) {
  const fab = generateFabric(spec);
  const g = new GraphModel();
  g.reset(fab.nodes, fab.edges as GEdge[]);
  const vm = new ViewModel(g);
  vm.rebuild();
  return { fab, g, vm };
}

describe('state rules', () => {
  const up = { State: 'UP' };
  const down = { State: 'DOWN' };
  it('is DOWN when both ends are down or the only known end is, degraded when one end of two is', () => {
    expect(linkState({}, down, down)).toBe(St.Down);
    expect(linkState({}, down, {})).toBe(St.Down);
    expect(linkState({}, down, up)).toBe(St.Degraded);
    expect(linkState({}, up, up)).toBe(St.Up);
    expect(linkState({ Conflict: true }, up, up)).toBe(St.Degraded);
  });
  it('degrades on errors above 0.1 % of packets and on utilisation above 90 %', () => {
    const m = (rxErr: number) => ({ State: 'UP', LastUpdateMetric: { RxPackets: 10_000, TxPackets: 0, RxErrors: rxErr, TxErrors: 0 } });
    expect(linkState({}, m(10), up)).toBe(St.Up);
    expect(linkState({}, m(11), up)).toBe(St.Degraded);
    const load = (bytes: number) => ({ State: 'UP', Speed: 10e9, LastUpdateMetric: { RxBytes: bytes, TxBytes: 0, Start: 0, Last: 1000 } });
    expect(utilisation(load(1.25e9 * 0.5))).toBeCloseTo(0.5);
    expect(linkState({}, load(1.25e9 * 0.89), up)).toBe(St.Up);
    expect(linkState({}, load(1.25e9 * 0.91), up)).toBe(St.Degraded);
  });
  it('combines members: all down is down, some down is degraded', () => {
    expect(combine([St.Down, St.Down])).toBe(St.Down);
    expect(combine([St.Down, St.Up])).toBe(St.Degraded);
    expect(combine([St.Up, St.Up])).toBe(St.Up);
  });
});

describe('view model', () => {
  it('infers roles, puts spines above leaves above host groups, and aggregates links', () => {
    const { fab, vm } = model();
    const kinds = vm.nodes.map((n) => n.kind).sort();
    expect(kinds).toEqual(['group', 'group', 'group', 'leaf', 'leaf', 'leaf', 'spine', 'spine']);
    const y = (id: string) => vm.nodes[vm.index.get(id)!]!.y;
    expect(y(fab.spineIds[0]!)).toBeLessThan(y(fab.leafIds[0]!));
    expect(y(fab.leafIds[0]!)).toBeLessThan(y(`group:${fab.leafIds[0]}`));
    // 6 spine–leaf links + 3 leaf → group links (3 hosts each, aggregated).
    expect(vm.links.length).toBe(9);
    expect(vm.links.find((l) => l.id.includes('group:'))!.edges.length).toBe(3);
    expect(vm.nodes[vm.index.get(`group:${fab.leafIds[0]}`)!]!.label).toBe('+3');
  });

  it('does not move anything already placed when hosts, leaves or spines appear', () => {
    const { fab, g, vm } = model();
    vm.expandAll = true;
    vm.rebuild();
    const before = new Map(vm.nodes.map((n) => [n.id, [n.x, n.y]]));
    const out = { structural: false, touched: new Set<string>() };
    // A new leaf named to sort first, a new spine and a host wired to an existing leaf.
    g.apply('NodeAdded', { ID: 'sw:leaf-000', Metadata: { Type: 'switch', Name: 'leaf-000', Role: 'leaf' } }, out);
    g.apply('NodeAdded', { ID: 'sw:spine-00', Metadata: { Type: 'switch', Name: 'spine-00', Role: 'spine' } }, out);
    g.apply('NodeAdded', { ID: 'host:aaa', Metadata: { Type: 'host', Name: 'aaa' } }, out);
    g.apply('NodeAdded', { ID: 'host:aaa.eth0', Metadata: { Type: 'device', Name: 'eth0' } }, out);
    g.apply('EdgeAdded', { ID: 'o1', Parent: 'host:aaa', Child: 'host:aaa.eth0', Metadata: { RelationType: 'ownership' } }, out);
    g.apply(
      'EdgeAdded',
      { ID: 'w1', Parent: fab.wires.find((w) => w.tier === 'leaf-host')!.a, Child: 'host:aaa.eth0', Metadata: { RelationType: 'layer2' } },
      out,
    );
    expect(out.structural).toBe(true);
    vm.rebuild();
    for (const [id, [x, y]] of before) expect([vm.nodes[vm.index.get(id)!]!.x, vm.nodes[vm.index.get(id)!]!.y]).toEqual([x, y]);
    expect(vm.index.has('host:aaa')).toBe(true);
  });

  it('gives the same picture for the same graph, whatever order it arrives in', () => {
    const a = model();
    const fab = generateFabric(SPEC);
    const g = new GraphModel();
    g.reset([...fab.nodes].reverse(), [...fab.edges].reverse() as GEdge[]);
    const vm = new ViewModel(g);
    vm.rebuild();
    for (const n of a.vm.nodes) expect(vm.nodes[vm.index.get(n.id)!]).toMatchObject({ x: n.x, y: n.y, kind: n.kind });
  });

  it('refreshes only touched elements: a port going DOWN reddens its link and ambers its switch', () => {
    const { fab, g, vm } = model();
    const w = fab.wires.find((x) => x.tier === 'spine-leaf')!;
    const li = vm.links.findIndex((l) => l.edges.some((e) => g.edges.get(e)?.Parent === w.a));
    const out = { structural: false, touched: new Set<string>() };
    for (const id of [w.a, w.b]) g.apply('NodeUpdated', { ID: id, Metadata: { ...g.nodes.get(id)!.Metadata, State: 'DOWN' } }, out);
    expect(out.structural).toBe(false);
    const other = vm.links.findIndex((_, i) => i !== li);
    vm.links[other]!.state = St.Unknown; // sentinel: an untouched link must not be recomputed
    vm.refresh(out.touched);
    expect(vm.links[li]!.state).toBe(St.Down);
    expect(vm.links[other]!.state).toBe(St.Unknown);
    expect(vm.nodes[vm.index.get(fab.spineIds[0]!)!]!.state).toBe(St.Degraded);
  });

  it('reveals a host hidden in a group, and its containers on their own tier', () => {
    const { fab, vm } = model();
    const h = fab.hosts[4]!;
    expect(vm.displayOf(`${h.id}.eth0`)).toBe(`group:${h.tor}`);
    expect(vm.reveal(`${h.id}.c0`)).toBe(true);
    vm.rebuild();
    expect(vm.displayOf(`${h.id}.eth0`)).toBe(h.id);
    const c = vm.nodes[vm.index.get(`${h.id}.c0`)!]!;
    expect(c.kind).toBe('container');
    expect(c.y).toBeGreaterThan(vm.nodes[vm.index.get(h.id)!]!.y);
  });
});

describe('tiers', () => {
  /** An sFlow exporter no polled switch answers for, as flow attribution creates it (with a port). */
  function withExporter() {
    const m = model();
    const out = { structural: false, touched: new Set<string>() };
    m.g.apply('NodeAdded', { ID: 'exp', Metadata: { Type: 'exporter', Name: '192.0.2.200', MgmtAddress: '192.0.2.200' } }, out);
    m.g.apply('NodeAdded', { ID: 'exp.p3', Metadata: { Type: 'port', Name: 'ifIndex 3', IfIndex: 3 } }, out);
    m.g.apply('EdgeAdded', { ID: 'o-exp', Parent: 'exp', Child: 'exp.p3', Metadata: { RelationType: 'ownership' } }, out);
    m.vm.rebuild();
    return m;
  }

  it('puts an exporter with no switch in a corner block, not on a tier of its own below the hosts', () => {
    const { vm } = withExporter();
    const exp = vm.nodes[vm.index.get('exp')!]!;
    const fabric = vm.nodes.filter((n) => n.id !== 'exp');
    expect(exp.y).toBeLessThan(LAYOUT.LEAF_Y);
    expect(exp.x).toBeLessThan(Math.min(...fabric.map((n) => n.x)) - 100);
    // Nothing lies below the host tier: the fabric is not stretched by an empty row.
    expect(Math.max(...vm.nodes.map((n) => n.y))).toBe(LAYOUT.HOST_Y);
    expect(vm.tiers.map((t) => t.text)).toEqual(['SPINE', 'LEAF / TOR', 'HOSTS', 'UNATTACHED']);
  });

  it('has a container tier only while containers are shown, just below the deepest host row', () => {
    const { fab, vm } = model();
    expect(vm.tiers.map((t) => t.text)).not.toContain('CONTAINERS');
    const h = fab.hosts[4]!;
    vm.reveal(`${h.id}.c0`);
    vm.rebuild();
    const hostYs = vm.nodes.filter((n) => n.kind === 'host').map((n) => n.y);
    const c = vm.nodes[vm.index.get(`${h.id}.c0`)!]!;
    expect(c.y).toBeGreaterThan(Math.max(...hostYs));
    expect(c.y - Math.max(...hostYs)).toBeLessThanOrEqual(LAYOUT.HOST_DY + LAYOUT.CONTAINER_GAP);
    expect(vm.tiers.find((t) => t.text === 'CONTAINERS')?.y).toBe(c.y);
    vm.expandedHosts.clear();
    vm.rebuild();
    expect(vm.tiers.map((t) => t.text)).not.toContain('CONTAINERS');
  });
});

describe('spines over the leaves', () => {
  it('re-centres the spines when start-up placeholders that widened the leaf row are merged away', () => {
    // What a page opened while the collector starts sees: the four lab switches, two already
    // wired, and LLDP neighbours not yet resolved kept as switches of their own (on the leaf tier).
    const sw = (ID: string) => ({ ID, Metadata: { Type: 'switch', Name: ID } });
    const port = (ID: string) => ({ ID, Metadata: { Type: 'port', Name: ID } });
    const own = (p: string, c: string) => ({ ID: `o:${c}`, Parent: p, Child: c, Metadata: { RelationType: 'ownership' } }) as GEdge;
    const wire = (a: string, b: string) => ({ ID: `w:${a}:${b}`, Parent: a, Child: b, Metadata: { RelationType: 'layer2' } }) as GEdge;
    const placeholders = ['lldp-1', 'lldp-2', 'lldp-3', 'lldp-4', 'lldp-5'];
    const g = new GraphModel();
    g.reset(
      [
        ...['spine1', 'spine2', 'leaf1', 'leaf2', ...placeholders].map(sw),
        ...['s1p1', 's1p2', 's2p1', 'l1p1', 'l1p2', 'l2p1', 'l2p2', 'l2p3', 'h1e', 'h2e'].map(port),
        { ID: 'h1', Metadata: { Type: 'host', Name: 'h1' } },
        { ID: 'h2', Metadata: { Type: 'host', Name: 'h2' } },
      ],
      [
        ...[
          ['spine1', 's1p1'],
          ['spine1', 's1p2'],
          ['spine2', 's2p1'],
          ['leaf1', 'l1p1'],
          ['leaf1', 'l1p2'],
          ['leaf2', 'l2p1'],
          ['leaf2', 'l2p2'],
          ['leaf2', 'l2p3'],
          ['h1', 'h1e'],
          ['h2', 'h2e'],
        ].map(([p, c]) => own(p!, c!)),
        wire('s1p1', 'l1p1'),
        wire('s2p1', 'l2p1'),
        wire('s1p2', 'l2p2'),
        wire('l1p2', 'h1e'),
        wire('l2p3', 'h2e'),
      ],
    );
    const vm = new ViewModel(g);
    vm.rebuild();
    const x = (id: string) => vm.nodes[vm.index.get(id)!]!.x;
    expect(vm.nodes[vm.index.get('spine1')!]!.kind).toBe('spine');
    const out = { structural: false, touched: new Set<string>() };
    for (const p of placeholders) g.apply('NodeDeleted', sw(p), out);
    vm.rebuild();
    const leafXs = [x('leaf1'), x('leaf2')];
    for (const s of ['spine1', 'spine2']) {
      expect(x(s), s).toBeGreaterThanOrEqual(Math.min(...leafXs) - LAYOUT.LEAF_DX);
      expect(x(s), s).toBeLessThanOrEqual(Math.max(...leafXs) + LAYOUT.LEAF_DX);
    }
    // Leaves did not move, and a further rebuild moves nothing.
    expect(leafXs).toEqual([0, LAYOUT.LEAF_DX]);
    const before = vm.nodes.map((n) => [n.id, n.x, n.y]);
    vm.rebuild();
    expect(vm.nodes.map((n) => [n.id, n.x, n.y])).toEqual(before);
  });
});

describe('header counts', () => {
  it('counts links down in the graph whatever is collapsed, and updates them incrementally', () => {
    const { fab, g, vm } = model({ ...SPEC, hosts: 12 });
    const hostWires = fab.wires.filter((w) => w.tier === 'leaf-host').slice(0, 3);
    const out = { structural: false, touched: new Set<string>() };
    const set = (id: string, State: string) => g.apply('NodeUpdated', { ID: id, Metadata: { ...g.nodes.get(id)!.Metadata, State } }, out);
    for (const w of hostWires) {
      set(w.a, 'DOWN');
      set(w.b, 'DOWN');
    }
    vm.refresh(out.touched);
    // The host groups are collapsed: what is drawn is a degraded group link, but 3 links are down.
    expect(vm.nodes.some((n) => n.kind === 'host')).toBe(false);
    expect(vm.links.filter((l) => l.state === St.Down)).toHaveLength(0);
    expect(vm.counts).toMatchObject({ down: 3, degraded: 0 });
    expect(linkSummary(vm.counts).down).toBe('3 links down');
    // One cable back: one end up is "degraded" (docs/architecture.md#wall-display), the other two stay down.
    const back = { structural: false, touched: new Set<string>() };
    g.apply('NodeUpdated', { ID: hostWires[0]!.a, Metadata: { ...g.nodes.get(hostWires[0]!.a)!.Metadata, State: 'UP' } }, back);
    vm.refresh(back.touched);
    expect(vm.counts).toMatchObject({ down: 2, degraded: 1 });
    vm.expandAll = true;
    vm.rebuild();
    expect(vm.counts).toMatchObject({ down: 2, degraded: 1 });
    expect(vm.counts.total).toBe(fab.wires.length);
  });

  it('words the counts for one and for many', () => {
    expect(linkSummary({ down: 1, degraded: 1, total: 9 })).toEqual({ down: '1 link down', degraded: '1 link degraded' });
    expect(linkSummary({ down: 0, degraded: 3, total: 9 })).toEqual({ down: '0 links down', degraded: '3 links degraded' });
  });
});

describe('identity merges in the change feed', () => {
  it('a port briefly owned by a placeholder (stitcher merge) keeps its switch as owner afterwards', () => {
    const node = (ID: string, Type: string, Name: string) => ({
      ID,
      Metadata: { Type, Name },
      Host: '',
      Origin: '',
      CreatedAt: 0,
      UpdatedAt: 0,
      Revision: 1,
    });
    const own = (ID: string, Parent: string, Child: string) =>
      ({ ...node(ID, '', ''), Parent, Child, Metadata: { RelationType: 'ownership' } }) as GEdge;
    const g = new GraphModel();
    g.reset([node('leaf', 'switch', 'leaf1'), node('p1', 'port', 'eth1'), node('ph', 'switch', 'leaf1?')], [own('o1', 'leaf', 'p1')]);
    const out = { structural: false, touched: new Set<string>() };
    // What a merge of the placeholder into the switch sends: a re-pointed ownership edge, then the
    // placeholder's edges and the placeholder itself deleted.
    g.apply('EdgeAdded', own('o2', 'ph', 'p1'), out);
    g.apply('EdgeDeleted', own('o2', 'ph', 'p1'), out);
    expect(g.owner.get('p1')).toBe('leaf');
    g.apply('EdgeAdded', own('o3', 'ph', 'p1'), out);
    g.apply('NodeDeleted', node('ph', 'switch', 'leaf1?'), out);
    expect(g.owner.get('p1')).toBe('leaf');
    expect(g.climb('p1').top).toBe('leaf');
  });
});
