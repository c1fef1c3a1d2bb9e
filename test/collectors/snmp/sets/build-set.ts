// Multi-device sets from real walks (fixtures/README.md, "Multi-device SNMP sets"): each device is a
// copy of one real walk whose identity (sysName, LLDP chassis ID) and neighbour tables (LLDP-MIB
// remote and management-address tables, CISCO-CDP-MIB cache) are rewritten so the devices of a set
// point at each other as the set's adjacency list says. Everything else in the walk — ifTable,
// ifXTable, LLDP local port table, bridge ports, ENTITY-MIB — is the real device's, unchanged.
// Neighbour rows are written the way the far device advertises itself: its lldpLocPortTable entry
// for the port when its walk has one, else (Cisco IOS) port ID subtype 5 = ifName and port
// description = ifDescr; CDP rows carry the far device's FQDN and its long ifDescr name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SetDevice {
  /** Short name used in the adjacency list and as LLDP system name. */
  name: string;
  walk: string;
  /** sysName.0 of the copy (Cisco IOS answers the FQDN when a domain is set). */
  sysName: string;
  /** What CDP neighbours see as device ID (FQDN). Default: sysName. */
  cdpDeviceId?: string;
  /** What LLDP neighbours see as system name. Default: name. */
  lldpSysName?: string;
  /** LLDP chassis ID (subtype 4, MAC) of the copy. */
  chassisMac: string;
  protocols: ('lldp' | 'cdp')[];
  /** CDP platform string (cdpCachePlatform) neighbours see. */
  platform?: string;
  /** Port ID for ports its lldpLocPortTable lacks: ifName (subtype 5, default) or ifIndex (subtype 7, Junos). */
  advertise?: 'ifname' | 'ifindex';
}

export interface SetLink {
  a: string;
  aPort: string;
  b: string;
  bPort: string;
}

export interface DeviceSet {
  name: string;
  description: string;
  devices: SetDevice[];
  links: [string, string, string, string][];
}

type Row = { oid: string; type: string; value: string };

const LLDP_LOC_CHASSIS_SUBTYPE = '1.0.8802.1.1.2.1.3.1.0';
const LLDP_LOC_CHASSIS = '1.0.8802.1.1.2.1.3.2.0';
const LLDP_LOC_SYSNAME = '1.0.8802.1.1.2.1.3.3.0';
const LLDP_LOC_PORT = '1.0.8802.1.1.2.1.3.7.1';
const LLDP_REM = '1.0.8802.1.1.2.1.4.';
const LLDP_EXT_REM = /^1\.0\.8802\.1\.1\.2\.1\.5\.\d+\.1\.3\./;
const CDP_CACHE = '1.3.6.1.4.1.9.9.23.1.2.1.';
const FDB = ['1.3.6.1.2.1.17.4.3.', '1.3.6.1.2.1.17.7.1.2.2.'];
const SYSNAME = '1.3.6.1.2.1.1.5.0';
const IFNAME = '1.3.6.1.2.1.31.1.1.1.1.';
const IFDESCR = '1.3.6.1.2.1.2.2.1.2.';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
const macHex = (m: string) => m.replace(/[:.-]/g, '').toLowerCase();
const ipHex = (ip: string) =>
  ip
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('');

export function readRows(path: string): Row[] {
  const out: Row[] = [];
  for (const line of readFileSync(path, 'latin1').split(/\r?\n/)) {
    const m = /^([\d.]+)\|(\w+)\|(.*)$/.exec(line);
    if (m) out.push({ oid: m[1]!, type: m[2]!, value: m[3]! });
  }
  return out;
}

/** Display text of a row (hex rows decoded). */
const textOf = (r: Row | undefined): string | undefined =>
  r === undefined ? undefined : r.type.endsWith('x') ? Buffer.from(r.value, 'hex').toString('latin1') : r.value;

export interface WalkView {
  rows: Row[];
  byOid: Map<string, Row>;
  /** ifName → ifIndex. */
  ifIndexByName: Map<string, number>;
  ifName(i: number): string | undefined;
  ifDescr(i: number): string | undefined;
  /** lldpLocPortNum → { subtype, id, desc } as the walk has it. */
  locPorts: Map<number, { subtype: number | null; id: string | undefined; desc: string | undefined }>;
}

