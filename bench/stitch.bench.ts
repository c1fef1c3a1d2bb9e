// stitch.full / stitch.incremental: a seeded synthetic fabric of 2,000 switches (40 spines, 1,960
// leaves) and 50,000 hosts in a real SQLite store. Full = re-resolving every input and rewriting
// every link in one transaction (what start() does after a restart); incremental = one leaf's
// LLDP table changing (a host re-cabled). Sizes via STITCH_BENCH_SWITCHES / STITCH_BENCH_HOSTS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng as rng } from '../src/util/prng.ts';
import type { Bench } from './run.ts';
import { openSqliteStorage } from '../src/topology/store/sqlite-storage.ts';
import { ids } from '../src/topology/ids.ts';
import { Stitcher } from '../src/topology/stitch/stitcher.ts';
import type { MacRow, NeighbourRow } from '../src/topology/stitch/types.ts';

const SWITCHES = Number(process.env.STITCH_BENCH_SWITCHES ?? 2000);
const HOSTS = Number(process.env.STITCH_BENCH_HOSTS ?? 50000);

const mac = (kind: number, n: number) =>
  [0x02, kind, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255].map((x) => x.toString(16).padStart(2, '0')).join(':');

async function run(emit: Parameters<Bench['run']>[0]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-stitch-bench-'));
  const storage = openSqliteStorage({ path: join(dir, 'graph.db') });
  const store = storage.graph;
  try {
    const rand = rng(7);
    const spines = Math.max(2, Math.round(SWITCHES / 50));
    const leaves = SWITCHES - spines;
    const perLeaf = Math.ceil(HOSTS / leaves);
    const spineId = (s: number) => ids.switchByChassis(4, mac(0xa, s));
    const leafId = (l: number) => ids.switchByChassis(4, mac(0xb, l));
    const sw =
      (id: string, name: string, chassis: string, ports: { ifIndex: number; name: string }[]) =>
      (tx: Parameters<Parameters<typeof store.write>[0]>[0]) => {
        tx.upsertNode({
          ID: id,
          Origin: 'snmp',
          Metadata: { Type: 'switch', Name: name, Probe: 'snmp', LLDP: { ChassisID: chassis, ChassisIDType: 'macAddress' } },
        });
        for (const p of ports) {
          const pid = ids.port(id, p.ifIndex);
          tx.upsertNode({ ID: pid, Origin: 'snmp', Metadata: { Type: 'port', Name: p.name, IfIndex: p.ifIndex, IfType: 6, State: 'UP' } });
          tx.upsertEdge({
            ID: ids.edge(id, pid, 'ownership'),
            Parent: id,
            Child: pid,
            Origin: 'snmp',
            Metadata: { RelationType: 'ownership' },
          });
        }
      };
    const t0 = performance.now();
    const downPerSpine = Math.ceil((leaves * 2) / spines);
    store.write((tx) => {
      for (let s = 0; s < spines; s++)
        sw(
          spineId(s),
          `spine${s}`,
          mac(0xa, s),
          Array.from({ length: downPerSpine }, (_, i) => ({ ifIndex: i + 1, name: `Ethernet${i + 1}` })),
        )(tx);
      for (let l = 0; l < leaves; l++)
        sw(leafId(l), `leaf${l}`, mac(0xb, l), [
          ...Array.from({ length: perLeaf + 2 }, (_, i) => ({ ifIndex: i + 1, name: `swp${i + 1}` })),
          { ifIndex: 49, name: 'swp49' },
          { ifIndex: 50, name: 'swp50' },
        ])(tx);
      for (let h = 0; h < HOSTS; h++) {
        const host = ids.host(`host${h}`);
        const iface = ids.hostInterface(host, 'eth0');
        tx.upsertNode({ ID: host, Origin: 'api', Metadata: { Type: 'host', Name: `host${h}` } });
        tx.upsertNode({ ID: iface, Origin: 'api', Metadata: { Type: 'device', Name: 'eth0', MAC: mac(0xc, h), State: 'UP' } });
        tx.upsertEdge({
          ID: ids.edge(host, iface, 'ownership'),
          Parent: host,
          Child: iface,
          Origin: 'api',
          Metadata: { RelationType: 'ownership' },
        });
      }
    });
    const setupS = (performance.now() - t0) / 1000;
    // Leaf l uplinks swp49/50 → spine (2l)%S / (2l+1)%S; hosts of leaf l on swp1..; a third only by FDB.
    const uplink = (l: number, k: number) => ({ spine: (2 * l + k) % spines, port: Math.floor((2 * l + k) / spines) + 1 });
    const leafRows = (l: number, moved = -1): NeighbourRow[] => {
      const rows: NeighbourRow[] = [];
      for (const k of [0, 1]) {
        const u = uplink(l, k);
        rows.push({
          localIfIndex: 49 + k,
          chassisIdSubtype: 4,
          chassisId: mac(0xa, u.spine),
          portIdSubtype: 5,
          portId: `Ethernet${u.port}`,
          sysName: `spine${u.spine}`,
          capEnabled: ['bridge', 'router'],
          lastSeen: Date.now(),
          missed: 0,
        });
      }
      for (let i = 0; i < perLeaf; i++) {
        const h = l * perLeaf + i;
        if (h >= HOSTS || h % 3 === 0) continue;
        rows.push({
          localIfIndex: i === moved ? perLeaf + 1 : i + 1,
          chassisIdSubtype: 4,
          chassisId: mac(0xc, h),
          portIdSubtype: 3,
          portId: mac(0xc, h),
          portDesc: 'eth0',
          sysName: `host${h}`,
          capEnabled: ['stationOnly'],
          lastSeen: Date.now(),
          missed: 0,
        });
      }
      return rows;
    };
    const fdbRows = (l: number): MacRow[] => {
      const rows: MacRow[] = [];
      for (let i = 0; i < perLeaf; i++)
        if (l * perLeaf + i < HOSTS) rows.push({ mac: mac(0xc, l * perLeaf + i), ifIndex: i + 1, vlan: 10 });
      for (let j = 0; j < 50; j++) rows.push({ mac: mac(0xc, Math.floor(rand() * HOSTS)), ifIndex: 49 + (j & 1), vlan: 10 });
      return rows;
    };
    const st = new Stitcher(store, storage.stitchInputs, { sweepIntervalMs: 0 });
    st.start();
    const tFeed = performance.now();
    for (let s = 0; s < spines; s++) {
      const rows: NeighbourRow[] = [];
      for (let l = 0; l < leaves; l++)
        for (const k of [0, 1]) {
          const u = uplink(l, k);
          if (u.spine === s)
            rows.push({
              localIfIndex: u.port,
              chassisIdSubtype: 4,
              chassisId: mac(0xb, l),
              portIdSubtype: 5,
              portId: `swp${49 + k}`,
              sysName: `leaf${l}`,
              capEnabled: ['bridge'],
              lastSeen: Date.now(),
              missed: 0,
            });
        }
      st.replaceNeighbours(spineId(s), 'lldp-snmp', rows);
    }
    for (let l = 0; l < leaves; l++) {
      st.replaceNeighbours(leafId(l), 'lldp-snmp', leafRows(l));
      st.replaceMacs(leafId(l), fdbRows(l));
    }
    const feedS = (performance.now() - tFeed) / 1000;
    const status = st.status();
    const tFull = performance.now();
    st.recompute();
    const fullS = (performance.now() - tFull) / 1000;
    const samples: number[] = [];
    for (let i = 0; i < 9; i++) {
      const l = Math.floor(rand() * leaves);
      const t = performance.now();
      st.replaceNeighbours(leafId(l), 'lldp-snmp', leafRows(l, 1));
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const extra = {
      switches: SWITCHES,
      hosts: HOSTS,
      links: status.links.UP,
      conflicts: status.conflicts.length,
      setupSeconds: +setupS.toFixed(1),
      firstFeedSeconds: +feedS.toFixed(1),
    };
    emit({ bench: 'stitch.full', value: +fullS.toFixed(2), unit: 's', goal: 60, ...extra });
    emit({
      bench: 'stitch.incremental',
      value: +samples[Math.floor(samples.length / 2)]!.toFixed(1),
      unit: 'ms',
      goal: 200,
      max: +samples.at(-1)!.toFixed(1),
    });
    st.stop();
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'stitch', run }];
