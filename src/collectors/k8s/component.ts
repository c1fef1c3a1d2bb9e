// The `k8s` component (docs/architecture.md#kubernetes): one list+watch per configured cluster, each feeding its
// ClusterGraph; one join index over the graph shared by all of them; flushes batched per cluster.
import type { Component, ComponentContext, ComponentSpec } from '../../component/contract.ts';
import { GRAPH_STORE } from '../../component/provisions.ts';
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { Registry } from 'prom-client';
import { counter, gauge, preset } from '../../util/metrics.ts';
import { RateLimitedLog, type Logger } from '../../util/log.ts';
import { clustersOf, type K8sConfig } from './config.ts';
import { ClusterGraph } from './cluster-graph.ts';
import { JoinIndex } from './joins.ts';
// Types only: the client library (half a second to load) is imported when the component starts.
import type { ClusterWatch, ClusterWatchOptions } from './watch.ts';

export interface K8sOptions {
  /** Root the in-cluster service-account files are read under (tests). */
  inClusterRoot?: string;
  /** Items per list page (default 500). */
  pageSize?: number;
}

interface Cluster {
  graph: ClusterGraph;
  watch: ClusterWatch | undefined;
  makeWatch: (W: typeof ClusterWatch) => ClusterWatch;
  timer: NodeJS.Timeout | undefined;
  lastFlush: { at: number; ms: number; nodes: number; edges: number; deleted: number } | undefined;
  swept: { nodes: number; edges: number } | undefined;
  /** Listed since start: sweep once everything listed is written. */
  sweepDue: boolean;
}

export class K8sComponent implements Component {
  readonly name = 'k8s';
  readonly joins: JoinIndex;
  private readonly clusters = new Map<string, Cluster>();
  private readonly rl: RateLimitedLog;
  private readonly m;

  constructor(
    private readonly cfg: K8sConfig,
    private readonly store: GraphStore,
    registry: Registry,
    private readonly log: Logger,
    opts: K8sOptions = {},
  ) {
    this.rl = new RateLimitedLog(log);
    this.joins = new JoinIndex(store);
    this.m = {
      events: counter(registry, 'canopy_k8s_events_total', 'Kubernetes objects added, updated or deleted, per cluster and kind', [
        'cluster',
        'kind',
        'event',
      ]),
      lists: counter(registry, 'canopy_k8s_lists_total', 'Kubernetes lists (initial, and re-lists after 410 Gone)', [
        'cluster',
        'kind',
        'reason',
      ]),
      errors: counter(registry, 'canopy_k8s_errors_total', 'Kubernetes API errors (HTTP status or error code)', [
        'cluster',
        'kind',
        'code',
      ]),
      bookmarks: counter(registry, 'canopy_k8s_bookmarks_total', 'Watch BOOKMARK events', ['cluster']),
      objects: gauge(registry, 'canopy_k8s_objects', 'Kubernetes objects held, per cluster', ['cluster']),
    };
    const wopts: ClusterWatchOptions = {
      backoffMinMs: cfg.backoffMin * 1000,
      backoffMaxMs: cfg.backoffMax * 1000,
      inClusterRoot: opts.inClusterRoot,
      pageSize: opts.pageSize,
    };
    for (const c of clustersOf(cfg)) {
      if (this.clusters.has(c.name)) throw new Error(`k8s: two clusters named ${c.name}`);
      preset(this.m.errors, { cluster: [c.name], kind: ['all'], code: ['401'] });
      const entry = {} as Cluster;
      entry.timer = undefined;
      entry.lastFlush = undefined;
      entry.swept = undefined;
      entry.sweepDue = false;
      entry.graph = new ClusterGraph(store, c.name, this.joins, () => this.schedule(entry));
      entry.watch = undefined;
      entry.makeWatch = (W) =>
        new W(
          c,
          {
            upsert: (k, o) => {
              // An object without UID or name cannot be a node: counted, never written.
              const ok = entry.graph.upsert(k, o);
              this.m.events.inc({ cluster: c.name, kind: k.type, event: ok ? 'upsert' : 'invalid' });
              if (!ok)
                this.rl.warn(`k8s:invalid:${c.name}`, { cluster: c.name, kind: k.type }, 'kubernetes object without uid or name dropped');
            },
            remove: (k, o) => {
              entry.graph.remove(k, o);
              this.m.events.inc({ cluster: c.name, kind: k.type, event: 'delete' });
            },
            synced: () => {
              // What changed while Canopy was not watching goes once every kind is listed and written.
              entry.sweepDue = true;
              this.schedule(entry);
            },
          },
          {
            listed: (kind, relist) => this.m.lists.inc({ cluster: c.name, kind, reason: relist ? 'relist' : 'initial' }),
            error: (kind, code) => {
              this.m.errors.inc({ cluster: c.name, kind, code });
              this.m.errors.inc({ cluster: c.name, kind: 'all', code });
              this.rl.warn(`k8s:${c.name}:${code}`, { cluster: c.name, kind, code }, 'kubernetes API error; retrying with backoff');
            },
            bookmark: () => this.m.bookmarks.inc({ cluster: c.name }),
          },
          wopts,
        );
      this.clusters.set(c.name, entry);
    }
    // A host, runtime container or interface another source writes: recompute what names it.
    this.joins.onChange((key) => {
      for (const c of this.clusters.values()) c.graph.trigger(`x:${key}`);
    });
  }

