// LLDP from lldpd (docs/architecture.md#agent): `lldpcli -f json0` (the layout where every value is
// a list, stable across lldpd versions). The neighbours become `Metadata.LLDP` on the interface
// that sees them — the stitcher's host-side evidence (lldp-agent) — and the local chassis goes on
// the host node, so a switch's LLDP row naming this host's chassis finds the host directly.
import { runCommand } from '../run-command.ts';

export interface LldpNeighbourInfo {
  /** Local interface name. */
  iface: string;
  ChassisID?: string;
  ChassisIDType?: string;
  SysName?: string;
  SysDescr?: string;
  PortID?: string;
  PortIDType?: string;
  PortDescr?: string;
  MgmtAddress?: string[];
  TTL?: number;
  Capabilities?: string[];
}

export interface LldpChassis {
  ChassisID?: string;
  ChassisIDType?: string;
  SysName?: string;
}

type J = Record<string, unknown>;
const arr = (x: unknown): J[] => (Array.isArray(x) ? (x.filter((e) => e && typeof e === 'object') as J[]) : []);
const first = (x: unknown): J => arr(x)[0] ?? {};
const val = (x: unknown): string | undefined => {
  const v = first(x).value;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

// lldpcli's id type names → the LLDP-MIB subtype names the graph uses (as the SNMP side writes them).
const CHASSIS_TYPE: Record<string, string> = {
  mac: 'macAddress',
  ip: 'networkAddress',
  ifname: 'interfaceName',
  ifalias: 'interfaceAlias',
  local: 'local',
  unhandled: 'chassisComponent',
};
const PORT_TYPE: Record<string, string> = {
  mac: 'macAddress',
  ip: 'networkAddress',
  ifname: 'interfaceName',
  ifalias: 'interfaceAlias',
  local: 'local',
  unhandled: 'portComponent',
};

function idOf(x: unknown, names: Record<string, string>): { id?: string; type?: string } {
  const i = first(x);
  const out: { id?: string; type?: string } = {};
  if (typeof i.value === 'string' && i.value) out.id = i.value;
  if (typeof i.type === 'string') out.type = names[i.type] ?? i.type;
  return out;
}

/** `lldpcli show neighbors details -f json0`; interfaces without a usable neighbour are skipped. */
export function parseNeighbours(text: string): LldpNeighbourInfo[] {
  let doc: J;
  try {
    doc = JSON.parse(text) as J;
  } catch {
    return [];
  }
  const out: LldpNeighbourInfo[] = [];
  for (const l of arr(doc.lldp)) {
    for (const i of arr(l.interface)) {
      if (typeof i.name !== 'string') continue;
      const ch = first(i.chassis);
      const port = first(i.port);
      const n: LldpNeighbourInfo = { iface: i.name };
      const c = idOf(ch.id, CHASSIS_TYPE);
      if (c.id) n.ChassisID = c.type === 'macAddress' ? c.id.toLowerCase() : c.id;
      if (c.type) n.ChassisIDType = c.type;
      const sys = val(ch.name);
      if (sys) n.SysName = sys;
      const d = val(ch.descr);
      if (d) n.SysDescr = d;
      const p = idOf(port.id, PORT_TYPE);
      if (p.id) n.PortID = p.type === 'macAddress' ? p.id.toLowerCase() : p.id;
      if (p.type) n.PortIDType = p.type;
      const pd = val(port.descr);
      if (pd) n.PortDescr = pd;
      const mgmt = arr(ch['mgmt-ip'])
        .map((m) => m.value)
        .filter((v): v is string => typeof v === 'string');
      if (mgmt.length) n.MgmtAddress = mgmt;
      const ttl = Number(val(port.ttl) ?? val(i.ttl));
      if (Number.isFinite(ttl) && ttl > 0) n.TTL = ttl;
      const caps = arr(ch.capability)
        .filter((x) => x.enabled === true && typeof x.type === 'string')
        .map((x) => String(x.type).toLowerCase());
      if (caps.length) n.Capabilities = caps;
      if (n.ChassisID || n.SysName || n.PortID) out.push(n);
    }
  }
  return out;
}

/** `lldpcli show chassis -f json0`: the identity this host advertises. */
export function parseChassis(text: string): LldpChassis | undefined {
  let doc: J;
  try {
    doc = JSON.parse(text) as J;
  } catch {
    return undefined;
  }
  const ch = first(first(doc['local-chassis']).chassis);
  const c = idOf(ch.id, CHASSIS_TYPE);
  if (!c.id) return undefined;
  const out: LldpChassis = { ChassisID: c.type === 'macAddress' ? c.id.toLowerCase() : c.id };
  if (c.type) out.ChassisIDType = c.type;
  const name = val(ch.name);
  if (name) out.SysName = name;
  return out;
}

function lldpcli(socket: string | undefined, args: string[], timeoutMs = 5000): Promise<string> {
  const argv = socket ? ['-u', socket, ...args, '-f', 'json0'] : [...args, '-f', 'json0'];
  return runCommand('lldpcli', argv, { timeoutMs, stderrChars: 200 });
}

export async function readLldp(socket: string | undefined): Promise<{ chassis?: LldpChassis; neighbours: LldpNeighbourInfo[] }> {
  const [n, c] = await Promise.all([lldpcli(socket, ['show', 'neighbors', 'details']), lldpcli(socket, ['show', 'chassis'])]);
  const chassis = parseChassis(c);
  return chassis ? { chassis, neighbours: parseNeighbours(n) } : { neighbours: parseNeighbours(n) };
}
