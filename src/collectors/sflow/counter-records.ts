// sFlow v5 counter records: interface (1, 2, 5, 7), processor (1001), Open vSwitch's OpenFlow
// port (1004) and port name (1005), host (2000–2007), virtual node (2100–2104), application
// resources (2203) and OVS datapath (2207). Rarer fixed layouts are tables: [field, kind] in wire order.
import type { CounterRecord } from '../common/flow-record.ts';
import { f32, macStr, u32, u64 } from '../common/packet-bytes.ts';
import { type Ctx, readString } from './context.ts';

type Kind = 'u32' | 'u64' | 'f32' | 'mac8';
type Layout = readonly (readonly [string, Kind])[];

const u32s = (...names: string[]): Layout => names.map((n) => [n, 'u32'] as const);

const LAYOUTS: Record<number, Layout> = {
  5: [['vlanId', 'u32'], ['octets', 'u64'], ...u32s('ucastPkts', 'multicastPkts', 'broadcastPkts', 'discards')],
  7: [
    ['actorSystemId', 'mac8'],
    ['partnerSystemId', 'mac8'],
    ['attachedAggId', 'u32'],
    ['portState', 'u32'],
    ...u32s(
      'lacpdusRx',
      'markerPdusRx',
      'markerResponsePdusRx',
      'unknownRx',
      'illegalRx',
      'lacpdusTx',
      'markerPdusTx',
      'markerResponsePdusTx',
    ),
  ],
  1001: [...u32s('cpu5s', 'cpu1m', 'cpu5m'), ['totalMemory', 'u64'], ['freeMemory', 'u64']],
  2002: u32s('containerType', 'containerIndex'),
  2003: [
    ['loadOne', 'f32'],
    ['loadFive', 'f32'],
    ['loadFifteen', 'f32'],
    ...u32s(
      'procRun',
      'procTotal',
      'cpuNum',
      'cpuSpeed',
      'uptime',
      'cpuUser',
      'cpuNice',
      'cpuSystem',
      'cpuIdle',
      'cpuWio',
      'cpuIntr',
      'cpuSintr',
      'interrupts',
      'contexts',
      'cpuSteal',
      'cpuGuest',
      'cpuGuestNice',
    ),
  ],
  2004: [
    ['memTotal', 'u64'],
    ['memFree', 'u64'],
    ['memShared', 'u64'],
    ['memBuffers', 'u64'],
    ['memCached', 'u64'],
    ['swapTotal', 'u64'],
    ['swapFree', 'u64'],
    ...u32s('pageIn', 'pageOut', 'swapIn', 'swapOut'),
  ],
  2005: [
    ['diskTotal', 'u64'],
    ['diskFree', 'u64'],
    ['partMaxUsed', 'u32'],
    ['reads', 'u32'],
    ['bytesRead', 'u64'],
    ['readTime', 'u32'],
    ['writes', 'u32'],
    ['bytesWritten', 'u64'],
    ['writeTime', 'u32'],
  ],
  2006: [['bytesIn', 'u64'], ...u32s('pktsIn', 'errsIn', 'dropsIn'), ['bytesOut', 'u64'], ...u32s('pktsOut', 'errsOut', 'dropsOut')],
  2007: u32s(
    'ipForwarding',
    'ipDefaultTTL',
    'ipInReceives',
    'ipInHdrErrors',
    'ipInAddrErrors',
    'ipForwDatagrams',
    'ipInUnknownProtos',
    'ipInDiscards',
    'ipInDelivers',
    'ipOutRequests',
    'ipOutDiscards',
    'ipOutNoRoutes',
    'ipReasmTimeout',
    'ipReasmReqds',
    'ipReasmOKs',
    'ipReasmFails',
    'ipFragOKs',
    'ipFragFails',
    'ipFragCreates',
  ),
  2100: [
    ['mhz', 'u32'],
    ['cpus', 'u32'],
    ['memory', 'u64'],
    ['memoryFree', 'u64'],
    ['numDomains', 'u32'],
  ],
  2101: u32s('state', 'cpuTime', 'nrVirtCpu'),
  2102: [
    ['memory', 'u64'],
    ['maxMemory', 'u64'],
  ],
  2103: [
    ['capacity', 'u64'],
    ['allocation', 'u64'],
    ['available', 'u64'],
    ['rdReq', 'u32'],
    ['rdBytes', 'u64'],
    ['wrReq', 'u32'],
    ['wrBytes', 'u64'],
    ['errs', 'u32'],
  ],
  2104: [['rxBytes', 'u64'], ...u32s('rxPackets', 'rxErrs', 'rxDrop'), ['txBytes', 'u64'], ...u32s('txPackets', 'txErrs', 'txDrop')],
  2203: [
    ['userTime', 'u32'],
    ['systemTime', 'u32'],
    ['memUsed', 'u64'],
    ['memMax', 'u64'],
    ...u32s('fdOpen', 'fdMax', 'connOpen', 'connMax'),
  ],
  2207: u32s('nHit', 'nMissed', 'nLost', 'nMaskHit', 'nFlows', 'nMasks'),
};

