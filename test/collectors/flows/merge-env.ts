// Shared by the merge-during-ingest tests: a graph store, flow pipeline and stitcher as the
// collector wires them, SNMP polls written by the poller's own functions, the Open vSwitch sFlow
// capture (plus datagrams built from it), and checks that everything stored adds up.
import { afterEach, expect } from 'vitest';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/load.ts';
import type { SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { Stitcher } from '../../../src/topology/stitch/stitcher.ts';
import { FlowPipeline } from '../../../src/collectors/flows/pipeline.ts';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import { udpPayloads } from '../../../src/collectors/common/pcap.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { resolveSwitchId } from '../../../src/collectors/snmp/identity.ts';
import { writePorts, writeStates, writeSwitch } from '../../../src/collectors/snmp/graph-writer.ts';
import type { IfInventory, IfState } from '../../../src/collectors/snmp/parse-if.ts';
import { createRegistry } from '../../../src/util/metrics.ts';
import type { Component, ComponentContext } from '../../../src/component/contract.ts';

export const PCAPS = 'fixtures/pcaps';
/** The Open vSwitch capture's agent, and the chassis ID its LLDP would carry. */
export const AGENT = '10.98.0.254';
export const CHASSIS = '02:00:00:62:00:fe';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface Env {
  dir: string;
  store: SqliteGraphStore;
  pipeline: FlowPipeline;
  stitcher: Stitcher;
  ctx: ComponentContext;
  lines: LogLine[];
  components: Component[];
}

const envs: Env[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) {
    for (const c of e.components) await c.stop();
    e.stitcher.stop();
    e.pipeline.flush();
    e.store.close();
    rmSync(e.dir, { recursive: true, force: true });
  }
});

export function env(overrides: Record<string, unknown> = {}): Env {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-merge-race-'));
  const config = loadConfig({
    env: {},
    overrides: {
      'storage.dataDir': dir,
      // Every counter reading reaches the port's Metric (no graph throttle).
      'storage.counterUpdateInterval': 0,
      'sflow.listen': '127.0.0.1:0',
      'netflow.listen': '127.0.0.1:0',
      'ipfix.enabled': false,
      ...overrides,
    },
  });
  const storage = openSqliteStorage({ path: join(dir, 'graph.db') });
  const store = storage.graph;
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const registry = createRegistry(false);
  const ctx: ComponentContext = { config, store, storage, registry, log };
  const pipeline = new FlowPipeline(config, storage, registry, log.child({ component: 'flows' }));
  const stitcher = new Stitcher(store, storage.stitchInputs, { sweepIntervalMs: 0 });
  stitcher.start();
  const e = { dir, store, pipeline, stitcher, ctx, lines, components: [] };
  envs.push(e);
  return e;
}

/** What one SNMP poll of a switch writes (the device poller's transaction, same functions). */
export function poll(e: Env, s: { address: string; sysName: string; chassis: string; ports: [number, string][] }): string {
  const inv = new Map<number, IfInventory>(
    s.ports.map(([ifIndex, name]) => [
      ifIndex,
      { ifIndex, name, descr: name, alias: null, type: 6, mtu: 1500, speed: 10_000_000_000, mac: null },
    ]),
  );
  const states = new Map<number, IfState>(s.ports.map(([ifIndex]) => [ifIndex, { ifIndex, admin: 1, oper: 1, counters: null }]));
  let id = '';
  e.store.write((tx) => {
    id = resolveSwitchId(tx, { chassis: { subtype: 4, id: s.chassis }, sysName: s.sysName, address: `${s.address}:161` }, () => false).id;
    writeSwitch(tx, id, {
      sysName: s.sysName,
      sysDescr: 'Open vSwitch',
      sysObjectID: null,
      mgmtAddress: s.address,
      chassis: { subtype: 4, id: s.chassis },
    });
    writePorts(tx, id, inv, states);
    writeStates(tx, id, states, new Map(), new Map(), Date.now());
  });
  return id;
}

/**
 * A polled neighbour (sw1) whose LLDP table names the exporter's switch: the stitcher keeps that
 * switch as a placeholder answering at `address`. Returns the placeholder's ID.
 */
