// Cabling intent vs observed over a real SQLite graph store whose links the real stitcher made from
// LLDP rows, one test per outcome.
import { afterEach, describe, expect, it } from 'vitest';
import { Stitcher } from '../../src/topology/stitch/stitcher.ts';
import { ids } from '../../src/topology/ids.ts';
import { parseCablingPlan, CablingPlanError } from '../../src/cabling/plan.ts';
import { verifyCabling, cablingClean } from '../../src/cabling/verify.ts';
import { addSwitch, lldpRow, tempStore } from '../topology/stitch/helpers.ts';
import type { SqliteGraphStore } from '../../src/topology/store/sqlite-store.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const CH = { spine: '02:00:00:00:aa:01', leaf1: '02:00:00:00:bb:01', leaf2: '02:00:00:00:bb:02' };

/** spine1 Ethernet1 — leaf1 GigabitEthernet1/0/1 and spine1 Ethernet2 — leaf2 swp1, both ends speaking LLDP. */
function fabric(opts: { leaf2Speaks?: boolean; leaf2Mtu?: number; leaf2Speed?: number } = {}) {
  const { store, storage, clock } = tempStore();
  const st = new Stitcher(store, storage.stitchInputs, { sweepIntervalMs: 0, now: () => clock.now });
  closers.push(
    () => store.close(),
    () => st.stop(),
  );
  st.start();
  const spine = addSwitch(store, {
    name: 'spine1.example.org',
    chassis: CH.spine,
    ports: [
      { ifIndex: 1, name: 'Ethernet1' },
      { ifIndex: 2, name: 'Ethernet2' },
      { ifIndex: 3, name: 'Ethernet3' },
    ],
  });
  const leaf1 = addSwitch(store, {
    name: 'leaf1',
    chassis: CH.leaf1,
    ports: [
      { ifIndex: 1, name: 'GigabitEthernet1/0/1' },
      { ifIndex: 2, name: 'GigabitEthernet1/0/2' },
    ],
  });
  const leaf2 = addSwitch(store, { name: 'leaf2', chassis: CH.leaf2, ports: [{ ifIndex: 7, name: 'swp1' }] });
  // Speed and MTU as the SNMP poller writes them.
  const setPort = (sw: string, ifIndex: number, md: Record<string, unknown>) =>
    store.write((tx) => tx.upsertNode({ ID: ids.port(sw, ifIndex), Origin: 'snmp', Host: 'test', Metadata: md }, { merge: true }));
  for (const [sw, i] of [
    [spine, 1],
    [spine, 2],
    [spine, 3],
    [leaf1, 1],
    [leaf1, 2],
  ] as const)
    setPort(sw, i, { Speed: 10_000_000_000, MTU: 9216 });
  setPort(leaf2, 7, { Speed: opts.leaf2Speed ?? 10_000_000_000, MTU: opts.leaf2Mtu ?? 9216 });
  const row = (local: number, chassis: string, port: string, sysName: string) =>
    lldpRow(local, { chassisId: chassis, portId: port, sysName });
  const cable = (spinePort: number, leaf1Port: number | null) => {
    st.replaceNeighbours(spine, 'lldp-snmp', [
      ...(leaf1Port ? [row(spinePort, CH.leaf1, `Gi1/0/${leaf1Port}`, 'leaf1')] : []),
      row(2, CH.leaf2, 'swp1', 'leaf2'),
    ]);
    if (leaf1Port) st.replaceNeighbours(leaf1, 'lldp-snmp', [row(leaf1Port, CH.spine, `Ethernet${spinePort}`, 'spine1.example.org')]);
    st.replaceNeighbours(leaf2, 'lldp-snmp', opts.leaf2Speaks === false ? [] : [row(7, CH.spine, 'Ethernet2', 'spine1.example.org')]);
  };
  return { store, st, cable, spine, leaf1, leaf2 };
}

