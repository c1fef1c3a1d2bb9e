// Cabling intent vs observed (docs/architecture.md#cabling-intent): a plan's cables against the
// stitched `layer2` links read through a GraphReader. Ports are matched as the stitcher matches
// them (topology/port-names.ts), so `Gi1/0/1` in a plan is the observed `GigabitEthernet1/0/1`.
import type { GraphReader } from '../topology/store/graph-store.ts';
import type { GraphEdge, GraphNode } from '../topology/types.ts';
import { matchPortName, type NamedPort } from '../topology/port-names.ts';
import type { PlanEnd, PlannedCable } from './plan.ts';

export interface CableEnd {
  device: string;
  port: string;
  /** Graph node IDs when observed. */
  deviceId?: string;
  portId?: string;
  speed?: number;
  mtu?: number;
}

export interface ObservedCable {
  a: CableEnd;
  b: CableEnd;
  edgeId: string;
  state: string;
  evidence: string[];
}

export interface CablingReport {
  /** Planned cables observed UP between the planned ports. */
  ok: { planned: PlannedCable; observed: ObservedCable }[];
  /** Planned cables with nothing observed at either planned port; `reason` says why. */
  missing: { planned: PlannedCable; reason: string }[];
  /** Observed links between two devices the plan names that no planned cable accounts for. */
  unexpected: ObservedCable[];
  /** A planned cable with one end where the plan says and the other on another port. */
  miswired: { planned: PlannedCable; observed: ObservedCable; expected: PlanEnd; found: CableEnd }[];
  /** Observed cables (ok, miswired or unexpected) only one end reports through LLDP/CDP. */
  oneSided: (ObservedCable & { reportedBy: string })[];
  /** Observed cables whose two ends differ in Speed (bit/s). */
  speedMismatch: ObservedCable[];
  /** Observed cables whose two ends differ in MTU. */
  mtuMismatch: ObservedCable[];
}

const NEIGHBOUR_SOURCES = new Set(['lldp-snmp', 'lldp-agent', 'cdp']);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

interface Device {
  node: GraphNode;
  ports: NamedPort<GraphNode>[];
}

/** The devices of the graph with their ports (ownership children of Type port or interface). */
function devicesOf(g: GraphReader): { byId: Map<string, Device>; ownerOf: Map<string, string> } {
  const byId = new Map<string, Device>();
  const ownerOf = new Map<string, string>();
  for (const e of g.findEdges('RelationType', 'ownership')) {
    const child = g.getNode(e.Child);
    const parent = g.getNode(e.Parent);
    if (!child || !parent) continue;
    const t = child.Metadata.Type;
    if (t !== 'port' && t !== 'interface' && t !== 'device') continue;
    let d = byId.get(parent.ID);
    if (!d) byId.set(parent.ID, (d = { node: parent, ports: [] }));
    const md = child.Metadata;
    const lldp = md.LLDP as { PortID?: unknown } | undefined;
    d.ports.push({ port: child, names: [str(md.Name), str(md.Alias), str(md.Description), str(lldp?.PortID)] });
    ownerOf.set(child.ID, parent.ID);
  }
  return { byId, ownerOf };
}

/** A plan's device name → graph device: its Name, ID or MgmtAddress, case-insensitive, or its Name's host part. */
function deviceMatcher(devices: Iterable<Device>): (name: string) => Device | undefined {
  const exact = new Map<string, Device[]>();
  const short = new Map<string, Device[]>();
  const add = (m: Map<string, Device[]>, k: string | undefined, d: Device) => {
    if (!k) return;
    const key = k.toLowerCase();
    const l = m.get(key) ?? [];
    if (!l.includes(d)) l.push(d);
    m.set(key, l);
  };
  for (const d of devices) {
    const name = str(d.node.Metadata.Name);
    add(exact, name, d);
    add(exact, d.node.ID, d);
    add(exact, str(d.node.Metadata.MgmtAddress), d);
    if (name && !/^\d+\.\d+\.\d+\.\d+$/.test(name)) add(short, name.split('.')[0], d);
  }
  // A name two devices answer to matches neither: never a guess.
  return (name) => {
    const k = name.toLowerCase();
    const e = exact.get(k);
    if (e) return e.length === 1 ? e[0] : undefined;
    const s = short.get(k.split('.')[0]!);
    return s && s.length === 1 ? s[0] : undefined;
  };
}

