// Readiness: the lab is "up" only when routed paths answer, every lldpd sees all its neighbours,
// and every switch's snmpd serves those neighbours (LLDP-MIB) and, for Linux bridges, BRIDGE-MIB.
import { existsSync } from 'node:fs';
import { lldpNeighbours } from './lldp-neighbours.ts';
import { run } from './procs.ts';
import type { LabState } from './state.ts';
import type { Topology } from './topology.ts';
import { waitFor } from './wait.ts';

const LLDP_REM_SYSNAME = '1.0.8802.1.1.2.1.4.1.1.9';
const DOT1D_BASE_PORT_IFINDEX = '1.3.6.1.2.1.17.1.4.1.2';

async function walkCount(s: LabState, host: string, oid: string): Promise<number> {
  const r = await run(s.mgmtNs, 'snmpwalk', ['-v2c', '-c', s.snmp.community, '-t', '1', '-r', '0', '-On', host, oid], { allowFail: true });
  return r.stdout.split('\n').filter((l) => l.startsWith('.')).length;
}

export async function waitRoutes(topo: Topology, s: LabState, timeoutMs: number): Promise<void> {
  await Promise.all(
    topo.nodes.flatMap((n) => {
      const ns = s.nodes[n.name]!.ns;
      const gws = [...new Set(n.routes.flatMap((r) => r.via))];
      return gws.map((gw) =>
        waitFor(
          `ping ${gw} from ${ns}`,
          timeoutMs,
          async () => (await run(ns, 'ping', ['-c1', '-W1', '-q', gw], { allowFail: true })).code === 0,
          200,
        ),
      );
    }),
  );
}

export async function waitLldp(topo: Topology, s: LabState, timeoutMs: number): Promise<void> {
  await Promise.all(
    topo.nodes.map((n) => {
      const node = s.nodes[n.name]!;
      const want = n.ifaces.length;
      return waitFor(
        `${want} LLDP neighbours in ${node.ns} (lldpcli -u ${node.lldpSocket} show neighbors)`,
        timeoutMs,
        async () => existsSync(node.lldpSocket) && new Set((await lldpNeighbours(node.lldpSocket)).map((x) => x.localIf)).size >= want,
        200,
      );
    }),
  );
}

export async function waitSnmp(topo: Topology, s: LabState, timeoutMs: number): Promise<void> {
  await Promise.all(
    topo.nodes
      .filter((n) => n.role === 'switch')
      .map(async (n) => {
        const node = s.nodes[n.name]!;
        await waitFor(
          `lldpRemTable rows of ${node.name} via SNMP (snmpwalk ${node.mgmtIp} from ${s.mgmtNs})`,
          timeoutMs,
          async () => (await walkCount(s, node.mgmtIp, LLDP_REM_SYSNAME)) >= n.ifaces.length,
          250,
        );
        if (n.switchKind === 'bridge') {
          await waitFor(
            `BRIDGE-MIB dot1dBasePortTable of ${node.name} (snmp-bridge-mib)`,
            timeoutMs,
            async () => (await walkCount(s, node.mgmtIp, DOT1D_BASE_PORT_IFINDEX)) >= n.bridgePorts.length,
            250,
          );
        }
      }),
  );
}