const PLAN = `a_device,a_port,b_device,b_port
spine1,Et1,leaf1,Gi1/0/1
spine1,Ethernet2,leaf2,swp1
`;
const brief = (store: SqliteGraphStore, plan: string) => {
  const r = verifyCabling(store, parseCablingPlan(plan));
  const end = (e: { device: string; port: string }) => `${e.device}:${e.port}`;
  const pl = (c: { a: { device: string; port: string }; b: { device: string; port: string } }) => `${end(c.a)}—${end(c.b)}`;
  return {
    r,
    ok: r.ok.map((x) => pl(x.planned)),
    missing: r.missing.map((x) => pl(x.planned)),
    unexpected: r.unexpected.map(pl),
    miswired: r.miswired.map((x) => `${pl(x.planned)} expected ${end(x.expected)} found ${end(x.found)}`),
  };
};

describe('verifyCabling', () => {
  it('ok: every planned cable observed, vendor spellings matched (Et1 = Ethernet1, Gi1/0/1 = GigabitEthernet1/0/1)', () => {
    const { store, cable } = fabric();
    cable(1, 1);
    const b = brief(store, PLAN);
    expect(b.ok).toEqual(['spine1:Et1—leaf1:Gi1/0/1', 'spine1:Ethernet2—leaf2:swp1']);
    expect([b.missing, b.unexpected, b.miswired]).toEqual([[], [], []]);
    expect(b.r.ok[0]!.observed.evidence).toEqual(['lldp-snmp']);
    expect(cablingClean(b.r)).toBe(true);
  });

  it('miswired: leaf1 cabled to Gi1/0/2 instead of Gi1/0/1 names both ports; the fabric DSL plan says the same', () => {
    const { store, cable } = fabric();
    cable(1, 2);
    const b = brief(store, PLAN);
    expect(b.miswired).toEqual(['spine1:Et1—leaf1:Gi1/0/1 expected leaf1:Gi1/0/1 found leaf1:GigabitEthernet1/0/2']);
    expect([b.missing, b.unexpected]).toEqual([[], []]);
    const dsl = [
      'S[Name=spine1] -> S1[Name=Ethernet1]',
      'S -> S2[Name=Ethernet2]',
      'L1[Name=leaf1] -> L1P1[Name=Gi1/0/1]',
      'L2[Name=leaf2] -> L2P1[Name=swp1]',
      'S1 --> L1P1',
      'S2 --> L2P1',
    ].join('\n');
    const d = brief(store, dsl);
    expect(d.miswired).toEqual(['spine1:Ethernet1—leaf1:Gi1/0/1 expected leaf1:Gi1/0/1 found leaf1:GigabitEthernet1/0/2']);
    expect(d.ok).toEqual(['spine1:Ethernet2—leaf2:swp1']);
    expect(cablingClean(d.r)).toBe(false);
  });

  it('missing: a planned cable with nothing at either end; unexpected: an observed cable the plan lacks', () => {
    const { store, cable } = fabric();
    cable(1, 1);
    const plan = `a_device,a_port,b_device,b_port\nspine1,Ethernet2,leaf2,swp1\nspine1,Ethernet3,leaf1,Gi1/0/2\n`;
    const b = brief(store, plan);
    expect(b.ok).toEqual(['spine1:Ethernet2—leaf2:swp1']);
    expect(b.missing).toEqual(['spine1:Ethernet3—leaf1:Gi1/0/2']);
    expect(b.r.missing[0]!.reason).toBe('no link observed at either planned port');
    expect(b.r.unexpected).toHaveLength(1);
    const u = b.r.unexpected[0]!;
    expect([`${u.a.device}:${u.a.port}`, `${u.b.device}:${u.b.port}`].sort()).toEqual([
      'leaf1:GigabitEthernet1/0/1',
      'spine1.example.org:Ethernet1',
    ]);
    // A device the graph does not know: missing, with the reason.
    const m = brief(store, `a_device,a_port,b_device,b_port\nspine9,Ethernet1,leaf9,Gi1/0/1\n`);
    expect(m.r.missing[0]!.reason).toMatch(/device spine9 is not in the graph/);
  });

  it('a pulled cable (link DOWN, not re-seen, both ports up) is missing, not ok', () => {
    const { store, st, spine, leaf1, leaf2 } = fabric();
    st.replaceNeighbours(spine, 'lldp-snmp', [lldpRow(1, { chassisId: CH.leaf1, portId: 'Gi1/0/1', sysName: 'leaf1' })]);
    st.replaceNeighbours(leaf1, 'lldp-snmp', [lldpRow(1, { chassisId: CH.spine, portId: 'Ethernet1', sysName: 'spine1.example.org' })]);
    st.replaceNeighbours(leaf2, 'lldp-snmp', []);
    expect(brief(store, PLAN).ok).toEqual(['spine1:Et1—leaf1:Gi1/0/1']);
    // Two polls without the row: the stitcher marks the link DOWN (kept until retention).
    for (let i = 0; i < 2; i++) {
      st.replaceNeighbours(spine, 'lldp-snmp', []);
      st.replaceNeighbours(leaf1, 'lldp-snmp', []);
    }
    const b = brief(store, PLAN);
    expect(b.ok).toEqual([]);
    expect(b.r.missing.map((m) => m.reason)).toEqual(['the link was not seen in recent polls', 'no link observed at either planned port']);
    expect(b.unexpected).toEqual([]);
  });

  it('a cable moved to another port while the old far port went dark is miswired, not ok plus unexpected', () => {
    const { store, cable, leaf1 } = fabric();
    cable(1, 1);
    expect(brief(store, PLAN).ok).toEqual(['spine1:Et1—leaf1:Gi1/0/1', 'spine1:Ethernet2—leaf2:swp1']);
    // The leaf1 end moves to Gi1/0/2: Gi1/0/1 loses its carrier, so the old link stays DOWN (a port
    // down) until retention, and the new one comes up.
    store.write((tx) =>
      tx.upsertNode({ ID: ids.port(leaf1, 1), Origin: 'snmp', Host: 'test', Metadata: { State: 'DOWN' } }, { merge: true }),
    );
    for (let i = 0; i < 2; i++) cable(1, 2);
    const b = brief(store, PLAN);
    expect(b.miswired).toEqual(['spine1:Et1—leaf1:Gi1/0/1 expected leaf1:Gi1/0/1 found leaf1:GigabitEthernet1/0/2']);
    expect([b.ok, b.missing, b.unexpected]).toEqual([['spine1:Ethernet2—leaf2:swp1'], [], []]);
  });

  it('one-sided LLDP, speed and MTU mismatch across a cable', () => {
    const { store, cable } = fabric({ leaf2Speaks: false, leaf2Mtu: 1500, leaf2Speed: 1_000_000_000 });
    cable(1, 1);
    const b = brief(store, PLAN);
    expect(b.ok).toHaveLength(2);
    expect(b.r.oneSided.map((x) => x.reportedBy)).toEqual(['spine1.example.org']);
    const ends = (x: { a: { port: string; speed?: number; mtu?: number }; b: { port: string; speed?: number; mtu?: number } }) =>
      [x.a, x.b].map((e) => `${e.port} ${e.speed} ${e.mtu}`).sort();
    expect(b.r.speedMismatch.map(ends)).toEqual([['Ethernet2 10000000000 9216', 'swp1 1000000000 1500']]);
    expect(b.r.mtuMismatch.map(ends)).toEqual([['Ethernet2 10000000000 9216', 'swp1 1000000000 1500']]);
    expect(cablingClean(b.r)).toBe(false);
  });

  it('a bad plan names its line', () => {
    expect(() => parseCablingPlan('a_device,a_port,b_device\nx,y,z\n', 'csv')).toThrow(CablingPlanError);
    expect(() => parseCablingPlan('a_device,a_port,b_device,b_port\nx,y,z\n')).toThrow(/line 2: expected 4 fields/);
    expect(() => parseCablingPlan('A[Name=a] -> P1\nP1 --> P2\n')).toThrow(/line 2: "P2" is not a port/);
    expect(parseCablingPlan('a_device,a_port,b_device,b_port\n"sw 1","Gi1/0/1","sw,2",Te1/1\n')[0]).toMatchObject({
      a: { device: 'sw 1', port: 'Gi1/0/1' },
      b: { device: 'sw,2', port: 'Te1/1' },
    });
  });
});
