// Poll results → graph: the switch node, its port nodes (Ethernet-like ifTypes) with ownership
// edges, port state and counters (Metric / LastUpdateMetric, Skydive field names).
import { chassisTypeName, portTypeName } from '../../topology/stitch/rows.ts';
import type { PortAdvert } from './resolve-port.ts';
import { counterDelta } from '../common/counter-rates.ts';
import { hostname } from 'node:os';
import { ids } from '../../topology/ids.ts';
import { mergeNodes } from '../../topology/merge.ts';
import type { GraphTx } from '../../topology/store/graph-store.ts';
import type { IfCounters, IfInventory, IfState } from './parse-if.ts';
import { seriesCounters, stateName } from './parse-if.ts';
import { PORT_IF_TYPES } from './oids.ts';
import { placeholderName, type NameSource } from '../common/port-name.ts';

export const ORIGIN = 'snmp';
export const HOST = hostname();

export interface SwitchInfo {
  sysName: string | null;
  sysDescr: string | null;
  sysObjectID: string | null;
  mgmtAddress: string;
  chassis: { subtype: number; id: string } | null;
  model?: string | null;
  serial?: string | null;
  vendor?: string | null;
  /** sysUpTime (TimeTicks, 1/100 s) and when its answer arrived (epoch ms): Metadata.BootTime. */
  uptime?: { ticks: number; at: number } | null;
}

/** Enterprise numbers (1.3.6.1.4.1.N) of common switch vendors. */
const VENDORS: Record<number, string> = {
  9: 'Cisco',
  11: 'HP',
  43: '3Com',
  171: 'D-Link',
  259: 'Edgecore',
  674: 'Dell',
  890: 'Zyxel',
  1916: 'Extreme Networks',
  2011: 'Huawei',
  2272: 'Extreme Networks',
  2636: 'Juniper',
  4413: 'Broadcom',
  4526: 'Netgear',
  6027: 'Dell',
  6486: 'Alcatel-Lucent',
  6527: 'Nokia',
  8072: 'Net-SNMP',
  11863: 'TP-Link',
  14823: 'Aruba',
  14988: 'MikroTik',
  25506: 'H3C',
  30065: 'Arista',
  47196: 'HPE Aruba',
  41112: 'Ubiquiti',
};

export function vendorOf(sysObjectID: string | null): string | null {
  const m = sysObjectID ? /^1\.3\.6\.1\.4\.1\.(\d+)/.exec(sysObjectID) : null;
  return m ? (VENDORS[Number(m[1])] ?? null) : null;
}

/** sysUpTime is a 32-bit count of 1/100 s: it wraps after 497.1 days. */
export const UPTIME_WRAP_MS = 2 ** 32 * 10;
/** How far a reading may put the boot from the stored BootTime and still be the same boot. */
const BOOT_SLACK_MS = 5000;

/**
 * Metadata.BootTime (epoch ms) for a switch whose sysUpTime read `ticks` at `at`, or undefined to
 * keep the stored one. Each metadata change is a history revision, so the stored value stays
 * unless the reading says the device booted again: it must be off by more than a few seconds
 * (response delay; clock drift, allowed at 0.01 % of the uptime), also after any number of
 * 497-day wraps of the counter. A device first polled after a wrap gets a BootTime too recent by a
 * multiple of 497 days (only the counter's wraps are known, not how many happened).
 */
export function bootTimeUpdate(stored: unknown, ticks: number, at: number): number | undefined {
  const boot = at - ticks * 10;
  if (typeof stored !== 'number' || !Number.isFinite(stored)) return boot;
  const up = at - stored;
  const wraps = Math.max(0, Math.round((up - ticks * 10) / UPTIME_WRAP_MS));
  const slack = Math.max(BOOT_SLACK_MS, up * 1e-4);
  return Math.abs(up - ticks * 10 - wraps * UPTIME_WRAP_MS) <= slack ? undefined : boot;
}

