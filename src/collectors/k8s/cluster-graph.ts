// One cluster's objects in the graph (docs/architecture.md#kubernetes). Watch events update an in-memory copy and mark
// objects dirty; a flush step writes dirty objects' nodes, then (once every pending node is written)
// their containers and the edges they determine, a bounded number of objects per transaction, so a
// list of 10,000 pods is a few batches and the event loop is never held for long.
// Dependencies recorded while computing an object's edges mark it dirty again when what it names
// appears or goes (another object, or a host/container/interface another source writes).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { GraphStore, GraphTx } from '../../topology/store/graph-store.ts';
import type { EdgeInput, NodeInput } from '../../topology/types.ts';
import { ids } from '../../topology/ids.ts';
import type { KindSpec } from './kinds.ts';
import { clusterNodeId, labelsOf, objectMetadata, podContainers, type ContainerInfo } from './model.ts';
import { relationsOf, type Lookup, type Rel } from './relations.ts';
import { hostsOfK8sNode, type JoinIndex } from './joins.ts';

export const K8S_ORIGIN = 'k8s';

interface Entry {
  kind: KindSpec;
  obj: KubernetesObject;
}

interface Contribution {
  deps: Set<string>;
  edges: Map<string, Rel>;
  containers: Map<string, ContainerInfo>;
}

export interface FlushStats {
  nodes: number;
  edges: number;
  deleted: number;
}

const nameKey = (type: string, ns: string, name: string) => `${type}/${ns}/${name}`;

export class ClusterGraph {
  readonly clusterId: string;
  private readonly objs = new Map<string, Entry>();
  private readonly names = new Map<string, string>();
  private readonly podsByNs = new Map<string, Set<string>>();
  private readonly deps = new Map<string, Set<string>>();
  private readonly contrib = new Map<string, Contribution>();
  /** Objects whose node must be written, and objects whose containers and edges must be recomputed. */
  private readonly dirtyNodes = new Set<string>();
  private readonly dirtyEdges = new Set<string>();
  /** Nodes of ours in the graph: an edge to one of them needs no existence check. */
  private readonly written = new Set<string>();
  private readonly removed = new Map<string, Contribution | undefined>();
  private clusterWritten = false;

  constructor(
    private readonly store: GraphStore,
    readonly cluster: string,
    private readonly joins: JoinIndex,
    private readonly schedule: () => void,
  ) {
    this.clusterId = clusterNodeId(cluster);
  }

  get size(): number {
    return this.objs.size;
  }

  pending(): boolean {
    return this.dirtyNodes.size > 0 || this.dirtyEdges.size > 0 || this.removed.size > 0;
  }

  upsert(kind: KindSpec, obj: KubernetesObject): boolean {
    const uid = obj.metadata?.uid;
    const name = obj.metadata?.name;
    if (!uid || !name) return false;
    const ns = obj.metadata?.namespace ?? '';
    const prev = this.objs.get(uid);
    this.objs.set(uid, { kind, obj });
    this.removed.delete(uid);
    this.dirtyNodes.add(uid);
    this.dirtyEdges.add(uid);
    if (!prev) {
      this.names.set(nameKey(kind.type, ns, name), uid);
      this.trigger(nameKey(kind.type, ns, name));
      this.trigger(`uid:${uid}`);
    }
    if (kind.type === 'pod') {
      let s = this.podsByNs.get(ns);
      if (!s) this.podsByNs.set(ns, (s = new Set()));
      s.add(uid);
      // Selectors only care about a pod's labels (and that it exists).
      if (!prev || JSON.stringify(labelsOf(prev.obj)) !== JSON.stringify(labelsOf(obj))) this.trigger(`pods:${ns}`);
    }
    this.schedule();
    return true;
  }

  remove(kind: KindSpec, obj: KubernetesObject): void {
    const uid = obj.metadata?.uid;
    if (!uid || !this.objs.has(uid)) return;
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    this.objs.delete(uid);
    if (this.names.get(nameKey(kind.type, ns, name)) === uid) this.names.delete(nameKey(kind.type, ns, name));
    if (kind.type === 'pod') {
      this.podsByNs.get(ns)?.delete(uid);
      this.trigger(`pods:${ns}`);
    }
    this.dirtyNodes.delete(uid);
    this.dirtyEdges.delete(uid);
    this.removed.set(uid, this.contrib.get(uid));
    this.setDeps(uid, new Set());
    this.contrib.delete(uid);
    this.trigger(nameKey(kind.type, ns, name));
    this.trigger(`uid:${uid}`);
    this.schedule();
  }

  /** Marks every object that looked up `key` for recomputation. */
  trigger(key: string): void {
    const s = this.deps.get(key);
    if (!s || s.size === 0) return;
    for (const uid of s) if (this.objs.has(uid)) this.dirtyEdges.add(uid);
    this.schedule();
  }

