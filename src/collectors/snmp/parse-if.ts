// IF-MIB ifTable + ifXTable → interface rows, keyed by the index in the OID (walks of real
// devices often lack the ifIndex column itself).
import { O } from './oids.ts';
import type { WalkResult } from './client.ts';
import { Problems, bufOf, byIndex, counterOf, intOf, isPrintable, mac, strOf, text } from './values.ts';
import type { InterfaceCounters } from '../../topology/store/port-series.ts';

export const IF_INVENTORY_COLUMNS = [O.ifDescr, O.ifType, O.ifMtu, O.ifSpeed, O.ifPhysAddress, O.ifName, O.ifHighSpeed, O.ifAlias] as const;
export const IF_HC = {
  inMcast: '1.3.6.1.2.1.31.1.1.1.8',
  inBcast: '1.3.6.1.2.1.31.1.1.1.9',
  outMcast: '1.3.6.1.2.1.31.1.1.1.12',
  outBcast: '1.3.6.1.2.1.31.1.1.1.13',
} as const;
/** ifTable's 32-bit counters, read where a device has no ifXTable HC counters (docs/architecture.md#port-metrics). */
export const IF_32 = {
  inOctets: '1.3.6.1.2.1.2.2.1.10',
  inUcast: '1.3.6.1.2.1.2.2.1.11',
  inNUcast: '1.3.6.1.2.1.2.2.1.12',
  outOctets: '1.3.6.1.2.1.2.2.1.16',
  outUcast: '1.3.6.1.2.1.2.2.1.17',
  outNUcast: '1.3.6.1.2.1.2.2.1.18',
} as const;
export const IF_COUNTER_COLUMNS = [
  O.ifAdminStatus,
  O.ifOperStatus,
  O.ifHCInOctets,
  O.ifHCOutOctets,
  O.ifHCInUcastPkts,
  O.ifHCOutUcastPkts,
  IF_HC.inMcast,
  IF_HC.inBcast,
  IF_HC.outMcast,
  IF_HC.outBcast,
  O.ifInErrors,
  O.ifOutErrors,
  O.ifInDiscards,
  O.ifOutDiscards,
  ...Object.values(IF_32),
] as const;

export interface IfCounters {
  RxBytes: number;
  TxBytes: number;
  RxPackets: number;
  TxPackets: number;
  RxErrors: number;
  TxErrors: number;
  RxDropped: number;
  TxDropped: number;
}

/** Skydive's field names (Metric) → the port series' (InterfaceCounters). */
export function seriesCounters(c: IfCounters): InterfaceCounters {
  return {
    rxBytes: c.RxBytes,
    txBytes: c.TxBytes,
    rxPackets: c.RxPackets,
    txPackets: c.TxPackets,
    rxErrors: c.RxErrors,
    txErrors: c.TxErrors,
    rxDropped: c.RxDropped,
    txDropped: c.TxDropped,
  };
}

export interface IfInventory {
  ifIndex: number;
  descr: string | null;
  name: string | null;
  alias: string | null;
  type: number | null;
  mtu: number | null;
  /** bit/s: ifHighSpeed × 10^6 when set, else ifSpeed. */
  speed: number | null;
  mac: string | null;
}

export interface IfState {
  ifIndex: number;
  admin: number | null;
  oper: number | null;
  counters: IfCounters | null;
  /** 64 when the octet and packet counters came from ifXTable's HC columns, 32 from ifTable's. */
  width?: 32 | 64;
}

function indexes(cols: Map<string, Map<string, unknown>>): number[] {
  const set = new Set<number>();
  for (const m of cols.values()) for (const k of m.keys()) if (/^\d+$/.test(k)) set.add(Number(k));
  return [...set].sort((a, b) => a - b);
}

export function parseInventory(cols: Map<string, WalkResult>, p: Problems): Map<number, IfInventory> {
  const t = byIndex(cols);
  const col = (c: string) => t.get(c) ?? new Map();
  // Rows exist where ifDescr or ifType exists; ifXTable alone does not make an interface.
  const rows = indexes(
    new Map([
      [O.ifDescr, col(O.ifDescr)],
      [O.ifType, col(O.ifType)],
    ]),
  );
  const out = new Map<number, IfInventory>();
  for (const i of rows) {
    const k = String(i);
    const high = intOf(col(O.ifHighSpeed).get(k), p);
    const low = intOf(col(O.ifSpeed).get(k), p);
    const phys = bufOf(col(O.ifPhysAddress).get(k), p);
    const descrBuf = bufOf(col(O.ifDescr).get(k), p);
    out.set(i, {
      ifIndex: i,
      descr: descrBuf ? (isPrintable(descrBuf) ? text(descrBuf) : descrBuf.toString('hex')) : null,
      name: strOf(col(O.ifName).get(k), p) || null,
      alias: strOf(col(O.ifAlias).get(k), p),
      type: intOf(col(O.ifType).get(k), p),
      mtu: intOf(col(O.ifMtu).get(k), p),
      speed: high && high > 0 ? high * 1e6 : low,
      mac: phys && phys.length === 6 ? mac(phys) : null,
    });
  }
  return out;
}

export function parseState(cols: Map<string, WalkResult>, p: Problems): Map<number, IfState> {
  const t = byIndex(cols);
  const col = (c: string) => t.get(c) ?? new Map();
  const out = new Map<number, IfState>();
  for (const i of indexes(t)) {
    const k = String(i);
    const c = (root: string) => counterOf(col(root).get(k), p);
    const hc = c(O.ifHCInOctets) !== null || c(O.ifHCOutOctets) !== null;
    const inOct = hc ? c(O.ifHCInOctets) : c(IF_32.inOctets);
    const outOct = hc ? c(O.ifHCOutOctets) : c(IF_32.outOctets);
    const sum = (...roots: string[]) => roots.reduce((a, r) => a + (c(r) ?? 0), 0);
    const counters: IfCounters | null =
      inOct === null && outOct === null
        ? null
        : {
            RxBytes: inOct ?? 0,
            TxBytes: outOct ?? 0,
            RxPackets: hc ? sum(O.ifHCInUcastPkts, IF_HC.inMcast, IF_HC.inBcast) : sum(IF_32.inUcast, IF_32.inNUcast),
            TxPackets: hc ? sum(O.ifHCOutUcastPkts, IF_HC.outMcast, IF_HC.outBcast) : sum(IF_32.outUcast, IF_32.outNUcast),
            RxErrors: c(O.ifInErrors) ?? 0,
            TxErrors: c(O.ifOutErrors) ?? 0,
            RxDropped: c(O.ifInDiscards) ?? 0,
            TxDropped: c(O.ifOutDiscards) ?? 0,
          };
    out.set(i, {
      ifIndex: i,
      admin: intOf(col(O.ifAdminStatus).get(k), p),
      oper: intOf(col(O.ifOperStatus).get(k), p),
      counters,
      width: hc ? 64 : 32,
    });
  }
  return out;
}

export function stateName(status: number | null): 'UP' | 'DOWN' | undefined {
  if (status === 1) return 'UP';
  if (status === null) return undefined;
  return 'DOWN';
}