function endOf(g: GraphReader, portId: string, ownerOf: Map<string, string>): CableEnd {
  const p = g.getNode(portId);
  const devId = ownerOf.get(portId);
  const dev = devId ? g.getNode(devId) : undefined;
  const end: CableEnd = {
    device: str(dev?.Metadata.Name) ?? devId ?? '?',
    port: str(p?.Metadata.Name) ?? portId,
    portId,
  };
  if (devId) end.deviceId = devId;
  if (typeof p?.Metadata.Speed === 'number') end.speed = p.Metadata.Speed;
  if (typeof p?.Metadata.MTU === 'number') end.mtu = p.Metadata.MTU;
  return end;
}

function observedOf(g: GraphReader, e: GraphEdge, ownerOf: Map<string, string>): ObservedCable {
  const ev = (e.Metadata.Evidence as Record<string, unknown> | undefined) ?? {};
  return {
    a: endOf(g, e.Parent, ownerOf),
    b: endOf(g, e.Child, ownerOf),
    edgeId: e.ID,
    state: str(e.Metadata.State) ?? 'UP',
    evidence: Object.keys(ev).sort(),
  };
}

/** The reporter (device ID) when LLDP/CDP evidence comes from one end only; undefined otherwise. */
function oneSidedReporter(e: GraphEdge, c: ObservedCable): string | undefined {
  const ev = (e.Metadata.Evidence as Record<string, { Reporters?: unknown }> | undefined) ?? {};
  const reporters = new Set<string>();
  for (const [src, v] of Object.entries(ev)) {
    if (!NEIGHBOUR_SOURCES.has(src) || !Array.isArray(v.Reporters)) continue;
    for (const r of v.Reporters) if (typeof r === 'string') reporters.add(r);
  }
  if (reporters.size === 0 || !c.a.deviceId || !c.b.deviceId) return undefined;
  // A switch reports as itself, a host agent as its interface.
  const a = reporters.has(c.a.deviceId) || (c.a.portId !== undefined && reporters.has(c.a.portId));
  const b = reporters.has(c.b.deviceId) || (c.b.portId !== undefined && reporters.has(c.b.portId));
  if (a && !b) return c.a.device;
  if (b && !a) return c.b.device;
  return undefined;
}

/**
 * A link the stitcher keeps DOWN although both its ports are up: not re-seen in recent polls (the
 * cable was pulled or moved). A link DOWN because a port is down is still cabled as observed.
 */
function stale(g: GraphReader, e: GraphEdge): boolean {
  if (e.Metadata.State !== 'DOWN') return false;
  return ![e.Parent, e.Child].some((id) => g.getNode(id)?.Metadata.State === 'DOWN');
}