export const COUNTER_NAMES: Record<number, string> = {
  1: 'generic_interface',
  2: 'ethernet_interface',
  5: 'vlan',
  7: 'lacp',
  1001: 'processor',
  1004: 'openflow_port',
  1005: 'port_name',
  2000: 'host_descr',
  2001: 'host_adapters',
  2002: 'host_parent',
  2003: 'host_cpu',
  2004: 'host_memory',
  2005: 'host_disk_io',
  2006: 'host_net_io',
  2007: 'mib2_ip_group',
  2100: 'virt_node',
  2101: 'virt_cpu',
  2102: 'virt_memory',
  2103: 'virt_disk_io',
  2104: 'virt_net_io',
  2203: 'app_resources',
  2207: 'ovs_dp_stats',
};

const OS_NAMES = [
  'unknown',
  'other',
  'linux',
  'windows',
  'darwin',
  'hpux',
  'aix',
  'dragonfly',
  'freebsd',
  'netbsd',
  'openbsd',
  'osf',
  'solaris',
  'java',
];
const MAX_ADAPTERS = 256;
const MAX_MACS = 64;

function fieldSize(k: Kind): number {
  return k === 'u64' || k === 'mac8' ? 8 : 4;
}

type LayoutReader = (b: Buffer, o: number, end: number, rec: CounterRecord) => void;
interface CompiledLayout {
  minLength: number;
  read: LayoutReader;
}

/**
 * Each table becomes straight-line code at load time: `rec.name = u32(b, o + k)` per field, each
 * guarded by the body end (trailing fields may be absent). A generic loop writing `rec[name]`
 * is a megamorphic keyed store per field, several times slower. The generated source holds only
 * the table's field names and offsets, never input bytes.
 */
function compileLayout(l: Layout, format: number): CompiledLayout {
  let src = '"use strict";';
  let off = 0;
  for (const [name, kind] of l) {
    const size = fieldSize(kind);
    src += `if(o+${off + size}>e)return;r.${name}=${kind}(b,o+${off});`;
    off += size;
  }
  // Trailing fields newer host_cpu records have may be absent.
  const required = format === 2003 ? l.length - 3 : l.length;
  let minLength = 0;
  for (let i = 0; i < required; i++) minLength += fieldSize(l[i]![1]);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('u32', 'u64', 'f32', 'mac8', `return function readLayout(b,o,e,r){${src}}`) as (
    u32r: typeof u32,
    u64r: typeof u64,
    f32r: typeof f32,
    mac: typeof macStr,
  ) => LayoutReader;
  return { minLength, read: make(u32, u64, f32, macStr) };
}

/** Per counter record format (12 bits on the wire, so a dense array: no hashing per lookup). */
const NAMES: (string | undefined)[] = new Array<string | undefined>(4096).fill(undefined);
const READERS: (CompiledLayout | undefined)[] = new Array<CompiledLayout | undefined>(4096).fill(undefined);
for (const [f, n] of Object.entries(COUNTER_NAMES)) NAMES[Number(f)] = n;
for (const [f, l] of Object.entries(LAYOUTS)) READERS[Number(f)] = compileLayout(l, Number(f));

/** Record name of a known enterprise-0 counter record format (`format` < 4096), else undefined. */
export function counterName(format: number): string | undefined {
  return NAMES[format];
}

/** Fills `rec` from the record body [o, end); false when the body is shorter than required. */
export function decodeCounterRecord(ctx: Ctx, format: number, o: number, end: number, rec: CounterRecord): boolean {
  const b = ctx.buf;
  // The two records every switch sends each polling interval are checked first.
  if (format === 1) return genericInterface(b, o, end, rec);
  if (format === 2) return ethernetInterface(b, o, end, rec);
  if (format === 1004) {
    if (end - o < 12) return false;
    // A 64-bit datapath id does not fit a number exactly: keep it as OVS prints it (16 hex digits).
    rec.datapathId = b.toString('hex', o, o + 8);
    rec.openflowPort = u32(b, o + 8);
    return true;
  }
  const layout = READERS[format];
  if (layout) {
    if (end - o < layout.minLength) return false;
    layout.read(b, o, end, rec);
    return true;
  }
  switch (format) {
    case 1005: {
      const s = readString(b, o, end);
      if (!s) return false;
      rec.portName = s.value;
      return true;
    }
    case 2000:
      return hostDescr(b, o, end, rec);
    case 2001:
      return hostAdapters(b, o, end, rec);
  }
  return false;
}