export function viewWalk(path: string): WalkView {
  const rows = readRows(path);
  const byOid = new Map<string, Row>();
  for (const r of rows) if (!byOid.has(r.oid)) byOid.set(r.oid, r);
  const ifIndexByName = new Map<string, number>();
  for (const r of rows) if (r.oid.startsWith(IFNAME)) ifIndexByName.set(textOf(r)!, Number(r.oid.slice(IFNAME.length)));
  const locPorts = new Map<number, { subtype: number | null; id: string | undefined; desc: string | undefined }>();
  for (const r of rows) {
    if (!r.oid.startsWith(`${LLDP_LOC_PORT}.`)) continue;
    const [col, num] = r.oid.slice(LLDP_LOC_PORT.length + 1).split('.');
    const n = Number(num);
    const e = locPorts.get(n) ?? { subtype: null, id: undefined, desc: undefined };
    if (col === '2') e.subtype = Number(r.value);
    if (col === '3') e.id = textOf(r);
    if (col === '4') e.desc = textOf(r);
    locPorts.set(n, e);
  }
  return {
    rows,
    byOid,
    ifIndexByName,
    ifName: (i) => textOf(byOid.get(IFNAME + i)),
    ifDescr: (i) => textOf(byOid.get(IFDESCR + i)),
    locPorts,
  };
}

/** The LLDP local port number a device uses for an ifIndex: its lldpLocPortTable entry naming it, else the ifIndex (IOS). */
function lldpPortNum(w: WalkView, ifIndex: number): number {
  const name = w.ifName(ifIndex);
  const descr = w.ifDescr(ifIndex);
  for (const [n, p] of w.locPorts) if (p.id !== undefined && (p.id === name || p.id === descr)) return n;
  for (const [n, p] of w.locPorts) if (p.desc !== undefined && (p.desc === name || p.desc === descr)) return n;
  return ifIndex;
}

/** How a device advertises one of its ports in LLDP: from its own lldpLocPortTable, else ifName / ifDescr. */
function advertisedPort(w: WalkView, ifIndex: number, how: SetDevice['advertise']): { subtype: number; id: string; desc: string } {
  const num = lldpPortNum(w, ifIndex);
  const lp = w.locPorts.get(num);
  const name = w.ifName(ifIndex) ?? String(ifIndex);
  const descr = w.ifDescr(ifIndex) ?? name;
  if (lp?.id !== undefined) return { subtype: lp.subtype ?? 5, id: lp.id, desc: lp.desc ?? descr };
  if (how === 'ifindex') return { subtype: 7, id: String(ifIndex), desc: descr };
  return { subtype: 5, id: name, desc: descr };
}

function ifIndexOf(w: WalkView, dev: string, port: string): number {
  const i = w.ifIndexByName.get(port);
  if (i === undefined) throw new Error(`set: ${dev} has no port named ${port}`);
  return i;
}

const dropped = (oid: string): boolean =>
  oid === SYSNAME ||
  oid === LLDP_LOC_CHASSIS_SUBTYPE ||
  oid === LLDP_LOC_CHASSIS ||
  oid === LLDP_LOC_SYSNAME ||
  oid.startsWith(LLDP_REM) ||
  LLDP_EXT_REM.test(oid) ||
  oid.startsWith(CDP_CACHE) ||
  FDB.some((p) => oid.startsWith(p));

export interface BuiltDevice {
  device: SetDevice;
  address: string;
  /** snmprec text of the edited copy. */
  text: string;
}

