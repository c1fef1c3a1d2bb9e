// SNMP observation rows as every backend stores them (snake_case columns) and reads them back:
// one mapping per table, so SQLite and PostgreSQL answer with the same objects.
import type { ArpObservation, CdpObservation, FdbObservation, LldpObservation, LldpRemote, ResolvedVia } from './snmp-rows.ts';

export type Row = Record<string, unknown>;
export const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
export const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/**
 * The identity of an LLDP neighbour row. Not rawIndex: its timeMark changes for the same neighbour
 * (a re-learnt row gets a new remIndex too and the old one ages out). Agents do list one neighbour
 * under several remIndexes.
 */
export function lldpKey(r: LldpRemote): string {
  return [r.localPortNum ?? '', r.remIndex ?? '', r.chassisIdSubtype, r.chassisId, r.portIdSubtype, r.portId].join('|');
}

const seen = (r: Row) => ({ firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), missed: Number(r.missed) });

export function arpFromRow(r: Row): ArpObservation {
  return {
    device: String(r.device),
    switchId: String(r.switch_id),
    ifIndex: Number(r.if_index),
    family: r.family as 'ipv4' | 'ipv6',
    ip: String(r.ip),
    mac: String(r.mac),
    kind: r.kind as ArpObservation['kind'],
    mib: r.mib as ArpObservation['mib'],
    ...seen(r),
  };
}

export function lldpFromRow(r: Row): LldpObservation {
  return {
    device: String(r.device),
    switchId: String(r.switch_id),
    rawIndex: String(r.raw_index),
    localPortNum: num(r.local_port_num),
    localIfIndex: num(r.local_if_index),
    localPortVia: str(r.local_port_via) as ResolvedVia | null,
    chassisIdSubtype: num(r.chassis_id_subtype),
    chassisId: str(r.chassis_id),
    portIdSubtype: num(r.port_id_subtype),
    portId: str(r.port_id),
    portDesc: str(r.port_desc),
    sysName: str(r.sys_name),
    sysDesc: str(r.sys_desc),
    capSupported: JSON.parse(String(r.cap_supported)) as string[],
    capEnabled: JSON.parse(String(r.cap_enabled)) as string[],
    managementAddresses: JSON.parse(String(r.man_addrs)) as string[],
    mib: r.mib as 'lldp' | 'lldp-v2',
    ...seen(r),
  };
}

export function fdbFromRow(r: Row): FdbObservation {
  return {
    device: String(r.device),
    switchId: String(r.switch_id),
    vlan: Number(r.vlan) < 0 ? null : Number(r.vlan),
    mac: String(r.mac),
    bridgePort: Number(r.bridge_port),
    ifIndex: num(r.if_index),
    mib: r.mib as 'qbridge' | 'bridge',
    ...seen(r),
  };
}

export function cdpFromRow(r: Row): CdpObservation {
  return {
    device: String(r.device),
    switchId: String(r.switch_id),
    ifIndex: Number(r.if_index),
    deviceIndex: Number(r.device_index),
    remoteDeviceId: str(r.remote_device_id),
    remotePort: str(r.remote_port),
    platform: str(r.platform),
    address: str(r.address),
    capabilities: num(r.capabilities),
    ...seen(r),
  };
}
