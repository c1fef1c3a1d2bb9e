// The poller's neighbour task, on the LLDP schedule: LLDP-MIB (or LLDP-V2-MIB where the 2005 MIB
// is absent) remote rows with their local ports resolved to ifIndexes, what each local port
// advertises (docs/architecture.md#port-resolution), and the CISCO-CDP-MIB cache.
import type { SnmpClient, WalkResult } from './client.ts';
import { O } from './oids.ts';
import type { LldpInput } from './observations.ts';
import type { IfInventory } from './parse-if.ts';
import { parseBasePorts, parseCdp } from './parse-l2.ts';
import { parseLocPorts, parseRemotes } from './parse-lldp.ts';
import { portAdverts, resolveLocalPort, type PortAdvert } from './resolve-port.ts';
import type { Problems } from './values.ts';

export interface LldpPoll {
  basePorts: Map<number, number>;
  rows: LldpInput[];
  cdp: ReturnType<typeof parseCdp>;
  adverts: PortAdvert[];
  /**
   * Whether the device serves LLDP-MIB (or LLDP-V2-MIB) at all: an agent running LLDP lists its
   * local ports. Absent, the walk is no reading (e.g. lldpd's AgentX subagent not yet back after
   * snmpd restarted), not "every neighbour gone".
   */
  served: boolean;
}

export async function pollLldp(c: SnmpClient, p: Problems, inventory: Map<number, IfInventory>): Promise<LldpPoll> {
  let v2 = false;
  const [loc0, rem0, man0, base, cdpWalk] = await Promise.all([
    c.walkColumns([O.lldpLocPortIdSubtype, O.lldpLocPortId, O.lldpLocPortDesc]),
    c.walk(O.lldpRemEntry),
    c.walk(`${O.lldpRemManAddrEntry}.3`),
    c.walk(O.dot1dBasePortIfIndex),
    c.walk(O.cdpCacheEntry),
  ]);
  let loc = loc0;
  let rem = rem0;
  let man: WalkResult | null = man0;
  if (rem.varbinds.length === 0 && [...loc.values()].every((w) => w.varbinds.length === 0)) {
    // LLDP-V2-MIB only where the 2005 MIB is absent.
    const rem2 = await c.walk(O.lldpV2RemEntry);
    if (rem2.varbinds.length > 0) {
      v2 = true;
      rem = rem2;
      loc = await c.walkColumns([O.lldpV2LocPortIdSubtype, O.lldpV2LocPortId, O.lldpV2LocPortDesc]);
      man = await c.walk(`${O.lldpV2RemManAddrEntry}.3`);
    }
  }
  const basePorts = parseBasePorts(base, p);
  const cdp = parseCdp(cdpWalk, p);
  const locPorts = parseLocPorts(loc, p, v2);
  const rows: LldpInput[] = parseRemotes(rem, man, p, v2).map((r) => {
    // LLDP-V2's local "port" is an ifIndex by definition.
    const res =
      v2 && r.localPortNum !== null && inventory.has(r.localPortNum)
        ? { ifIndex: r.localPortNum, via: 'ifIndex' as const }
        : resolveLocalPort(r.localPortNum, locPorts, inventory, basePorts);
    return { ...r, localIfIndex: res.ifIndex, localPortVia: res.via };
  });
  const served = rem.varbinds.length > 0 || [...loc.values()].some((w) => w.varbinds.length > 0);
  return { basePorts, rows, cdp, adverts: portAdverts(locPorts, inventory, basePorts, v2), served };
}