/** The edited walks of a set, device i answering at addresses[i]. */
export function buildSet(set: DeviceSet, walkDir: string, addresses: string[]): BuiltDevice[] {
  const views = new Map(set.devices.map((d) => [d.name, viewWalk(join(walkDir, d.walk))] as const));
  const dev = new Map(set.devices.map((d, i) => [d.name, { d, address: addresses[i]! }] as const));
  const extra = new Map<string, Row[]>(set.devices.map((d) => [d.name, []]));
  const remIndex = new Map<string, number>();
  const cdpIndex = new Map<string, number>();
  const add = (name: string, oid: string, type: string, value: string) => extra.get(name)!.push({ oid, type, value });

  const side = (local: string, localPort: string, far: string, farPort: string) => {
    const L = dev.get(local)!;
    const F = dev.get(far)!;
    if (!L || !F) throw new Error(`set ${set.name}: unknown device in ${local}–${far}`);
    const lw = views.get(local)!;
    const fw = views.get(far)!;
    const li = ifIndexOf(lw, local, localPort);
    const fi = ifIndexOf(fw, far, farPort);
    const both = (p: 'lldp' | 'cdp') => L.d.protocols.includes(p) && F.d.protocols.includes(p);
    if (both('lldp')) {
      const n = (remIndex.get(local) ?? 0) + 1;
      remIndex.set(local, n);
      const idx = `0.${lldpPortNum(lw, li)}.${n}`;
      const adv = advertisedPort(fw, fi, F.d.advertise);
      const c = `${LLDP_REM}1.1`;
      add(local, `${c}.4.${idx}`, '2', '4');
      add(local, `${c}.5.${idx}`, '4x', macHex(F.d.chassisMac));
      add(local, `${c}.6.${idx}`, '2', String(adv.subtype));
      add(local, `${c}.7.${idx}`, adv.subtype === 3 ? '4x' : '4', adv.subtype === 3 ? macHex(adv.id) : adv.id);
      add(local, `${c}.8.${idx}`, '4', adv.desc);
      add(local, `${c}.9.${idx}`, '4', F.d.lldpSysName ?? F.d.name);
      add(local, `${c}.10.${idx}`, '4x', hex(textOf(fw.byOid.get('1.3.6.1.2.1.1.1.0')) ?? ''));
      add(local, `${c}.11.${idx}`, '4x', '2800');
      add(local, `${c}.12.${idx}`, '4x', '2800');
      // lldpRemManAddrIfSubtype.idx.1(IPv4).4.a.b.c.d = ifIndex(2)
      add(local, `${LLDP_REM}2.1.3.${idx}.1.4.${F.address}`, '2', '2');
      add(local, `${LLDP_REM}2.1.4.${idx}.1.4.${F.address}`, '2', '0');
      add(local, `${LLDP_REM}2.1.5.${idx}.1.4.${F.address}`, '6', '0.0');
    }
    if (both('cdp')) {
      const n = (cdpIndex.get(local) ?? 0) + 1;
      cdpIndex.set(local, n);
      const idx = `${li}.${n}`;
      add(local, `${CDP_CACHE}1.3.${idx}`, '2', '1');
      add(local, `${CDP_CACHE}1.4.${idx}`, '4x', ipHex(F.address));
      add(local, `${CDP_CACHE}1.5.${idx}`, '4x', hex(textOf(fw.byOid.get('1.3.6.1.2.1.1.1.0')) ?? ''));
      add(local, `${CDP_CACHE}1.6.${idx}`, '4', F.d.cdpDeviceId ?? F.d.sysName);
      add(local, `${CDP_CACHE}1.7.${idx}`, '4', fw.ifDescr(fi) ?? farPort);
      add(local, `${CDP_CACHE}1.8.${idx}`, '4', F.d.platform ?? 'cisco');
      add(local, `${CDP_CACHE}1.9.${idx}`, '4x', '00000029');
    }
  };
  for (const [a, ap, b, bp] of set.links) {
    side(a, ap, b, bp);
    side(b, bp, a, ap);
  }

  return set.devices.map((d, i) => {
    const w = views.get(d.name)!;
    const rows = w.rows.filter((r) => !dropped(r.oid));
    rows.push(
      { oid: SYSNAME, type: '4', value: d.sysName },
      { oid: LLDP_LOC_CHASSIS_SUBTYPE, type: '2', value: '4' },
      { oid: LLDP_LOC_CHASSIS, type: '4x', value: macHex(d.chassisMac) },
      { oid: LLDP_LOC_SYSNAME, type: '4', value: d.lldpSysName ?? d.name },
      ...extra.get(d.name)!,
    );
    rows.sort((x, y) => compareOid(x.oid, y.oid));
    return { device: d, address: addresses[i]!, text: rows.map((r) => `${r.oid}|${r.type}|${r.value}`).join('\n') + '\n' };
  });
}

export function compareOid(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d) return d;
  }
  return x.length - y.length;
}

/** The adjacency list as "dev:port—dev:port" strings, each cable once, sorted. */
export function intendedLinks(set: DeviceSet): string[] {
  return set.links.map(([a, ap, b, bp]) => cableKey(`${a}:${ap}`, `${b}:${bp}`)).sort();
}

export const cableKey = (x: string, y: string): string => (x < y ? `${x}—${y}` : `${y}—${x}`);
