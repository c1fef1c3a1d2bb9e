// `npm run demo` (or `canopy demo`): a collector on 127.0.0.1:8082 polling a simulated leaf/spine
// fabric over SNMP (canopy snmp-sim), hosts cabled by the stitcher from LLDP, link flaps with
// traps, and a replayed sFlow capture, so a newcomer sees the wall display working in seconds.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collector } from '../collector.ts';
import { defaultComponents } from '../components.ts';
import { loadConfig } from '../config/load.ts';
import { ids } from '../topology/ids.ts';
import { udpPayloads } from '../collectors/common/pcap.ts';
import { createLogger } from '../util/log.ts';
import { parseFlags } from '../util/args.ts';
import type { FabricIds } from '../ui/web/fabric.ts';
import { simFabric, type SimFabricSpec, type SimSwitch } from './sim-fabric.ts';
import { startSimulator } from '../collectors/snmp/sim/server.ts';
import type { SimDevice } from '../collectors/snmp/sim/device.ts';
import { createRequire } from 'node:module';

/** The few net-snmp calls the demo makes to send the traps a real switch would (it ships no types). */
interface TrapSession {
  trap(type: number, varbinds: object[], cb: (err: Error | null) => void): void;
  close(): void;
}
const snmp = createRequire(import.meta.url)('net-snmp') as {
  createSession(host: string, community: string, opts: object): TrapSession;
  Version2c: number;
  TrapType: { LinkDown: number; LinkUp: number };
  ObjectType: { Integer: number };
};

/** Canopy's own IDs (docs/architecture.md#identity), so demo elements look like the ones real sources produce. */
export const canopyIds: FabricIds = {
  switch: (n) => ids.switchBySysName(n),
  port: (s, i) => ids.port(s, i),
  host: (n) => ids.host(n),
  iface: (h, n) => ids.hostInterface(h, n),
  container: (h, i) => ids.hostInterface(h, `container-${i}`),
  edge: (p, c, r) => ids.edge(p, c, r),
};

const SFLOW_PCAP = fileURLToPath(new URL('../../fixtures/pcaps/akvorado__data-sflow-ipv4-data.pcap', import.meta.url));

export const SIM_SIZES: Record<string, SimFabricSpec> = {
  small: { spines: 2, leaves: 4, hostsPerLeaf: 6, dualHomedPerLeaf: 2 },
  medium: { spines: 4, leaves: 16, hostsPerLeaf: 24, dualHomedPerLeaf: 4 },
};