  private schedule(c: Cluster): void {
    if (c.timer) return;
    c.timer = setTimeout(() => {
      c.timer = undefined;
      this.flush(c);
    }, this.cfg.batchDelay * 1000);
  }

  private flush(c: Cluster): void {
    clearTimeout(c.timer);
    c.timer = undefined;
    const t0 = performance.now();
    try {
      const s = c.graph.flush();
      c.lastFlush = { at: Date.now(), ms: Math.round(performance.now() - t0), ...s };
      this.m.objects.set({ cluster: c.graph.cluster }, c.graph.size);
    } catch (e) {
      // Kept pending; retried after the batch delay rather than at once.
      this.rl.error(`k8s:flush:${c.graph.cluster}`, { err: (e as Error).message }, 'kubernetes graph write failed');
      this.schedule(c);
      return;
    }
    // More than one step's worth: the next step right after whatever else is waiting to run.
    if (c.graph.pending()) {
      if (!c.timer) c.timer = setTimeout(() => this.flush(c), 0);
    } else if (c.sweepDue) {
      c.sweepDue = false;
      c.swept = c.graph.sweep();
      this.log.info({ cluster: c.graph.cluster, objects: c.graph.size, swept: c.swept }, 'kubernetes cluster listed');
    }
  }

  /** Writes everything pending now (tests, benches). */
  flushAll(): void {
    for (const c of this.clusters.values()) {
      for (let i = 0; i < 10_000 && c.graph.pending(); i++) this.flush(c);
    }
  }

  async start(): Promise<void> {
    const { ClusterWatch } = await import('./watch.ts');
    // Credentials first: a bad kubeconfig fails the start, naming the cluster, before anything runs.
    for (const c of this.clusters.values()) c.watch = c.makeWatch(ClusterWatch);
    this.joins.start();
    for (const c of this.clusters.values()) {
      if (!c.watch) continue;
      c.watch.start();
      this.log.info({ cluster: c.graph.cluster, server: c.watch.server }, 'watching kubernetes cluster');
    }
  }

  async stop(): Promise<void> {
    for (const c of this.clusters.values()) {
      c.watch?.stop();
      this.flush(c);
    }
    this.joins.stop();
  }

  status(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, c] of this.clusters)
      out[name] = { objects: c.graph.size, swept: c.swept, lastFlush: c.lastFlush, ...(c.watch?.status() ?? { synced: false }) };
    return { clusters: out };
  }
}

export function createK8sComponent(ctx: ComponentContext, store: GraphStore, opts: K8sOptions = {}): K8sComponent {
  return new K8sComponent(ctx.config.k8s, store, ctx.registry, ctx.log.child({ component: 'k8s' }), opts);
}

/** Spec for components.ts: on with `k8s.enabled`, writes the graph store. */
export const k8sComponent: ComponentSpec = {
  name: 'k8s',
  needs: [GRAPH_STORE],
  enabled: (c) => c.k8s.enabled,
  create(ctx, provided) {
    return { component: createK8sComponent(ctx, provided.get(GRAPH_STORE)) };
  },
};
