// The poller's forwarding-table task, on the FDB schedule: BRIDGE-MIB / Q-BRIDGE-MIB FDB (which MAC
// is behind which port), the IP-MIB neighbour tables (which IP is that MAC) and link aggregates
// (which ports are one logical port: FDB evidence on a LAG member is no edge port).
import { SnmpClient, type WalkResult } from './client.ts';
import { O } from './oids.ts';
import { parseBasePorts, parseFdb, parseFdbIds } from './parse-l2.ts';
import { parseIpNetToMedia, parseIpNetToPhysical, type ArpEntry } from './parse-arp.ts';
import type { FdbInput } from './observations.ts';
import { intOf, type Problems } from './values.ts';
import type { IfInventory } from './parse-if.ts';
import { parseLags, type LagRow } from './parse-lag.ts';

export interface FdbPoll {
  basePorts: Map<number, number>;
  entries: FdbInput[];
}

export async function pollFdb(c: SnmpClient, p: Problems): Promise<FdbPoll> {
  const [base, fidWalk, q, entry] = await Promise.all([
    c.walk(O.dot1dBasePortIfIndex),
    c.walk(O.dot1qVlanFdbId),
    c.walk(O.dot1qTpFdbPort),
    c.walk(O.dot1dTpFdbEntry),
  ]);
  // The whole entry, not the port column: Debian's snmp-bridge-mib answers a GETNEXT that starts
  // inside the port column with noSuchInstance, while a walk of the entry passes through it.
  const prefix = `${O.dot1dTpFdbPort}.`;
  const d0: WalkResult = { ...entry, varbinds: entry.varbinds.filter((vb) => vb.oid.startsWith(prefix)) };
  const d = d0.end === 'subtree' ? d0 : await fdbPortsByGet(c, d0);
  const basePorts = parseBasePorts(base, p);
  const fids = parseFdbIds(fidWalk, p);
  const entries = parseFdb(q, d, fids, p).map((e) => ({ ...e, ifIndex: basePorts.get(e.bridgePort) ?? null }));
  return { basePorts, entries };
}

/**
 * Some agents (Debian's snmp-bridge-mib) answer a GETNEXT inside dot1dTpFdbPort with
 * noSuchInstance instead of the next row, which ends the walk early. The address column still
 * walks; the ports of the rows the walk missed are then fetched with GETs.
 */
async function fdbPortsByGet(c: SnmpClient, partial: WalkResult): Promise<WalkResult> {
  const addrCol = '1.3.6.1.2.1.17.4.3.1.1';
  const have = new Set(partial.varbinds.map((vb) => vb.oid.slice(O.dot1dTpFdbPort.length + 1)));
  const missing = (await c.walk(addrCol)).varbinds.map((vb) => vb.oid.slice(addrCol.length + 1)).filter((i) => !have.has(i));
  const out = [...partial.varbinds];
  for (let i = 0; i < missing.length; i += 20) {
    const vbs = await c.get(missing.slice(i, i + 20).map((x) => `${O.dot1dTpFdbPort}.${x}`));
    for (const vb of vbs) if (vb) out.push(vb);
  }
  return { varbinds: out, end: 'subtree' };
}

/** Cisco's enterprise arc: its BRIDGE-MIB answers for one VLAN per community `community@vlan`. */
export const isCisco = (sysObjectID: string | null | undefined) => !!sysObjectID && sysObjectID.startsWith('1.3.6.1.4.1.9.');

/** VLANs whose BRIDGE-MIB a Cisco switch serves under `community@vlan`: operational, minus the FDDI/Token Ring defaults. */
export async function ciscoVlans(c: SnmpClient, p: Problems): Promise<number[]> {
  const w = await c.walk(O.vtpVlanState);
  const out = new Set<number>();
  for (const vb of w.varbinds) {
    const vlan = Number(vb.oid.slice(vb.oid.lastIndexOf('.') + 1));
    if (intOf(vb, p) === 1 && vlan >= 1 && vlan <= 4094 && (vlan < 1002 || vlan > 1005)) out.add(vlan);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Cisco per-VLAN FDB: each VLAN's dot1dTpFdbTable (and bridge-port map) read with community
 * `community@vlan`, the rows tagged with that VLAN. `open` makes a client for a community; the
 * caller closes nothing (each client is closed here, its varbinds added to `c`).
 */
export async function pollVlanFdb(
  c: SnmpClient,
  p: Problems,
  vlans: number[],
  open: (community: string) => SnmpClient,
): Promise<FdbInput[]> {
  const out: FdbInput[] = [];
  for (const vlan of vlans) {
    const v = open(`${c.community ?? 'public'}@${vlan}`);
    try {
      const { entries } = await pollFdb(v, p);
      for (const e of entries) if (e.mib === 'bridge') out.push({ ...e, vlan });
    } finally {
      c.varbinds += v.varbinds;
      v.close();
    }
  }
  return out;
}

/** ipNetToPhysicalTable (IPv4 + IPv6); ipNetToMediaTable rows only for what it lacks (old agents have only that one). */
export async function pollArp(c: SnmpClient, p: Problems): Promise<ArpEntry[]> {
  const [addr, type] = await Promise.all([c.walk(O.ipNetToPhysicalPhysAddress), c.walk(O.ipNetToPhysicalType)]);
  const phys = parseIpNetToPhysical(addr, type, p);
  if (phys.some((r) => r.family === 'ipv4')) return phys;
  const [maddr, mtype] = await Promise.all([c.walk(O.ipNetToMediaPhysAddress), c.walk(O.ipNetToMediaType)]);
  const seen = new Set(phys.map((r) => `${r.ifIndex}|${r.ip}`));
  return [...phys, ...parseIpNetToMedia(maddr, mtype, p).filter((r) => !seen.has(`${r.ifIndex}|${r.ip}`))];
}

/** Aggregates and members from dot3adAggPortAttachedAggID and ifStackStatus (absent tables: none). */
export async function pollLags(c: SnmpClient, p: Problems, inventory: Map<number, IfInventory>): Promise<LagRow[]> {
  const [attached, stack] = await Promise.all([c.walk(O.dot3adAggPortAttachedAggID), c.walk(O.ifStackStatus)]);
  return parseLags(attached, stack, inventory, p);
}
