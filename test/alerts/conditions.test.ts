// Each condition kind over a real SQLite graph whose links the real stitcher made from LLDP rows,
// real port series rows, and a cabling plan file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stitcher } from '../../src/topology/stitch/stitcher.ts';
import { ids } from '../../src/topology/ids.ts';
import { evaluateCondition, isDownLink, isPlaceholder, type ConditionContext, type Heard } from '../../src/alerts/conditions.ts';
import { LiveSet } from '../../src/alerts/live-set.ts';
import type { GraphEdge, GraphNode } from '../../src/topology/types.ts';
import { conditionSchema } from '../../src/alerts/config.ts';
import type { SqliteStorage } from '../../src/topology/store/sqlite-storage.ts';
import { addSwitch, lldpRow, tempStore } from '../topology/stitch/helpers.ts';

const CH = { spine: '02:00:00:00:aa:01', leaf1: '02:00:00:00:bb:01', leaf2: '02:00:00:00:bb:02', stranger: '02:00:00:00:cc:09' };
let storage: SqliteStorage;
let clock: { now: number };
let st: Stitcher;
let dir: string;
let spine: string;
let leaf1: string;
let leaf2: string;
let heard: Heard[] = [];

const ctx = (over: Partial<ConditionContext> = {}): ConditionContext => ({
  store: storage.graph,
  now: clock.now,
  limits: { maxResults: 10_000, timeoutMs: 5000 },
  series: storage.portSeries,
  rawSeriesMs: 3_600_000,
  heard: () => heard,
  ruleSince: 0,
  ...over,
});
const run = (cond: unknown, query?: string, over: Partial<ConditionContext> = {}) =>
  evaluateCondition(ctx(over), conditionSchema.parse(cond), query);

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what()).toBe(true);
}
const setPort = (sw: string, ifIndex: number, md: Record<string, unknown>) =>
  storage.graph.write((tx) => tx.upsertNode({ ID: ids.port(sw, ifIndex), Origin: 'snmp', Host: 'test', Metadata: md }, { merge: true }));