/**
 * `canopy demo`: simulated switches (`canopy snmp-sim` walks of a leaf/spine fabric, one loopback
 * address each), the real collector polling them over SNMP and stitching hosts to TOR ports from
 * LLDP, host ports flapping with linkDown/linkUp traps, and a replayed sFlow capture.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    listen: { type: 'string', default: '127.0.0.1:8082' },
    size: { type: 'string', default: 'small' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write('usage: canopy demo [--listen 127.0.0.1:8082] [--size small|medium]\n');
    return 0;
  }
  const spec = SIM_SIZES[values.size];
  if (!spec) {
    process.stderr.write(`demo: --size must be one of ${Object.keys(SIM_SIZES).join(', ')}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'canopy-demo-'));
  const log = createLogger(process.env.CANOPY_LOG_LEVEL ?? 'warn');
  const fabric = simFabric(spec);
  const sims = await Promise.all(
    fabric.map((sw) => startSimulator({ devices: [{ community: sw.community, records: sw.records }], listen: `${sw.address}:0` })),
  );
  const devices = fabric.map((sw, i) => ({ address: sw.address, port: sims[i]!.port, version: '2c', community: sw.community }));
  const config = loadConfig({
    env: {},
    overrides: {
      'api.listen': values.listen,
      'storage.dataDir': dir,
      'sflow.listen': '127.0.0.1:0',
      'netflow.listen': '127.0.0.1:0',
      'ipfix.listen': '127.0.0.1:0',
      'snmp.devices': devices,
      'snmp.counterInterval': 5,
      'snmp.lldpInterval': 5,
      'snmp.fdbInterval': 30,
      'snmp.traps.listen': '127.0.0.1:0',
    },
  });
  const collector = new Collector({ config, log, components: defaultComponents() });
  await collector.start();
  const snmpStatus = collector.status().components as Record<string, { traps?: { listen?: string[] } }>;
  const trapPort = Number(snmpStatus.snmp?.traps?.listen?.[0]?.split(':').pop());
  const stopChurn = flapHostPorts(fabric, sims, trapPort);
  const stopFlows = replayFlows(collector);
  const url = `http://${collector.apiAddresses[0]}/`;
  const hosts = spec.leaves * spec.hostsPerLeaf;
  process.stdout.write(
    `\nCanopy demo: ${spec.spines} spines, ${spec.leaves} leaves and ${hosts} hosts simulated over SNMP (${values.size})\n  wall display: ${url}\n  kiosk mode:   ${url}?kiosk=1\n  Ctrl-C to stop\n\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopChurn();
  stopFlows();
  await collector.stop();
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
  return 0;
}

/** Every few seconds a host port goes down (or comes back) in its simulated switch, with the trap a switch sends. */
function flapHostPorts(fabric: SimSwitch[], sims: { agent: { devices: readonly SimDevice[] } }[], trapPort: number): () => void {
  const down = new Map<string, number>();
  let n = 0;
  const timer = setInterval(() => {
    const leaves = fabric.map((sw, i) => ({ sw, i })).filter((x) => x.sw.hostPorts.length > 0);
    const pick = leaves[n++ % leaves.length]!;
    const back = down.get(pick.sw.name);
    const port = back ?? pick.sw.hostPorts[(n * 7) % pick.sw.hostPorts.length]!;
    const up = back !== undefined;
    if (up) down.delete(pick.sw.name);
    else down.set(pick.sw.name, port);
    sims[pick.i]!.agent.devices[0]!.setInteger(`1.3.6.1.2.1.2.2.1.8.${port}`, up ? 1 : 2);
    if (!trapPort) return;
    const session = snmp.createSession('127.0.0.1', pick.sw.community, {
      version: snmp.Version2c,
      trapPort,
      sourceAddress: pick.sw.address,
    });
    const vbs = [
      { oid: `1.3.6.1.2.1.2.2.1.1.${port}`, type: snmp.ObjectType.Integer, value: port },
      { oid: `1.3.6.1.2.1.2.2.1.7.${port}`, type: snmp.ObjectType.Integer, value: 1 },
      { oid: `1.3.6.1.2.1.2.2.1.8.${port}`, type: snmp.ObjectType.Integer, value: up ? 1 : 2 },
    ];
    session.trap(up ? snmp.TrapType.LinkUp : snmp.TrapType.LinkDown, vbs, () => session.close());
  }, 4000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Replays an sFlow capture to the collector's own sFlow port every 2 s (skipped if absent). */
function replayFlows(collector: Collector): () => void {
  const sflow = (collector.status().components as Record<string, { listen?: unknown }>).sflow;
  const bound = Array.isArray(sflow?.listen) ? String(sflow.listen[0]) : typeof sflow?.listen === 'string' ? sflow.listen : '';
  const port = Number(bound.split(':').pop());
  let payloads: Buffer[];
  try {
    payloads = [...udpPayloads(readFileSync(SFLOW_PCAP))].map((p) => p.payload);
  } catch {
    return () => undefined;
  }
  if (!port || payloads.length === 0) return () => undefined;
  const sock = createSocket('udp4');
  const timer = setInterval(() => {
    for (const p of payloads) sock.send(p, port, '127.0.0.1');
  }, 2000);
  timer.unref();
  return () => {
    clearInterval(timer);
    sock.close();
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await run(process.argv.slice(2));
}