function hostDescr(b: Buffer, o: number, end: number, rec: CounterRecord): boolean {
  const host = readString(b, o, end);
  if (!host || host.next + 24 > end) return false;
  rec.hostname = host.value;
  const u = host.next;
  const hex = b.toString('hex', u, u + 16);
  rec.uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  rec.machineType = u32(b, u + 16);
  const os = u32(b, u + 20);
  rec.osName = OS_NAMES[os] ?? String(os);
  const rel = readString(b, u + 24, end);
  if (rel) rec.osRelease = rel.value;
  return true;
}

function hostAdapters(b: Buffer, o: number, end: number, rec: CounterRecord): boolean {
  if (o + 4 > end) return false;
  const n = u32(b, o);
  if (n > MAX_ADAPTERS || n > (end - o - 4) / 8) return false;
  const adapters: { ifIndex: number; macs: string[] }[] = [];
  let p = o + 4;
  for (let i = 0; i < n; i++) {
    if (p + 8 > end) return false;
    const ifIndex = u32(b, p);
    const m = u32(b, p + 4);
    p += 8;
    if (m > MAX_MACS || m > (end - p) / 8) return false;
    const macs: string[] = [];
    for (let j = 0; j < m; j++, p += 8) macs.push(macStr(b, p));
    adapters.push({ ifIndex, macs });
  }
  rec.adapters = adapters;
  return true;
}

function genericInterface(b: Buffer, o: number, end: number, rec: CounterRecord): boolean {
  if (end - o < 88) return false;
  rec.ifIndex = u32(b, o);
  rec.ifType = u32(b, o + 4);
  rec.ifSpeed = u64(b, o + 8);
  rec.ifDirection = u32(b, o + 16);
  const st = u32(b, o + 20);
  rec.ifStatus = st;
  rec.ifAdminStatus = st & 1 ? 1 : 2; // IF-MIB: 1 up, 2 down
  rec.ifOperStatus = st & 2 ? 1 : 2;
  rec.ifInOctets = u64(b, o + 24);
  rec.ifInUcastPkts = u32(b, o + 32);
  rec.ifInMulticastPkts = u32(b, o + 36);
  rec.ifInBroadcastPkts = u32(b, o + 40);
  rec.ifInDiscards = u32(b, o + 44);
  rec.ifInErrors = u32(b, o + 48);
  rec.ifInUnknownProtos = u32(b, o + 52);
  rec.ifOutOctets = u64(b, o + 56);
  rec.ifOutUcastPkts = u32(b, o + 64);
  rec.ifOutMulticastPkts = u32(b, o + 68);
  rec.ifOutBroadcastPkts = u32(b, o + 72);
  rec.ifOutDiscards = u32(b, o + 76);
  rec.ifOutErrors = u32(b, o + 80);
  rec.ifPromiscuousMode = u32(b, o + 84);
  return true;
}

function ethernetInterface(b: Buffer, o: number, end: number, rec: CounterRecord): boolean {
  if (end - o < 52) return false;
  rec.dot3StatsAlignmentErrors = u32(b, o);
  rec.dot3StatsFCSErrors = u32(b, o + 4);
  rec.dot3StatsSingleCollisionFrames = u32(b, o + 8);
  rec.dot3StatsMultipleCollisionFrames = u32(b, o + 12);
  rec.dot3StatsSQETestErrors = u32(b, o + 16);
  rec.dot3StatsDeferredTransmissions = u32(b, o + 20);
  rec.dot3StatsLateCollisions = u32(b, o + 24);
  rec.dot3StatsExcessiveCollisions = u32(b, o + 28);
  rec.dot3StatsInternalMacTransmitErrors = u32(b, o + 32);
  rec.dot3StatsCarrierSenseErrors = u32(b, o + 36);
  rec.dot3StatsFrameTooLongs = u32(b, o + 40);
  rec.dot3StatsInternalMacReceiveErrors = u32(b, o + 44);
  rec.dot3StatsSymbolErrors = u32(b, o + 48);
  return true;
}
