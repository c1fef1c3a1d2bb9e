// Joins for Kubernetes objects another writer published (an agent's probe, `agent.k8s`; a Skydive
// publisher): host → k8s node, k8s container → runtime container, pod → interface, by the same keys
// as the collector's own probe (joins.ts), computed from the published nodes' fields (`K8s.Addresses`,
// `K8s.ContainerID`, `K8s.IPs`) and kept current from the change feed. The edges are written under
// origin `k8s-join`, so the publisher's Sync (which replaces only its own origin) keeps them.
// Nothing is indexed until the first such object appears: a collector without them pays nothing.
import type { Component, ComponentSpec } from '../../component/contract.ts';
import { GRAPH_STORE } from '../../component/provisions.ts';
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { GraphEvent, GraphNode, Metadata } from '../../topology/types.ts';
import { ids } from '../../topology/ids.ts';
import { RateLimitedLog, type Logger } from '../../util/log.ts';
import { bareContainerId } from './model.ts';
import { K8S_ORIGIN } from './cluster-graph.ts';
import { hostsOfK8sNode, JoinIndex } from './joins.ts';

export const K8S_JOIN_ORIGIN = 'k8s-join';

interface Join {
  parent: string;
  child: string;
  rel: 'host' | 'container' | 'pod';
}

interface State {
  /** The fields the joins are computed from, to skip updates that change none of them. */
  sig: string;
  deps: Set<string>;
  edges: Map<string, Join>;
}

type J = Record<string, unknown>;
const rec = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);

/** A k8s node/pod/container this component joins: Manager k8s, not the collector's own probe's. */
function joinable(n: GraphNode): boolean {
  const t = n.Metadata.Type;
  return n.Origin !== K8S_ORIGIN && n.Metadata.Manager === 'k8s' && (t === 'node' || t === 'pod' || t === 'container');
}

/** What a published object's joins depend on. */
function keyFields(md: Metadata): J {
  const k = rec(md.K8s);
  switch (md.Type) {
    case 'node':
      return {
        name: typeof k.Name === 'string' ? k.Name : md.Name,
        addrs: (Array.isArray(k.Addresses) ? k.Addresses : [])
          .map(rec)
          .filter((a) => a.Type === 'InternalIP' || a.Type === 'ExternalIP')
          .map((a) => a.Address)
          .filter((a): a is string => typeof a === 'string'),
      };
    case 'pod':
      return { ips: [...new Set([...strs(k.IPs), ...strs([k.IP])])] };
    default:
      return { cid: bareContainerId(k.ContainerID) ?? null };
  }
}

export class RemoteK8sJoins {
  private readonly joins: JoinIndex;
  private readonly state = new Map<string, State>();
  private readonly byDep = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private readonly rl: RateLimitedLog;
  private active = false;
  private queued = false;
  private unsubscribe: (() => void) | undefined;
  readonly stats = { objects: 0, edges: 0, writes: 0 };

  constructor(
    private readonly store: GraphStore,
    log: Logger,
  ) {
    this.joins = new JoinIndex(store);
    this.rl = new RateLimitedLog(log);
  }

