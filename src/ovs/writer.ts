// Writes one OVS's derived elements through the graph store (docs/architecture.md#ovsdb): the
// whole derived set is recomputed from the replica after each update and compared with what was
// written last, so only real changes become revisions, and a re-sync after a reconnect or an
// ovsdb-server restart deletes exactly what vanished — nothing doubles, IDs stay. Keys other
// writers add to our nodes (sFlow counters on a port) survive our rewrites.
import type { GraphStore, GraphTx } from '../topology/store/graph-store.ts';
import type { EdgeInput, Metadata, NodeInput } from '../topology/types.ts';
import { ids } from '../topology/ids.ts';
import type { Tables } from './client.ts';
import { buildOvsGraph, layer2, ovsIdentity, type OvsGraph } from './model.ts';

/** Interface statistics change every few seconds: alone they rewrite a node at most this often. */
const METRIC_MIN_MS = 30_000;
/** How long one scan for ExtID.iface-id serves (a node reported with it joins within this). */
const IFACE_ID_SCAN_MS = 30_000;

export interface OvsHost {
  hostId: string;
  host: string;
  origin: string;
}

interface Written {
  key: string;
  /** What we wrote; null when the element comes from before a collector restart (all its keys are ours to rewrite). */
  md: Metadata | null;
  metricAt: number;
}

const keyOf = (md: Metadata, extra = ''): string => {
  const { Metric: _m, ...rest } = md;
  return JSON.stringify(rest) + extra;
};

export class OvsGraphWriter {
  private written = new Map<string, Written>();
  private first = true;
  private ifaceIdIndex: { at: number; map: Map<string, string[]> } | null = null;
  current: OvsHost | null = null;
  /** Node ID → its bridge's OVSDB _uuid, as of the last build. */
  bridgeOf = new Map<string, string>();

  constructor(
    private readonly store: GraphStore,
    private readonly endpointText: string,
    /** agent:HOST endpoints: the agent's host name (its token's host). */
    private readonly agentHost?: string,
  ) {}

  /**
   * Host of this OVS: through an agent, that agent's host node; otherwise an alias set earlier, a
   * unique host node of that hostname, else a new ID.
   */
  private identify(tx: GraphTx, t: Tables): OvsHost {
    if (this.agentHost !== undefined) {
      const origin = `agent.${this.agentHost}`;
      const h = tx.findNodes('Type', 'host').find((n) => n.Origin === origin && n.DeletedAt === undefined);
      const hostId = h?.ID ?? this.current?.hostId ?? ids.host(this.agentHost);
      return { hostId, host: this.agentHost, origin: `ovsdb.${this.agentHost}` };
    }
    const { systemId, hostname } = ovsIdentity(t);
    const host = hostname ?? systemId ?? this.endpointText;
    const aliasKey = `ovs-host:${systemId ?? hostname ?? this.endpointText}`;
    let hostId = tx.resolveAlias(aliasKey);
    if (!hostId || !tx.getNode(hostId)) {
      const byName = hostname ? tx.findNodes('Name', hostname).filter((n) => n.Metadata.Type === 'host') : [];
      hostId = byName.length === 1 ? byName[0]!.ID : ids.host(host);
      tx.setAlias(aliasKey, hostId);
    }
    return { hostId, host, origin: `ovsdb.${host}` };
  }

  /** Forget what was written: the next sync reconciles against what the store holds for our origin. */
  reset(): void {
    this.written.clear();
    this.first = true;
  }

  owns(id: string): boolean {
    return this.written.has(id);
  }

  /** Applies the replica to the graph; returns the count of elements written or deleted. */
  sync(t: Tables, now = Date.now()): number {
    return this.store.write((tx) => {
      const who = this.identify(tx, t);
      if (this.current && this.current.origin !== who.origin) this.dropAll(tx, now);
      this.current = who;
      const g = buildOvsGraph(t, who.hostId, who.origin, who.host);
      const hostNode = tx.getNode(who.hostId);
      if (!hostNode || hostNode.Origin === who.origin)
        g.nodes.unshift({ ID: who.hostId, Origin: who.origin, Host: who.host, Metadata: { Type: 'host', Name: who.host, Probe: 'ovsdb' } });
      this.join(tx, g, who.origin);
      this.bridgeOf = g.bridgeOf;
      return this.apply(tx, g.nodes, g.edges, who.origin, now);
    });
  }