export function writeSwitch(tx: GraphTx, id: string, s: SwitchInfo): void {
  const md: Record<string, unknown> = {
    Type: 'switch',
    Name: s.sysName || s.mgmtAddress,
    MgmtAddress: s.mgmtAddress,
    Probe: 'snmp',
  };
  if (s.sysDescr !== null) md.SysDescr = s.sysDescr;
  if (s.sysObjectID !== null) md.SysObjectID = s.sysObjectID;
  const vendor = s.vendor ?? vendorOf(s.sysObjectID);
  if (vendor) md.Vendor = vendor;
  if (s.model) md.Model = s.model;
  if (s.serial) md.SerialNumber = s.serial;
  if (s.chassis) md.LLDP = { ChassisID: s.chassis.id, ChassisIDType: chassisTypeName(s.chassis.subtype) };
  if (s.uptime) {
    const boot = bootTimeUpdate(tx.getNode(id)?.Metadata.BootTime, s.uptime.ticks, s.uptime.at);
    if (boot !== undefined) md.BootTime = boot;
  }
  tx.upsertNode({ ID: id, Metadata: md, Origin: ORIGIN, Host: HOST }, { merge: true });
}

export function isPort(i: IfInventory): boolean {
  return i.type !== null && PORT_IF_TYPES.has(i.type);
}

/**
 * Creates/updates port nodes + ownership edges; deletes this switch's SNMP ports that are gone.
 * A port another source made under this switch for an ifIndex SNMP now lists (flows or counters
 * seen first, moved here by a merge) is folded into SNMP's port: one port per ifIndex.
 */
export function writePorts(tx: GraphTx, switchId: string, inv: Map<number, IfInventory>, states: Map<number, IfState>): number {
  const keep = new Set<string>();
  for (const i of inv.values()) {
    if (!isPort(i)) continue;
    const id = ids.port(switchId, i.ifIndex);
    keep.add(id);
    const st = states.get(i.ifIndex);
    const named = i.name || i.descr;
    const source: NameSource = named ? 'snmp' : 'placeholder';
    const md: Record<string, unknown> = {
      Type: 'port',
      Name: named || placeholderName(i.ifIndex),
      NameSource: source,
      IfIndex: i.ifIndex,
      IfType: i.type,
    };
    if (i.alias) md.Alias = i.alias;
    if (i.descr !== null) md.Description = i.descr;
    if (i.mac) md.MAC = i.mac;
    if (i.mtu !== null) md.MTU = i.mtu;
    if (i.speed !== null) md.Speed = i.speed;
    const oper = stateName(st?.oper ?? null);
    const admin = stateName(st?.admin ?? null);
    if (oper) md.State = oper;
    if (admin) md.AdminState = admin;
    tx.upsertNode({ ID: id, Metadata: md, Origin: ORIGIN, Host: HOST }, { merge: true });
    tx.upsertEdge(
      {
        ID: ids.edge(switchId, id, 'ownership'),
        Parent: switchId,
        Child: id,
        Metadata: { RelationType: 'ownership' },
        Origin: ORIGIN,
        Host: HOST,
      },
      { merge: true },
    );
  }
  for (const e of tx.edgesOf(switchId, 'out')) {
    if (e.Metadata.RelationType !== 'ownership' || keep.has(e.Child)) continue;
    const child = tx.getNode(e.Child);
    if (!child || child.Metadata.Type !== 'port') continue;
    if (e.Origin === ORIGIN) tx.deleteNode(child.ID);
    else if (typeof child.Metadata.IfIndex === 'number' && keep.has(ids.port(switchId, child.Metadata.IfIndex))) {
      mergeNodes(tx, child.ID, ids.port(switchId, child.Metadata.IfIndex));
    }
  }
  return keep.size;
}

export interface CounterSample {
  at: number;
  counters: IfCounters;
}