export function verifyCabling(g: GraphReader, plan: readonly PlannedCable[]): CablingReport {
  const { byId, ownerOf } = devicesOf(g);
  const findDevice = deviceMatcher(byId.values());
  // Observed cables: the stitcher's layer2 links between ports (not LAG membership, not the static
  // fabric alone, which is intent rather than observation).
  const links = new Map<string, GraphEdge>();
  const atPort = new Map<string, GraphEdge[]>();
  for (const e of g.findEdges('RelationType', 'layer2')) {
    if (e.Metadata.Lag === 'member') continue;
    const ev = Object.keys((e.Metadata.Evidence as object | undefined) ?? {});
    if (ev.length === 0 || ev.every((s) => s === 'fabric')) continue;
    if (!ownerOf.has(e.Parent) || !ownerOf.has(e.Child)) continue;
    links.set(e.ID, e);
    for (const p of [e.Parent, e.Child]) atPort.set(p, [...(atPort.get(p) ?? []), e]);
  }
  const report: CablingReport = { ok: [], missing: [], unexpected: [], miswired: [], oneSided: [], speedMismatch: [], mtuMismatch: [] };
  const accounted = new Set<string>();
  const plannedDevices = new Set<string>();
  const resolve = (end: PlanEnd): { dev?: Device; port?: GraphNode; why?: string } => {
    const dev = findDevice(end.device);
    if (!dev) return { why: `device ${end.device} is not in the graph (or its name is ambiguous)` };
    plannedDevices.add(dev.node.ID);
    const port = matchPortName(dev.ports, end.port) ?? undefined;
    return port ? { dev, port } : { dev, why: `${end.device} has no port ${end.port}` };
  };
  for (const cable of plan) {
    const ra = resolve(cable.a);
    const rb = resolve(cable.b);
    const pa = ra.port?.ID;
    const pb = rb.port?.ID;
    let direct = pa && pb ? (atPort.get(pa) ?? []).find((e) => e.Parent === pb || e.Child === pb) : undefined;
    // A DOWN link between the planned ports gives way to a live one at either of them: the cable
    // was moved (the old link stays DOWN, its far port dark, until the stitcher ages it out).
    const live = (p: string | undefined) => (p ? (atPort.get(p) ?? []).some((e) => e !== direct && e.Metadata.State !== 'DOWN') : false);
    let superseded: GraphEdge | undefined;
    if (direct?.Metadata.State === 'DOWN' && (live(pa) || live(pb))) {
      accounted.add(direct.ID);
      superseded = direct;
      direct = undefined;
    }
    if (direct) {
      accounted.add(direct.ID);
      if (stale(g, direct)) report.missing.push({ planned: cable, reason: 'the link was not seen in recent polls' });
      else report.ok.push({ planned: cable, observed: observedOf(g, direct, ownerOf) });
      continue;
    }
    // One planned end in place, the other somewhere else: each observed link at a planned port.
    let found = false;
    for (const [here, expected] of [
      [pa, cable.b],
      [pb, cable.a],
    ] as const) {
      if (!here) continue;
      for (const e of atPort.get(here) ?? []) {
        if (e === superseded || stale(g, e)) continue;
        const other = e.Parent === here ? e.Child : e.Parent;
        const obs = observedOf(g, e, ownerOf);
        const far = obs.a.portId === other ? obs.a : obs.b;
        report.miswired.push({ planned: cable, observed: obs, expected, found: far });
        accounted.add(e.ID);
        found = true;
      }
    }
    if (!found) report.missing.push({ planned: cable, reason: ra.why ?? rb.why ?? 'no link observed at either planned port' });
  }
  for (const e of links.values()) {
    const da = ownerOf.get(e.Parent)!;
    const db = ownerOf.get(e.Child)!;
    const planned = plannedDevices.has(da) && plannedDevices.has(db);
    if (!planned && !accounted.has(e.ID)) continue;
    const obs = observedOf(g, e, ownerOf);
    if (!accounted.has(e.ID) && !stale(g, e)) report.unexpected.push(obs);
    const by = oneSidedReporter(e, obs);
    if (by) report.oneSided.push({ ...obs, reportedBy: by });
    if (obs.a.speed !== undefined && obs.b.speed !== undefined && obs.a.speed !== obs.b.speed) report.speedMismatch.push(obs);
    if (obs.a.mtu !== undefined && obs.b.mtu !== undefined && obs.a.mtu !== obs.b.mtu) report.mtuMismatch.push(obs);
  }
  return report;
}

/** True when the report has nothing to flag (exit status 0 of `canopy verify-cabling`). */
export function cablingClean(r: CablingReport): boolean {
  return (
    r.missing.length + r.unexpected.length + r.miswired.length + r.oneSided.length + r.speedMismatch.length + r.mtuMismatch.length === 0
  );
}