export function neighbourSees(e: Env, address: string): string {
  const sw1 = poll(e, {
    address: '10.99.255.11',
    sysName: 'sw1',
    chassis: '02:00:00:62:00:01',
    ports: [
      [1, 'sw1-p1'],
      [2, 'sw1-p2'],
    ],
  });
  e.stitcher.replaceNeighbours(sw1, 'lldp-snmp', [
    {
      localIfIndex: 2,
      chassisIdSubtype: 4,
      chassisId: CHASSIS,
      portIdSubtype: 5,
      portId: 'sw-up',
      sysName: 'sw',
      capSupported: ['bridge'],
      capEnabled: ['bridge'],
      managementAddresses: [address],
      lastSeen: Date.now(),
      missed: 0,
    },
  ]);
  const ph = e.store.resolveAlias(`chassis:4:${CHASSIS}`)!;
  expect(e.store.getNode(ph)?.Metadata).toMatchObject({ Type: 'switch', MgmtAddress: address, Probe: 'lldp' });
  return ph;
}

/** The stitcher reacts to the poll on the change feed, in a microtask: let it run, and nothing else. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** SNMP identifies the switch; the stitcher folds the placeholder into it. Returns the switch ID. */
export async function identify(e: Env, address: string, ph: string, ports: [number, string][]): Promise<string> {
  const sw = poll(e, { address, sysName: 'sw', chassis: CHASSIS, ports });
  await settle();
  expect(e.store.getNode(ph), 'placeholder folded into the polled switch').toBeUndefined();
  expect(e.store.historyOf(ph).at(-1)?.Metadata.MergedInto).toBe(sw);
  return sw;
}

export const OVS_PORTS: [number, string][] = [
  [2, 'sw-p1'],
  [3, 'sw-p2'],
  [5, 'br0'],
  [6, 'sw-p3'],
  [9, 'sw-up'],
];

/** sFlow v5 over IPv4: every flow sample (format 1) on port `from` is moved to port `to`. */
export function movePort(dg: Buffer, from: number, to: number, sequence: number): Buffer {
  const b = Buffer.from(dg);
  expect(b.readUInt32BE(4)).toBe(1); // IPv4 agent
  b.writeUInt32BE(sequence, 16);
  let p = 28;
  for (let n = b.readUInt32BE(24); n > 0; n--) {
    const tag = b.readUInt32BE(p);
    const len = b.readUInt32BE(p + 4);
    if (tag === 1) {
      for (const o of [p + 8 + 20, p + 8 + 24]) if (b.readUInt32BE(o) === from) b.writeUInt32BE(to, o);
    }
    p += 8 + len;
  }
  return b;
}

/** The Open vSwitch capture, then the same exchange seen on a port sFlow had not reported before. */
export function ovsDatagrams(): { data: Buffer; at: number }[] {
  const caps = [...udpPayloads(readFileSync(join(PCAPS, 'ovs-sflow.pcap')))];
  const out = caps.map((c) => ({ data: c.payload, at: c.tsMs }));
  out.push({ data: movePort(caps[1]!.payload, 2, 6, 23), at: caps.at(-1)!.tsMs + 1000 });
  return out;
}

export function flowTotals(flows: FlowRecord[]): { bytes: number; packets: number } {
  let bytes = 0;
  let packets = 0;
  for (const f of flows) {
    const rate = f.samplingRate && f.samplingRate > 0 ? f.samplingRate : 1;
    bytes += (f.bytes ?? 0) * rate;
    packets += (f.packets ?? 1) * rate;
  }
  return { bytes, packets };
}

/** ifIndex → ifInOctets readings of the generic counter records, in order. */
export function counterReadings(dgs: Buffer[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const d of dgs) {
    for (const c of decodeSflow(d).counters) {
      if (c.format !== 1 || !c.ifIndex) continue;
      const l = out.get(c.ifIndex) ?? [];
      l.push(c.ifInOctets as number);
      out.set(c.ifIndex, l);
    }
  }
  return out;
}