  start(): void {
    const first = [...this.store.allNodes()].filter(joinable);
    this.unsubscribe = this.store.subscribe((evs) => this.onEvents(evs));
    if (first.length) this.activate(first);
    // Join edges whose k8s object went while the collector was down.
    const stale = this.store.idsByOrigin(K8S_JOIN_ORIGIN).edges;
    if (stale.length) {
      this.flush();
      const known = new Set<string>();
      for (const s of this.state.values()) for (const id of s.edges.keys()) known.add(id);
      this.store.write((tx) => {
        for (const id of stale) if (!known.has(id)) tx.deleteEdge(id);
      });
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.joins.stop();
  }

  private activate(nodes: GraphNode[]): void {
    this.active = true;
    this.joins.start();
    this.joins.onChange((key) => {
      for (const id of this.byDep.get(key) ?? []) this.dirty.add(id);
      this.schedule();
    });
    for (const n of nodes) this.mark(n);
    this.schedule();
  }

  private mark(n: GraphNode): void {
    const sig = JSON.stringify(keyFields(n.Metadata));
    if (this.state.get(n.ID)?.sig === sig) return;
    const st = this.state.get(n.ID) ?? { sig, deps: new Set(), edges: new Map() };
    st.sig = sig;
    this.state.set(n.ID, st);
    this.dirty.add(n.ID);
  }

  private onEvents(evs: readonly GraphEvent[]): void {
    let fresh: GraphNode[] | undefined;
    for (const ev of evs) {
      if (!('node' in ev) || !joinable(ev.node)) continue;
      if (ev.type === 'NodeDeleted') {
        // Its edges went with it.
        this.forget(ev.node.ID);
        continue;
      }
      if (!this.active) (fresh ??= []).push(ev.node);
      else this.mark(ev.node);
    }
    if (fresh) this.activate(fresh);
    else if (this.dirty.size) this.schedule();
  }

  private forget(id: string): void {
    const st = this.state.get(id);
    if (!st) return;
    this.setDeps(id, st.deps, new Set());
    this.state.delete(id);
    this.dirty.delete(id);
  }

  private setDeps(id: string, old: Set<string>, next: Set<string>): void {
    for (const k of old) if (!next.has(k)) this.byDep.get(k)?.delete(id);
    for (const k of next) {
      let s = this.byDep.get(k);
      if (!s) this.byDep.set(k, (s = new Set()));
      s.add(id);
    }
  }

  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    // Deferred: we are inside another writer's change notification.
    setImmediate(() => {
      this.queued = false;
      try {
        this.flush();
      } catch (e) {
        this.rl.error('k8s-join', { err: (e as Error).message }, 'kubernetes join write failed');
      }
    });
  }

  private compute(n: GraphNode, deps: Set<string>): Map<string, Join> {
    const out = new Map<string, Join>();
    const add = (j: Join) => out.set(ids.edge(j.parent, j.child, j.rel), j);
    const look = (k: string) => {
      deps.add(k);
      return this.joins.lookup(k);
    };
    const f = keyFields(n.Metadata);
    if (n.Metadata.Type === 'node') {
      for (const h of hostsOfK8sNode(this.store, look, String(f.name ?? ''), f.addrs as string[]))
        add({ parent: h, child: n.ID, rel: 'host' });
    } else if (n.Metadata.Type === 'pod') {
      for (const ip of f.ips as string[]) for (const itf of look(`ip:${ip.toLowerCase()}`)) add({ parent: n.ID, child: itf, rel: 'pod' });
    } else if (typeof f.cid === 'string') {
      for (const rc of look(`cid:${f.cid}`)) add({ parent: n.ID, child: rc, rel: 'container' });
    }
    return out;
  }

  /** Recomputes every dirty object's joins and writes the difference in one transaction. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const todo = [...this.dirty];
    this.dirty.clear();
    this.store.write((tx) => {
      for (const id of todo) {
        const st = this.state.get(id);
        const n = tx.getNode(id);
        if (!st || !n) continue;
        const deps = new Set<string>();
        const next = this.compute(n, deps);
        for (const eid of st.edges.keys()) if (!next.has(eid)) tx.deleteEdge(eid);
        for (const [eid, j] of next) {
          if (st.edges.has(eid) && tx.getEdge(eid)) continue;
          if (!tx.getNode(j.parent) || !tx.getNode(j.child)) continue;
          tx.upsertEdge({
            ID: eid,
            Parent: j.parent,
            Child: j.child,
            Origin: K8S_JOIN_ORIGIN,
            Host: K8S_JOIN_ORIGIN,
            Metadata: { RelationType: j.rel },
          });
          this.stats.edges++;
        }
        this.setDeps(id, st.deps, deps);
        st.deps = deps;
        st.edges = next;
      }
    });
    this.stats.writes++;
    this.stats.objects = this.state.size;
  }
}

/** Spec for components.ts: always on; idle until a published k8s object appears. */
export const k8sJoinsComponent: ComponentSpec = {
  name: 'k8s-joins',
  needs: [GRAPH_STORE],
  create(ctx, provided) {
    const j = new RemoteK8sJoins(provided.get(GRAPH_STORE), ctx.log.child({ component: 'k8s-joins' }));
    const component: Component = {
      name: 'k8s-joins',
      async start() {
        j.start();
      },
      async stop() {
        j.stop();
      },
      status: () => ({ ...j.stats }),
    };
    return { component };
  },
};