  /** IDs of every node this cluster has in the graph (cluster, objects, containers). */
  knownIds(): Set<string> {
    const out = new Set<string>([this.clusterId, ...this.objs.keys()]);
    for (const e of this.objs.values()) if (e.kind.type === 'pod') for (const c of podContainers(this.cluster, e.obj)) out.add(c.id);
    return out;
  }

  private setDeps(uid: string, next: Set<string>): void {
    const old = this.contrib.get(uid)?.deps;
    if (old) for (const k of old) if (!next.has(k)) this.deps.get(k)?.delete(uid);
    for (const k of next) {
      let s = this.deps.get(k);
      if (!s) this.deps.set(k, (s = new Set()));
      s.add(uid);
    }
  }

  private lookup(deps: Set<string>): Lookup {
    return {
      clusterId: this.clusterId,
      byName: (type, ns, name) => {
        const k = nameKey(type, ns, name);
        deps.add(k);
        return this.names.get(k);
      },
      typeOf: (uid) => {
        deps.add(`uid:${uid}`);
        return this.objs.get(uid)?.kind.type;
      },
      podsIn: (ns) => {
        deps.add(`pods:${ns}`);
        const s = this.podsByNs.get(ns);
        const out: KubernetesObject[] = [];
        for (const u of s ?? []) {
          const e = this.objs.get(u);
          if (e) out.push(e.obj);
        }
        return out;
      },
    };
  }

  /** A join key another source's node is indexed by; recorded as a dependency. */
  private joined(deps: Set<string>, key: string): ReadonlySet<string> {
    deps.add(`x:${key}`);
    return this.joins.lookup(key);
  }

  /** Hosts a k8s node sits on (joins.ts `hostsOfK8sNode`), every key looked up recorded. */
  private hostsOf(deps: Set<string>, obj: KubernetesObject): ReadonlySet<string> {
    const addresses = ((obj as { status?: { addresses?: { type?: string; address?: string }[] } }).status?.addresses ?? [])
      .filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP')
      .map((a) => a.address ?? '');
    return hostsOfK8sNode(this.store, (k) => this.joined(deps, k), obj.metadata?.name ?? '', addresses);
  }

  private compute(uid: string, e: Entry): Contribution {
    const deps = new Set<string>();
    const edges = new Map<string, Rel>();
    const add = (r: Rel) => edges.set(ids.edge(r.parent, r.child, r.rel), r);
    for (const r of relationsOf(e.kind.type, e.obj, this.lookup(deps))) add(r);
    const containers = new Map<string, ContainerInfo>();
    if (e.kind.type === 'pod') {
      for (const c of podContainers(this.cluster, e.obj)) {
        containers.set(c.id, c);
        add({ parent: uid, child: c.id, rel: 'ownership' });
        if (c.containerId) for (const rc of this.joined(deps, `cid:${c.containerId}`)) add({ parent: c.id, child: rc, rel: 'container' });
      }
      const st = (e.obj as { status?: { podIP?: string; podIPs?: { ip?: string }[] } }).status;
      const ips = new Set([...(st?.podIPs ?? []).map((p) => p.ip ?? ''), st?.podIP ?? ''].filter((x) => x !== ''));
      for (const ip of ips) for (const itf of this.joined(deps, `ip:${ip.toLowerCase()}`)) add({ parent: uid, child: itf, rel: 'pod' });
    }
    if (e.kind.type === 'node') for (const h of this.hostsOf(deps, e.obj)) add({ parent: h, child: uid, rel: 'host' });
    return { deps, edges, containers };
  }

  /** Writes one edge: false when a joined node is gone, 'later' when one of ours is not written yet. */
  private writeEdge(tx: GraphTx, id: string, r: Rel): boolean | 'later' {
    for (const end of [r.parent, r.child]) {
      if (this.written.has(end)) continue;
      if (this.objs.has(end)) return 'later';
      if (!tx.getNode(end)) return false;
    }
    const input: EdgeInput = {
      ID: id,
      Parent: r.parent,
      Child: r.child,
      Origin: K8S_ORIGIN,
      Host: this.cluster,
      Metadata: { RelationType: r.rel },
    };
    try {
      return tx.upsertEdge(input) !== undefined;
    } catch {
      // One of ours was deleted behind our back (DELETE /api/node): write it again, then the edge.
      for (const end of [r.parent, r.child]) {
        if (!this.objs.has(end)) continue;
        this.written.delete(end);
        this.dirtyNodes.add(end);
      }
      return 'later';
    }
  }