/** Live ports owned by a device, by ifIndex (each ifIndex must name one port). */
export function portsOf(store: SqliteGraphStore, dev: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of store.edgesOf(dev, 'out')) {
    if (e.Metadata.RelationType !== 'ownership') continue;
    const n = store.getNode(e.Child);
    if (n?.Metadata.Type !== 'port' || typeof n.Metadata.IfIndex !== 'number') continue;
    out.set(n.Metadata.IfIndex, [...(out.get(n.Metadata.IfIndex) ?? []), n.ID]);
  }
  return out;
}

interface StoredFlow {
  device_id: string;
  in_port_id: string | null;
  out_port_id: string | null;
  bytes: number;
  packets: number;
}

/** Everything stored lands on the switch and its live ports, and adds up to what was sent. */
export function expectAllOnSwitch(e: Env, sw: string, want: { bytes: number; packets: number }): void {
  e.pipeline.flush();
  const db = e.store.database;
  const rows = db.prepare('SELECT device_id, in_port_id, out_port_id, bytes, packets FROM flows').all() as StoredFlow[];
  const ports = portsOf(e.store, sw);
  for (const [ifIndex, list] of ports) expect(list, `one port for ifIndex ${ifIndex}`).toHaveLength(1);
  const live = new Set([...ports.values()].flat());
  for (const r of rows) {
    expect(r.device_id).toBe(sw);
    for (const p of [r.in_port_id, r.out_port_id])
      if (p !== null) expect(live.has(p), `flow port ${p} is a live port of the switch`).toBe(true);
  }
  const sum = (k: 'bytes' | 'packets') => rows.reduce((s, r) => s + r[k], 0);
  expect({ bytes: sum('bytes'), packets: sum('packets') }).toEqual(want);
  // What /api/flows?node=<switch> reads.
  const q = e.pipeline.store.query({ node: sw, top: 100_000 }, 0);
  expect({ bytes: q.reduce((s, r) => s + r.bytes, 0), packets: q.reduce((s, r) => s + r.packets, 0) }).toEqual(want);
}

export function expectCounters(e: Env, sw: string, readings: Map<number, number[]>, lastAfterMerge: Set<number>): void {
  e.pipeline.flush();
  const db = e.store.database;
  const rows = db.prepare('SELECT node_id, rx_bytes FROM port_metrics').all() as { node_id: string; rx_bytes: number }[];
  const ports = portsOf(e.store, sw);
  for (const r of rows) expect(e.store.getNode(r.node_id), `counter series of ${r.node_id} on a live port`).toBeDefined();
  for (const [ifIndex, values] of readings) {
    const port = ports.get(ifIndex)?.[0];
    expect(port, `port ${ifIndex}`).toBeDefined();
    const stored = rows.filter((r) => r.node_id === port).reduce((s, r) => s + r.rx_bytes, 0);
    expect(stored, `received bytes counted on port ${ifIndex}`).toBe(values.at(-1)! - values[0]!);
    if (lastAfterMerge.has(ifIndex)) {
      const metric = e.store.getNode(port!)!.Metadata.Metric as { RxBytes: number; Source: string };
      expect(metric).toMatchObject({ RxBytes: values.at(-1), Source: 'sflow' });
    }
  }
}

export function expectNoFailures(e: Env): void {
  const bad = e.lines.filter((l) => l.level >= 50 || /handler failed|attribution failed/.test(l.msg));
  expect(bad.map((l) => `${l.msg}: ${JSON.stringify(l.err ?? '')}`)).toEqual([]);
}

export async function send(port: number, payloads: Buffer[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  for (const p of payloads) await new Promise<void>((r, j) => s.send(p, port, '127.0.0.1', (err) => (err ? j(err) : r())));
  s.close();
}

export function listenPort(c: Component): number {
  return Number((c.status() as unknown as { listen: string[] }).listen[0]!.split(':').pop());
}

export function received(c: Component, protocol: string): number {
  const ex = (c.status() as unknown as { exporters: { protocol: string; datagrams: number }[] }).exporters.filter(
    (x) => x.protocol === protocol,
  );
  return ex.reduce((s, x) => s + x.datagrams, 0);
}
