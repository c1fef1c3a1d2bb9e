// Serves a multi-device set one device per loopback address (port 161, as real devices answer),
// through Canopy's simulator or Debian's snmpsimd, and runs the collector's stitcher + SNMP poller
// on it with scheduled polling, so devices and tables arrive in whatever order polling gives.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Collector } from '../../../../src/collector.ts';
import { loadConfig } from '../../../../src/config/load.ts';
import { snmpComponent } from '../../../../src/collectors/snmp/component.ts';
import { stitchComponent } from '../../../../src/components.ts';
import { startSimulator, type RunningSimulator } from '../../../../src/collectors/snmp/sim/server.ts';
import { createRegistry } from '../../../../src/util/metrics.ts';
import { silentLogger } from '../../../../src/util/log.ts';
import type { GraphNode } from '../../../../src/topology/types.ts';
import { buildSet, cableKey, type BuiltDevice, type DeviceSet } from './build-set.ts';
import { FIXTURE_DIR } from '../sim/helpers.ts';
import { startSnmpsimdEndpoints } from './snmpsimd-endpoints.ts';

export const SETS_DIR = resolve(import.meta.dirname, '../../../../fixtures/snmp-sets');

export function loadSet(name: string): DeviceSet {
  return JSON.parse(readFileSync(join(SETS_DIR, `${name}.json`), 'utf8')) as DeviceSet;
}

export interface SetServer {
  built: BuiltDevice[];
  close(): Promise<void>;
}

/** Device i of the set at `${prefix}.${i + 1}`:161. */
export async function serveSet(set: DeviceSet, prefix: string, via: 'canopy' | 'snmpsimd'): Promise<SetServer> {
  const addresses = set.devices.map((_, i) => `${prefix}.${i + 1}`);
  const built = buildSet(set, FIXTURE_DIR, addresses);
  const dir = mkdtempSync(join(tmpdir(), `canopy-set-${set.name}-`));
  if (via === 'canopy') {
    const sims: RunningSimulator[] = [];
    try {
      for (const b of built) {
        const d = join(dir, b.device.name);
        mkdirSync(d);
        writeFileSync(join(d, 'public.snmprec'), b.text);
        sims.push(await startSimulator({ dir: d, listen: `${b.address}:161` }));
      }
    } catch (e) {
      await Promise.all(sims.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return {
      built,
      close: async () => {
        await Promise.all(sims.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const sim = await startSnmpsimdEndpoints(
    built.map((b) => ({ address: b.address, text: b.text })),
    'public',
  ).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  return {
    built,
    close: async () => {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SetRun {
  collector: Collector;
  /** Stitched layer2 links between ports of polled devices, as "dev:port—dev:port". */
  links(): string[];
  /** Link → the evidence sources on it ("lldp-snmp", "cdp" …), sorted. */
  evidence(): Map<string, string[]>;
  /** Every layer2 edge touching a polled device's port that is not such a link (ends on a placeholder …). */
  strays(): string[];
  /** Nodes the stitcher made for neighbours / far ports it could not find (Origin stitch). */
  placeholders(): GraphNode[];
  /** LLDP/CDP polls done per device. */
  lldpPolls(): number[];
  stop(): Promise<void>;
}

export async function runCollector(
  built: BuiltDevice[],
  order: 'forward' | 'reverse' = 'forward',
  overrides: Record<string, unknown> = {},
): Promise<SetRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'canopy-set-db-'));
  const list = order === 'forward' ? built : [...built].reverse();
  const config = loadConfig({
    env: {},
    overrides: {
      'storage.dataDir': dataDir,
      'api.listen': '127.0.0.1:0',
      'snmp.traps.listen': '127.0.0.1:0',
      'snmp.devices': list.map((b) => ({ address: b.address, community: 'public' })),
      'snmp.lldpInterval': 1,
      'snmp.fdbInterval': 3600,
      'snmp.counterInterval': 3600,
      'snmp.timeout': 3,
      'snmp.retries': 1,
      ...overrides,
    },
  });
  const collector = new Collector({
    config,
    log: silentLogger(),
    registry: createRegistry(false),
    components: [stitchComponent, snmpComponent],
  });
  await collector.start();
  const store = collector.store;
  const byAddress = new Map(built.map((b) => [b.address, b.device.name] as const));
  const deviceOf = (port: GraphNode): string | undefined => {
    for (const e of store.edgesOf(port.ID, 'in')) {
      if (e.Metadata.RelationType !== 'ownership') continue;
      const p = store.getNode(e.Parent);
      if (p && p.Origin === 'snmp') return byAddress.get(String(p.Metadata.MgmtAddress));
    }
    return undefined;
  };
  const l2 = () =>
    // A LAG member's edge to its aggregate (Lag: member, from ifStackTable) is membership, not a cable.
    store
      .findEdges('RelationType', 'layer2')
      .filter((e) => e.Metadata.Lag !== 'member')
      .map((e) => {
        const a = store.getNode(e.Parent)!;
        const b = store.getNode(e.Child)!;
        return { e, a, b, da: deviceOf(a), db: deviceOf(b) };
      });
  const snmpStatus = () =>
    (collector.status() as { components: { snmp: { devices: Record<string, { tasks: { lldp?: unknown }; polls: number }> } } }).components
      .snmp;
  return {
    collector,
    links: () =>
      l2()
        .filter((x) => x.da && x.db)
        .map((x) => cableKey(`${x.da}:${String(x.a.Metadata.Name)}`, `${x.db}:${String(x.b.Metadata.Name)}`))
        .sort(),
    evidence: () =>
      new Map(
        l2()
          .filter((x) => x.da && x.db)
          .map((x) => [
            cableKey(`${x.da}:${String(x.a.Metadata.Name)}`, `${x.db}:${String(x.b.Metadata.Name)}`),
            Object.keys((x.e.Metadata.Evidence as object | undefined) ?? {}).sort(),
          ]),
      ),
    strays: () =>
      l2()
        .filter((x) => (x.da || x.db) && !(x.da && x.db))
        .map((x) => `${x.da ?? x.a.ID}:${String(x.a.Metadata.Name)} — ${x.db ?? x.b.ID}:${String(x.b.Metadata.Name)}`)
        .sort(),
    placeholders: () => {
      const ids = store.idsByOrigin('stitch').nodes;
      return ids.map((id) => store.getNode(id)!).filter(Boolean);
    },
    lldpPolls: () => Object.values(snmpStatus().devices).map((d) => d.polls),
    stop: async () => {
      await collector.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