const linkState = (a: string) =>
  storage.graph
    .edgesOf(a, 'out')
    .concat(storage.graph.edgesOf(a, 'in'))
    .find((e) => e.Metadata.RelationType === 'layer2')?.Metadata.State;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'canopy-alert-cond-'));
  ({ storage, clock } = tempStore(dir));
  st = new Stitcher(storage.graph, storage.stitchInputs, { sweepIntervalMs: 0, now: () => clock.now });
  st.start();
  spine = addSwitch(storage.graph, { name: 'spine1', chassis: CH.spine, ports: [1, 2].map((i) => ({ ifIndex: i, name: `Ethernet${i}` })) });
  leaf1 = addSwitch(storage.graph, { name: 'leaf1', chassis: CH.leaf1, ports: [1, 2, 3].map((i) => ({ ifIndex: i, name: `swp${i}` })) });
  leaf2 = addSwitch(storage.graph, { name: 'leaf2', chassis: CH.leaf2, ports: [1].map((i) => ({ ifIndex: i, name: `swp${i}` })) });
  storage.graph.write((tx) => {
    tx.upsertNode({ ID: spine, Metadata: { Role: 'spine' } }, { merge: true });
    tx.upsertNode({ ID: leaf1, Metadata: { Role: 'leaf' } }, { merge: true });
    tx.upsertNode({ ID: leaf2, Metadata: { Role: 'leaf' } }, { merge: true });
  });
  // spine1 Ethernet1 — leaf1 swp1; leaf1 swp2 — leaf2 swp1 (a leaf–leaf link).
  const row = (local: number, chassis: string, port: string, sysName: string) =>
    lldpRow(local, { chassisId: chassis, portId: port, sysName });
  st.replaceNeighbours(spine, 'lldp-snmp', [row(1, CH.leaf1, 'swp1', 'leaf1')]);
  st.replaceNeighbours(leaf1, 'lldp-snmp', [row(1, CH.spine, 'Ethernet1', 'spine1'), row(2, CH.leaf2, 'swp1', 'leaf2')]);
  st.replaceNeighbours(leaf2, 'lldp-snmp', [row(1, CH.leaf1, 'swp2', 'leaf1')]);
});
afterAll(() => {
  st?.stop();
  storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alert conditions', () => {
  it('link-down: a DOWN link with a spine end fires, keyed by the edge; a DOWN leaf–leaf link does not', async () => {
    await until(() => linkState(ids.port(spine, 1)) === 'UP' && linkState(ids.port(leaf2, 1)) === 'UP');
    expect(run({ kind: 'link-down', role: 'spine' })).toEqual([]);
    setPort(leaf1, 1, { State: 'DOWN' });
    setPort(leaf1, 2, { State: 'DOWN' });
    await until(() => linkState(ids.port(spine, 1)) === 'DOWN' && linkState(ids.port(leaf2, 1)) === 'DOWN');
    const down = run('link-down');
    expect(down).toHaveLength(1);
    const edge = storage.graph.edgesOf(ids.port(spine, 1), 'out').concat(storage.graph.edgesOf(ids.port(spine, 1), 'in'))[0];
    expect(down[0]!.key).toBe(
      storage.graph.findEdges('RelationType', 'layer2').find((e) => [e.Parent, e.Child].includes(ids.port(spine, 1)))!.ID,
    );
    expect(edge).toBeDefined();
    expect([down[0]!.labels.a, down[0]!.labels.b].sort()).toEqual(['leaf1:swp1', 'spine1:Ethernet1']);
    expect(down[0]!.summary).toMatch(/DOWN/);
    // Any role: the leaf–leaf link too.
    expect(run({ kind: 'link-down', role: 'leaf' })).toHaveLength(2);
    setPort(leaf1, 1, { State: 'UP' });
    setPort(leaf1, 2, { State: 'UP' });
    await until(() => linkState(ids.port(spine, 1)) === 'UP');
    expect(run('link-down')).toEqual([]);
  });

  it('utilisation: a port above N % of its Speed over the window fires; two sources of one port count once', () => {
    setPort(leaf1, 3, { Speed: 1_000_000_000 });
    setPort(spine, 2, { Speed: 1_000_000_000 });
    const now = clock.now;
    const row = (nodeId: string, source: string, bytes: number, start: number, last: number) => ({
      nodeId,
      source,
      start,
      last,
      rxBytes: bytes,
      txBytes: 0,
      rxPackets: 0,
      txPackets: 0,
      rxErrors: 0,
      txErrors: 0,
      rxDropped: 0,
      txDropped: 0,
    });
    // leaf1 swp3: 900 Mbit/s (SNMP) and 880 Mbit/s (sFlow) over the last minute; spine Ethernet2: 100 Mbit/s.
    storage.portSeries.append([
      row(ids.port(leaf1, 3), 'snmp', (900e6 / 8) * 30, now - 60_000, now - 30_000),
      row(ids.port(leaf1, 3), 'snmp', (900e6 / 8) * 30, now - 30_000, now),
      row(ids.port(leaf1, 3), 'sflow', (880e6 / 8) * 60, now - 60_000, now),
      row(ids.port(spine, 2), 'snmp', (100e6 / 8) * 60, now - 60_000, now),
    ]);
    const hot = run({ kind: 'utilisation', above: 80, window: '1m' });
    expect(hot.map((s) => s.key)).toEqual([ids.port(leaf1, 3)]);
    expect(hot[0]!.summary).toMatch(/leaf1:swp3 at 90\.0 %/);
    expect(run({ kind: 'utilisation', above: 95, window: 60 })).toEqual([]);
    expect(
      run({ kind: 'utilisation', above: 5, window: 60 })
        .map((s) => s.key)
        .sort(),
    ).toEqual([ids.port(leaf1, 3), ids.port(spine, 2)].sort());
    // The query scopes it.
    expect(run({ kind: 'utilisation', above: 5 }, `G.V('${ids.port(spine, 2)}')`).map((s) => s.key)).toEqual([ids.port(spine, 2)]);
  });

  it('silent: exporters and SNMP devices not heard from for `after` fire, also one never heard; a query scopes by node', () => {
    const now = clock.now;
    heard = [
      { key: 'exporter:sflow:10.0.0.1', kind: 'exporter', name: '10.0.0.1 (sflow)', lastSeen: now - 301_000, since: now - 900_000 },
      { key: 'exporter:sflow:10.0.0.2', kind: 'exporter', name: '10.0.0.2 (sflow)', lastSeen: now - 10_000, since: now - 900_000 },
      { key: 'snmp:d1', kind: 'snmp', name: 'spine1 (10.0.0.6:161)', lastSeen: now - 400_000, since: now - 900_000, nodeId: spine },
      { key: 'snmp:d2', kind: 'snmp', name: '10.0.0.9:161', lastSeen: undefined, since: now - 310_000 },
      { key: 'snmp:d3', kind: 'snmp', name: '10.0.0.8:161', lastSeen: undefined, since: now - 10_000 },
    ];
    expect(run({ kind: 'silent', after: '5m' }).map((s) => s.key)).toEqual(['exporter:sflow:10.0.0.1', 'snmp:d1', 'snmp:d2']);
    expect(run({ kind: 'silent' }, "G.V().Has('Role', 'spine')").map((s) => s.key)).toEqual(['snmp:d1']);
    expect(run({ kind: 'silent', after: 600 })).toEqual([]);
    heard = [];
  });

  it('new-device: an unknown LLDP neighbour seen after the rule started fires; one already there before does not', async () => {
    const before = clock.now;
    clock.now += 1000;
    st.replaceNeighbours(leaf1, 'lldp-snmp', [
      lldpRow(1, { chassisId: CH.spine, portId: 'Ethernet1', sysName: 'spine1' }),
      lldpRow(2, { chassisId: CH.leaf2, portId: 'swp1', sysName: 'leaf2' }),
      lldpRow(3, { chassisId: CH.stranger, portId: 'eth0', sysName: 'mystery-box', capEnabled: ['bridge'] }),
    ]);
    await until(() => storage.graph.findNodes('Name', 'mystery-box').length === 1);
    const got = run('new-device', undefined, { ruleSince: before });
    expect(got.map((s) => s.labels.name)).toEqual(['mystery-box']);
    expect(got[0]!.summary).toMatch(/new unknown switch mystery-box/);
    expect(run('new-device', undefined, { ruleSince: clock.now + 1 })).toEqual([]);
  });

  it('cabling: missing and miswired cables of the intent file, keyed by the planned cable', async () => {
    const plan = join(dir, 'plan.csv');
    writeFileSync(plan, 'a_device,a_port,b_device,b_port\nspine1,Ethernet1,leaf1,swp1\nleaf1,swp2,leaf2,swp1\n');
    await until(() => linkState(ids.port(spine, 1)) === 'UP');
    expect(run({ kind: 'cabling', intent: plan })).toEqual([]);
    // The plan wants spine Ethernet1 on leaf1 swp3: leaf1's end is elsewhere (swp1), a miswired cable.
    writeFileSync(
      plan,
      'a_device,a_port,b_device,b_port\nspine1,Ethernet1,leaf1,swp3\nleaf1,swp2,leaf2,swp1\nspine1,Ethernet2,leaf2,swp9\n',
    );
    const got = run({ kind: 'cabling', intent: plan });
    const problems = got.map((s) => s.labels.problem).sort();
    expect(problems).toContain('miswired');
    expect(problems).toContain('missing');
    const mis = got.find((s) => s.labels.problem === 'miswired')!;
    expect(mis.summary).toMatch(/leaf1:swp3 expected, found leaf1:swp1/);
    expect(() => run({ kind: 'cabling', intent: join(dir, 'nope.csv') })).toThrow(/ENOENT/);
  });

  it('match: one subject per element the query returns, or one for a true count', () => {
    const down = run('match', "G.V().Has('Type', 'port', 'Name', 'swp3')");
    expect(down.map((s) => s.key)).toEqual([ids.port(leaf1, 3)]);
    expect(run('match', "G.V().Has('Name', 'leaf1').Count()")).toEqual([
      { key: 'value', labels: {}, summary: expect.stringMatching(/holds/) },
    ]);
    expect(run('match', "G.V().Has('Name', 'nobody').Count()")).toEqual([]);
    expect(() => run('match', 'G.V().Nope(')).toThrow();
  });

  it('the live sets (link-down and new-device defaults) follow the change feed and agree with the queries', async () => {
    const down = new LiveSet<GraphEdge>(storage.graph, 'edge', isDownLink, (g) => g.findEdges('RelationType', 'layer2'));
    const found = new LiveSet<GraphNode>(storage.graph, 'node', isPlaceholder, (g) =>
      ['switch', 'host', 'device'].flatMap((t) => g.findNodes('Type', t)),
    );
    try {
      const live = { downLinks: () => down.get(), placeholders: () => found.get() };
      const both = (c: string) => [run(c, undefined, { live }), run(c)] as const;
      expect(down.get()).toEqual([]);
      setPort(leaf1, 1, { State: 'DOWN' });
      await until(() => linkState(ids.port(spine, 1)) === 'DOWN');
      const [viaSet, viaQuery] = both('link-down');
      expect(viaSet).toHaveLength(1);
      expect(viaSet).toEqual(viaQuery);
      const [n1, n2] = both('new-device');
      expect(n1.map((x) => x.labels.name)).toEqual(['mystery-box']);
      expect(n1).toEqual(n2);
      setPort(leaf1, 1, { State: 'UP' });
      await until(() => linkState(ids.port(spine, 1)) === 'UP');
      expect(run('link-down', undefined, { live })).toEqual([]);
    } finally {
      down.close();
      found.close();
    }
  });

  it('cabling results are kept until links change and the interval passed, or the plan file changes', () => {
    const plan = join(dir, 'plan2.csv');
    writeFileSync(plan, 'a_device,a_port,b_device,b_port\nspine1,Ethernet1,leaf1,swp1\n');
    const cabling = { cache: new Map(), generation: 0, minIntervalMs: 60_000 };
    const at = (now: number) => run({ kind: 'cabling', intent: plan }, undefined, { cabling, now });
    expect(at(clock.now)).toEqual([]);
    // The plan names a cable that does not exist; the file's mtime moves: checked again at once.
    writeFileSync(plan, 'a_device,a_port,b_device,b_port\nspine1,Ethernet1,leaf1,swp1\nspine1,Ethernet2,leaf2,swp9\n');
    utimesSync(plan, new Date(), new Date(Date.now() + 5000));
    expect(at(clock.now).map((x) => x.labels.problem)).toContain('missing');
    // Links changed (generation moved) but within the interval: the kept result.
    cabling.generation++;
    const kept = cabling.cache.get(plan)!;
    kept.subjects = [];
    expect(at(clock.now + 1000)).toEqual([]);
    // After the interval: checked again.
    expect(at(clock.now + 61_000).map((x) => x.labels.problem)).toContain('missing');
  });
});
