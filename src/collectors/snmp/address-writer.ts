// ARP/ND bindings (IP ↔ MAC from routers) onto the graph: the addresses go to `IPV4` / `IPV6` of
// the nodes carrying the MAC (switch ports, host interfaces from LLDP or an agent), so a search by
// IP finds the interface and from it the TOR port. A MAC no node carries but some switch's FDB
// has learnt gets a host of its own (Probe 'arp') with one interface, which the stitcher's FDB
// evidence then places on its edge port. Bindings that move show as revisions of the nodes
// (history), never as a rewrite: an unchanged poll writes nothing.
import type { GraphStore, GraphTx } from '../../topology/store/graph-store.ts';
import type { GraphNode, Metadata } from '../../topology/types.ts';
import { idFor, ids } from '../../topology/ids.ts';
import type { ArpObservation } from '../../topology/store/snmp-rows.ts';
import type { SnmpObservations } from './observations.ts';

export const ARP_ORIGIN = 'snmp-arp';
const HOST = 'snmp';

export const arpHostId = (mac: string) => idFor('arp-host', mac);
export const arpInterfaceId = (mac: string) => idFor('arp-interface', mac);

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** "10.0.0.5/24" and "10.0.0.5" name the same address. */
const bare = (a: string) => (a.includes('/') ? a.slice(0, a.indexOf('/')) : a).toLowerCase();

/** The freshest binding wins an address claimed for several MACs (it moved, or a router's table is stale). */
function fresher(a: ArpObservation, b: ArpObservation): boolean {
  if (a.missed !== b.missed) return a.missed < b.missed;
  if (a.lastSeen !== b.lastSeen) return a.lastSeen > b.lastSeen;
  return a.firstSeen > b.firstSeen;
}

/** MACs (and addresses) per transaction. */
const BATCH = 64;
const yieldToIo = () => new Promise<void>((r) => setImmediate(r));

/** Removes and returns up to n members of a set. */
function take<T>(s: Set<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of s) {
    if (out.length >= n) break;
    out.push(x);
  }
  for (const x of out) s.delete(x);
  return out;
}

interface Plan {
  mac: string;
  v4: string[];
  v6: string[];
  /** Switch IDs of the routers whose tables bind these addresses. */
  routers: string[];
  /** Port → the addresses a router's own (ipNetToPhysicalType local) entries give it. */
  locals: Map<string, { v4: string[]; v6: string[] }>;
  /** Some switch's FDB has learnt the MAC. */
  fdb: boolean;
}

export class AddressWriter {
  /** ARP MACs with no node and no FDB entry yet: an FDB poll that learns one creates its host. */
  private readonly waiting = new Set<string>();
  /** Addresses and MACs whose bindings may have changed, not yet written. */
  private readonly dirtyIps = new Set<string>();
  private readonly dirtyMacs = new Set<string>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: GraphStore,
    private readonly obs: SnmpObservations,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** After one device's ARP poll: `before` are its rows as they were before this poll was recorded. */
  arpPolled(device: string, before: readonly ArpObservation[]): void {
    for (const r of [...before, ...this.obs.arpRows({ device })]) {
      this.dirtyIps.add(r.ip);
      this.dirtyMacs.add(r.mac);
    }
    this.kick();
  }

  /** After an FDB poll: MACs waiting for a switch to learn them. */
  fdbPolled(macs: Iterable<string>): void {
    if (this.waiting.size === 0) return;
    for (const m of macs) if (this.waiting.has(m)) this.dirtyMacs.add(m);
    this.kick();
  }

  /** Resolves once everything noted so far is on the graph. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running || (this.dirtyIps.size === 0 && this.dirtyMacs.size === 0)) return;
    this.running = this.drain()
      .catch((e: unknown) => this.onError(e))
      .finally(() => (this.running = undefined));
  }

  /**
   * Writes in the background, BATCH at a time, yielding in between: one transaction per device
   * would be a commit per poll (a thousand routers, a thousand commits), one for everything would
   * hold every device's SNMP replies in the socket while it runs.
   */
  private async drain(): Promise<void> {
    while (this.dirtyIps.size || this.dirtyMacs.size) {
      await yieldToIo();
      const macs = new Set(take(this.dirtyMacs, BATCH));
      const byIp = new Map<string, ArpObservation[]>();
      // Another router's binding of one of these addresses may lose (or win) it now.
      for (const ip of take(this.dirtyIps, BATCH)) {
        const rows = this.obs.arpRows({ ip });
        byIp.set(ip, rows);
        for (const r of rows) macs.add(r.mac);
      }
      const plan = [...macs].map((mac) => ({ ...this.owned(mac, byIp), fdb: this.obs.fdbRows({ mac }).length > 0 }));
      this.store.write((tx) => {
        for (const p of plan) this.apply(tx, p);
      });
    }
  }