  /** Takes up to `max` items of a set, in insertion order. */
  private static take(set: Set<string>, max: number): string[] {
    const out: string[] = [];
    for (const x of set) {
      if (out.length >= max) break;
      out.push(x);
    }
    for (const x of out) set.delete(x);
    return out;
  }

  /**
   * One transaction: deletions, then up to `budget` objects' nodes; once no node is pending, up to
   * `budget` objects' containers and edges. `pending()` says whether another step is needed.
   */
  flush(budget = 2500): FlushStats {
    const stats: FlushStats = { nodes: 0, edges: 0, deleted: 0 };
    if (!this.pending() && this.clusterWritten) return stats;
    const removed = [...this.removed];
    this.removed.clear();
    const nodes = ClusterGraph.take(this.dirtyNodes, budget);
    const edges = this.dirtyNodes.size === 0 ? ClusterGraph.take(this.dirtyEdges, Math.max(0, budget - nodes.length)) : [];
    const put = (tx: GraphTx, input: NodeInput) => {
      this.written.add(input.ID);
      if (tx.upsertNode({ ...input, Origin: K8S_ORIGIN, Host: this.cluster })) stats.nodes++;
    };
    const del = (tx: GraphTx, id: string) => {
      this.written.delete(id);
      if (tx.deleteNode(id)) stats.deleted++;
    };
    const firstWrite = !this.clusterWritten;
    try {
      this.write(removed, nodes, edges, stats, put, del);
    } catch (e) {
      // Nothing of this step was written: keep it pending for the next one.
      for (const [uid, c] of removed) if (!this.objs.has(uid)) this.removed.set(uid, c);
      for (const uid of nodes) {
        this.written.delete(uid);
        this.dirtyNodes.add(uid);
      }
      for (const uid of edges) this.dirtyEdges.add(uid);
      if (firstWrite) {
        this.clusterWritten = false;
        this.written.delete(this.clusterId);
      }
      throw e;
    }
    return stats;
  }

  private write(
    removed: [string, Contribution | undefined][],
    nodes: string[],
    edges: string[],
    stats: FlushStats,
    put: (tx: GraphTx, input: NodeInput) => void,
    del: (tx: GraphTx, id: string) => void,
  ): void {
    this.store.write((tx) => {
      if (!this.clusterWritten) {
        const md = { Type: 'cluster', Name: this.cluster, Manager: 'k8s', K8s: { Cluster: this.cluster, Name: this.cluster } };
        put(tx, { ID: this.clusterId, Metadata: md });
        this.clusterWritten = true;
      }
      for (const [uid, c] of removed) {
        del(tx, uid);
        for (const id of c?.containers.keys() ?? []) del(tx, id);
      }
      for (const uid of nodes) {
        const e = this.objs.get(uid);
        if (e) put(tx, { ID: uid, Metadata: objectMetadata(e.kind.type, this.cluster, e.obj) });
      }
      for (const uid of edges) {
        const e = this.objs.get(uid);
        if (!e) continue;
        const old = this.contrib.get(uid);
        const next = this.compute(uid, e);
        for (const [id, c] of next.containers) put(tx, { ID: id, Metadata: c.metadata });
        for (const id of old?.containers.keys() ?? []) if (!next.containers.has(id)) del(tx, id);
        for (const id of old?.edges.keys() ?? []) if (!next.edges.has(id)) tx.deleteEdge(id);
        for (const [id, r] of next.edges) {
          // Unchanged edges are skipped unless another writer's delete (a host going) took them.
          if (old?.edges.has(id) && tx.getEdge(id)) continue;
          const w = this.writeEdge(tx, id, r);
          if (w === 'later') this.dirtyEdges.add(uid);
          else if (w) stats.edges++;
        }
        this.setDeps(uid, next.deps);
        this.contrib.set(uid, next);
      }
    });
  }

  /**
   * Deletes this cluster's nodes and edges that nothing held now accounts for: objects deleted, or
   * relations changed, while Canopy was not watching. Run once every kind is listed and written.
   */
  sweep(): { nodes: number; edges: number } {
    const known = this.knownIds();
    const knownEdges = new Set<string>();
    for (const c of this.contrib.values()) for (const id of c.edges.keys()) knownEdges.add(id);
    const mine = this.store.idsByOrigin(K8S_ORIGIN);
    const out = { nodes: 0, edges: 0 };
    this.store.write((tx) => {
      for (const id of mine.nodes) {
        if (known.has(id) || tx.getNode(id)?.Host !== this.cluster) continue;
        if (tx.deleteNode(id)) out.nodes++;
      }
      for (const id of mine.edges) {
        if (knownEdges.has(id) || tx.getEdge(id)?.Host !== this.cluster) continue;
        if (tx.deleteEdge(id)) out.edges++;
      }
    });
    return out;
  }
}