/** Port state + counters from a counter poll; `prev` is updated in place. */
export function writeStates(
  tx: GraphTx,
  switchId: string,
  states: Map<number, IfState>,
  prev: Map<number, CounterSample>,
  starts: Map<number, number>,
  now: number,
): number {
  let n = 0;
  for (const st of states.values()) {
    const id = ids.port(switchId, st.ifIndex);
    const node = tx.getNode(id);
    if (!node) continue;
    const md: Record<string, unknown> = {};
    const oper = stateName(st.oper);
    const admin = stateName(st.admin);
    if (oper && node.Metadata.State !== oper) md.State = oper;
    if (admin && node.Metadata.AdminState !== admin) md.AdminState = admin;
    if (st.counters) {
      const start = starts.get(st.ifIndex) ?? now;
      starts.set(st.ifIndex, start);
      md.Metric = { ...st.counters, Start: start, Last: now, Source: 'snmp' };
      const p = prev.get(st.ifIndex);
      const speed = typeof node.Metadata.Speed === 'number' ? node.Metadata.Speed : 0;
      // The port series' rules (docs/architecture.md#port-metrics): a counter that went down is a
      // 32-bit wrap when that is plausible for the speed; a reset or reboot gives no interval, never a spike.
      const info = { bytesWidth: st.width ?? 64, packetsWidth: st.width ?? 64, ...(speed > 0 ? { speed } : {}) };
      const delta =
        p && p.at < now
          ? counterDelta({ at: p.at, c: seriesCounters(p.counters), ...info }, { at: now, c: seriesCounters(st.counters), ...info }, 0)
          : null;
      if (p && delta?.ok) {
        const x = delta.d;
        const d: IfCounters = {
          RxBytes: x.rxBytes,
          TxBytes: x.txBytes,
          RxPackets: x.rxPackets,
          TxPackets: x.txPackets,
          RxErrors: x.rxErrors,
          TxErrors: x.txErrors,
          RxDropped: x.rxDropped,
          TxDropped: x.txDropped,
        };
        md.LastUpdateMetric = { ...d, Start: p.at, Last: now, Source: 'snmp' };
        if (speed > 0) {
          const secs = (now - p.at) / 1000;
          md.Utilization = { Rx: Math.min(1, (d.RxBytes * 8) / secs / speed), Tx: Math.min(1, (d.TxBytes * 8) / secs / speed) };
        }
      }
      prev.set(st.ifIndex, { at: now, counters: st.counters });
    }
    if (Object.keys(md).length === 0) continue;
    tx.upsertNode({ ID: id, Metadata: md, Origin: ORIGIN, Host: HOST }, { merge: true });
    n++;
  }
  return n;
}

/** A trap's linkUp/linkDown: only State changes. Returns false when the port is unknown. */
export function writeLinkState(tx: GraphTx, switchId: string, ifIndex: number, state: 'UP' | 'DOWN', admin?: 'UP' | 'DOWN'): boolean {
  const id = ids.port(switchId, ifIndex);
  const node = tx.getNode(id);
  if (!node) return false;
  const md: Record<string, unknown> = { State: state };
  if (admin) md.AdminState = admin;
  tx.upsertNode({ ID: id, Metadata: md, Origin: ORIGIN, Host: HOST }, { merge: true });
  return true;
}

/**
 * Each port's own LLDP identity (`Metadata.LLDP` {PortID, PortIDType, PortDescr}, as its LLDP local
 * port table advertises it): the stitcher matches neighbours' port IDs against it first, whatever
 * naming the vendor uses (docs/architecture.md#port-resolution). Written only when it changed.
 */
export function writePortAdverts(tx: GraphTx, switchId: string, adverts: PortAdvert[]): number {
  let n = 0;
  for (const a of adverts) {
    const id = ids.port(switchId, a.ifIndex);
    const node = tx.getNode(id);
    if (!node || a.id === null) continue;
    const lldp: Record<string, unknown> = { PortID: a.id };
    const type = portTypeName(a.subtype);
    if (type) lldp.PortIDType = type;
    if (a.desc) lldp.PortDescr = a.desc;
    if (JSON.stringify(node.Metadata.LLDP ?? null) === JSON.stringify(lldp)) continue;
    tx.upsertNode({ ID: id, Metadata: { LLDP: lldp }, Origin: ORIGIN, Host: HOST }, { merge: true });
    n++;
  }
  return n;
}