  /** Tunnel ends to the host owning the remote address; attached MACs / iface-ids to what is behind them. */
  private join(tx: GraphTx, g: OvsGraph, origin: string): void {
    const ours = new Set(g.nodes.map((n) => n.ID));
    const hostOf = (id: string): string | undefined => {
      let cur = id;
      for (let i = 0; i < 4; i++) {
        const n = tx.getNode(cur);
        if (!n) return undefined;
        if (n.Metadata.Type === 'host' || n.Metadata.Type === 'switch') return n.ID;
        const up = tx.edgesOf(cur, 'in').find((e) => e.Metadata.RelationType === 'ownership');
        if (!up) return undefined;
        cur = up.Parent;
      }
      return undefined;
    };
    // The one host (other than this OVS's own) that owns an address, as MgmtAddress or an IPV4 entry.
    const ownerOf = (ip: string): string | undefined => {
      const owners = new Set<string>();
      const cands = [...tx.findNodes('MgmtAddress', ip), ...tx.findNodes('IPV4', ip)];
      for (let len = 32; len >= 8; len--) cands.push(...tx.findNodes('IPV4', `${ip}/${len}`));
      for (const n of cands) {
        if (ours.has(n.ID)) continue;
        const h = hostOf(n.ID);
        if (h && h !== this.current?.hostId) owners.add(h);
      }
      return owners.size === 1 ? [...owners][0] : undefined;
    };
    for (const tun of g.tunnels) {
      const remote = ownerOf(tun.remoteIp);
      if (remote) g.edges.push(layer2(tun.ifaceId, remote, origin, { Type: 'tunnel', RemoteIP: tun.remoteIp }));
      // A local address another host node owns: that node is this hypervisor as another source knows it.
      const local = tun.localIp ? ownerOf(tun.localIp) : undefined;
      if (local && local !== remote) g.edges.push(layer2(tun.ifaceId, local, origin, { Type: 'tunnel-local', LocalIP: tun.localIp }));
    }
    const byIfaceId = g.attached.some((a) => a.ifaceId2) ? this.ifaceIds(tx) : undefined;
    for (const a of g.attached) {
      const behind = new Set<string>();
      if (a.mac) for (const n of tx.findNodes('MAC', a.mac)) if (!ours.has(n.ID)) behind.add(n.ID);
      if (a.ifaceId2) for (const id of byIfaceId?.get(a.ifaceId2) ?? []) if (!ours.has(id)) behind.add(id);
      if (behind.size === 1) g.edges.push(layer2(a.ifaceId, [...behind][0]!, origin, { Type: 'attached' }));
    }
  }

  /**
   * Nodes carrying ExtID.iface-id (what an OpenStack port or a CNI reports), by value. The key is
   * not indexed, so the scan is shared by all interfaces of a sync and reused for a while.
   */
  private ifaceIds(tx: GraphTx): Map<string, string[]> {
    const now = Date.now();
    if (this.ifaceIdIndex && now - this.ifaceIdIndex.at < IFACE_ID_SCAN_MS) return this.ifaceIdIndex.map;
    const map = new Map<string, string[]>();
    for (const n of tx.allNodes()) {
      const v = (n.Metadata.ExtID as Record<string, unknown> | undefined)?.['iface-id'];
      if (typeof v !== 'string') continue;
      const l = map.get(v);
      if (l) l.push(n.ID);
      else map.set(v, [n.ID]);
    }
    this.ifaceIdIndex = { at: now, map };
    return map;
  }

  private apply(tx: GraphTx, nodes: NodeInput[], edges: EdgeInput[], origin: string, now: number): number {
    let n = 0;
    const keep = new Set<string>();
    if (this.first) {
      // After a collector restart: what this origin wrote before is ours to reconcile.
      const prior = this.store.idsByOrigin(origin);
      for (const id of [...prior.nodes, ...prior.edges])
        if (!this.written.has(id)) this.written.set(id, { key: '', md: null, metricAt: 0 });
      this.first = false;
    }
    const write = (e: NodeInput | EdgeInput, isEdge: boolean) => {
      keep.add(e.ID);
      const extra = isEdge ? `${(e as EdgeInput).Parent}>${(e as EdgeInput).Child}` : '';
      const key = keyOf(e.Metadata, extra);
      const prev = this.written.get(e.ID);
      const metricOnly = prev && prev.key === key;
      if (metricOnly && (JSON.stringify(prev.md?.Metric) === JSON.stringify(e.Metadata.Metric) || now - prev.metricAt < METRIC_MIN_MS))
        return;
      // Keep what other writers added; drop what we wrote before and no longer say.
      const existing = isEdge ? tx.getEdge(e.ID) : tx.getNode(e.ID);
      const md: Metadata = { ...(existing?.Metadata ?? {}) };
      for (const k of Object.keys(prev?.md ?? {})) delete md[k];
      Object.assign(md, e.Metadata);
      const input = { ...e, Metadata: md, UpdatedAt: now };
      const ok = isEdge ? tx.upsertEdge(input as EdgeInput) : tx.upsertNode(input);
      if (ok) n++;
      this.written.set(e.ID, { key, md: e.Metadata, metricAt: now });
    };
    for (const node of nodes) write(node, false);
    for (const edge of edges) write(edge, true);
    for (const id of [...this.written.keys()]) {
      if (keep.has(id)) continue;
      this.written.delete(id);
      if (tx.getEdge(id)?.Origin === origin) {
        if (tx.deleteEdge(id, now)) n++;
      } else if (tx.getNode(id)?.Origin === origin) {
        if (tx.deleteNode(id, now)) n++;
      }
    }
    return n;
  }

  private dropAll(tx: GraphTx, now: number): void {
    for (const id of this.written.keys()) {
      if (tx.getEdge(id)) tx.deleteEdge(id, now);
      else if (tx.getNode(id)) tx.deleteNode(id, now);
    }
    this.written.clear();
  }
}