  /** The addresses each MAC owns now (bindings on this MAC that are the freshest for their address). */
  private owned(mac: string, byIp: Map<string, ArpObservation[]>): Plan {
    const v4 = new Set<string>();
    const v6 = new Set<string>();
    const routers = new Set<string>();
    const locals = new Map<string, { v4: string[]; v6: string[] }>();
    for (const r of this.obs.arpRows({ mac })) {
      if (r.kind === 'local') {
        const port = ids.port(r.switchId, r.ifIndex);
        const l = locals.get(port) ?? { v4: [], v6: [] };
        (r.family === 'ipv4' ? l.v4 : l.v6).push(r.ip);
        locals.set(port, l);
      }
      let best = r;
      for (const o of byIp.get(r.ip) ?? this.obs.arpRows({ ip: r.ip })) if (fresher(o, best)) best = o;
      if (best.mac !== mac) continue;
      (r.family === 'ipv4' ? v4 : v6).add(r.ip);
      routers.add(r.switchId);
    }
    return { mac, v4: [...v4].sort(), v6: [...v6].sort(), routers: [...routers].sort(), locals, fdb: false };
  }

  private apply(tx: GraphTx, p: Plan): void {
    const empty = p.v4.length === 0 && p.v6.length === 0;
    // Chassis MACs and hosts are not interfaces; a switch port (a router's own address) is.
    const real = tx
      .findNodes('MAC', p.mac)
      .filter((n) => n.Metadata.Type !== 'switch' && n.Metadata.Type !== 'host' && n.Origin !== ARP_ORIGIN);
    const ifaceId = arpInterfaceId(p.mac);
    const mine = tx.getNode(ifaceId);
    this.waiting.delete(p.mac);
    if (real.length || empty || (!mine && !p.fdb)) {
      // Another source knows this interface now (or the binding is gone): the stand-in goes.
      if (mine) {
        tx.deleteNode(mine.ID);
        tx.deleteNode(arpHostId(p.mac));
      }
      if (!real.length && !empty) this.waiting.add(p.mac);
      if (real.length === 1) setAddresses(tx, real[0]!, p);
      else
        // Many ports of one box share its MAC: a port gets only the addresses its router's own
        // ("local") entries name it with; other bindings of that MAC say nothing about the port.
        for (const n of real) setAddresses(tx, n, { ...p, ...(p.locals.get(n.ID) ?? { v4: [], v6: [] }) });
      return;
    }
    const hostId = arpHostId(p.mac);
    const md: Metadata = { Type: 'device', Name: p.mac, MAC: p.mac, Probe: 'arp', ARP: { IPV4: p.v4, IPV6: p.v6, Routers: p.routers } };
    if (p.v4.length) md.IPV4 = p.v4;
    if (p.v6.length) md.IPV6 = p.v6;
    // Unchanged bindings (most polls) write nothing: the stores compare before writing.
    tx.upsertNode({ ID: hostId, Metadata: { Type: 'host', Name: p.v4[0] ?? p.v6[0]!, Probe: 'arp' }, Origin: ARP_ORIGIN, Host: HOST });
    tx.upsertNode({ ID: ifaceId, Metadata: md, Origin: ARP_ORIGIN, Host: HOST });
    if (!mine)
      tx.upsertEdge({
        ID: ids.edge(hostId, ifaceId, 'ownership'),
        Parent: hostId,
        Child: ifaceId,
        Metadata: { RelationType: 'ownership' },
        Origin: ARP_ORIGIN,
        Host: HOST,
      });
  }
}

/**
 * Adds the ARP addresses to a node another source owns, keeping that source's own entries;
 * `Metadata.ARP` remembers which entries came from ARP so a moved address is taken off again.
 */
function setAddresses(tx: GraphTx, n: GraphNode, p: Plan): void {
  const prev = (n.Metadata.ARP ?? {}) as Metadata;
  const md: Metadata = { ...n.Metadata };
  for (const [key, want] of [
    ['IPV4', p.v4],
    ['IPV6', p.v6],
  ] as const) {
    const learnt = new Set(list(prev[key]));
    const own = list(n.Metadata[key]).filter((a) => !learnt.has(a));
    const ownBare = new Set(own.map(bare));
    const next = [...own, ...want.filter((a) => !ownBare.has(a))];
    if (next.length) md[key] = next;
    else delete md[key];
  }
  if (p.v4.length || p.v6.length) md.ARP = { IPV4: p.v4, IPV6: p.v6, Routers: p.routers };
  else delete md.ARP;
  tx.upsertNode({ ID: n.ID, Metadata: md });
}
