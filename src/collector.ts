// The collector process: config → store → components → API/WebSocket, plus the static fabric.
// Components start in the order their declarations give (component/lifecycle.ts) and stop in
// reverse; SIGHUP and POST /api/config/reload re-apply config.
import type { Registry } from 'prom-client';
import type { CanopyConfig } from './config/schema.ts';
import { loadConfig } from './config/load.ts';
import type { Logger } from './util/log.ts';
import { createRegistry, gauge } from './util/metrics.ts';
import { gitCommit, packageVersion } from './util/version.ts';
import type { GraphStore } from './topology/store/graph-store.ts';
import type { Storage } from './topology/store/storage.ts';
import { openStorage, storageLocation } from './topology/store/open-storage.ts';
import { PostgresStorage } from './topology/store/postgres-storage.ts';
import { storageMetrics } from './topology/store/storage-metrics.ts';
import { Fabric } from './topology/fabric.ts';
import { makeQueryRunner } from './topology/query-adapters.ts';
import { seriesCutoffs, seriesMetricSource, type SeriesRetention } from './topology/query/port-rates.ts';
import type { FlowSource } from './topology/query/context.ts';
import { Auth } from './api/auth.ts';
import { apiRoutes, createApp, type ApiApp } from './api/app.ts';
import { startApiServer, type ApiServer } from './api/server.ts';
import { loadApiTls } from './api/tls.ts';
import { makeFilterCompiler } from './api/ws/compile-filter.ts';
import { give, type ComponentContext, type ComponentSpec, type Provision } from './component/contract.ts';
import { ComponentSet, type LifecycleHooks } from './component/lifecycle.ts';
import {
  AGENT_HUB,
  ALERT_ADMIN,
  CAPTURE_ADMIN,
  DEVICE_ADMIN,
  FLOW_PATHS,
  FLOWS_READER,
  GRAPH_STORE,
  UI_FILES,
} from './component/provisions.ts';

export interface CollectorOptions {
  config: CanopyConfig;
  configFile?: string;
  log: Logger;
  registry?: Registry;
  /** The components to run (see src/components.ts); their declarations order start and stop. */
  components?: ComponentSpec[];
}

export class Collector {
  readonly config: CanopyConfig;
  readonly registry: Registry;
  store!: GraphStore;
  storage!: Storage;
  private api: ApiServer | undefined;
  private app: ApiApp | undefined;
  private fabric: Fabric | undefined;
  private components: ComponentSet | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private lastReload: { at: number; applied: boolean; error?: string } | undefined;

  constructor(private readonly opts: CollectorOptions) {
    this.config = opts.config;
    this.registry = opts.registry ?? createRegistry();
  }

  /** What a running component provides (tests reach the agent hub this way). */
  provided<T>(p: Provision<T>): T | undefined {
    return this.components?.find(p);
  }

  get apiAddresses(): string[] {
    return this.api?.addresses ?? [];
  }

  /** Every HTTP route the API registered with this config (method and pattern). */
  apiRoutes(): { method: string; path: string }[] {
    return this.app ? apiRoutes(this.app) : [];
  }

  /**
   * Opens the store, builds the components, starts them in dependency order, then the API. When
   * any of it throws, what had started is stopped again (components in reverse) before the error
   * (a ComponentStartError names the component) reaches the caller.
   */
  async start(): Promise<void> {
    try {
      await this.startAll();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async startAll(): Promise<void> {
    const { config, log } = this;
    // A network backend's write retries and failures are logged, at most once a minute per kind.
    const storageLog = log.child({ component: 'storage' });
    const lastLogged = new Map<string, number>();
    this.storage = openStorage(config.storage, (what, error) => {
      const t = Date.now();
      if ((lastLogged.get(what) ?? 0) > t - 60_000) return;
      lastLogged.set(what, t);
      storageLog.warn({ what, error }, 'storage backend problem');
    });
    this.store = this.storage.graph;
    if (this.storage instanceof PostgresStorage) storageMetrics(this.registry, this.storage);
    // Constant 1; the labels say what runs (join on it: * on (instance) group_left(version) canopy_build_info).
    gauge(this.registry, 'canopy_build_info', 'Canopy build: version, Node.js version, git commit (empty when unknown)', [
      'version',
      'node_version',
      'commit',
    ]).set({ version: packageVersion(), node_version: process.version, commit: gitCommit() ?? '' }, 1);
    const nodes = gauge(this.registry, 'canopy_graph_nodes', 'Live nodes in the graph');
    const edges = gauge(this.registry, 'canopy_graph_edges', 'Live edges in the graph');
    nodes.set(this.store.nodeCount());
    edges.set(this.store.edgeCount());
    this.store.subscribe((evs) => {
      for (const e of evs) {
        if (e.type === 'NodeAdded') nodes.inc();
        else if (e.type === 'NodeDeleted') nodes.dec();
        else if (e.type === 'EdgeAdded') edges.inc();
        else if (e.type === 'EdgeDeleted') edges.dec();
      }
    });

    const auth = new Auth(config, log);
    // Before any component starts: a bad certificate path is a config error, not a half-started collector.
    const tls = loadApiTls(config.api.tls);
    const ctx: ComponentContext = { config, store: this.store, storage: this.storage, registry: this.registry, log };
    // The stores are the collector's to give: components declare the ones they need.
    const components = (this.components = new ComponentSet(this.opts.components ?? [], ctx, [give(GRAPH_STORE, this.store)]));

    this.fabric = new Fabric(this.store, log.child({ component: 'fabric' }));
    this.fabric.apply(config.topology.fabric);

    const limits = { maxResults: config.api.queryMaxResults, timeoutMs: config.api.queryTimeoutMs };
    const flows = components.find(FLOWS_READER);
    const flowSource: FlowSource | undefined = flows && ((q) => flows.ofNodes(q.nodeIds, 100_000) as unknown as Record<string, unknown>[]);
    // Port series (docs/architecture.md#port-metrics): read by /api/metrics and Metrics(), pruned with history.
    const s = config.storage;
    const retention: SeriesRetention = {
      raw: s.metricsWindow * 1000,
      m1: s.metricsRetention1m * 1000,
      m5: s.metricsRetention5m * 1000,
      h1: s.metricsRetention1h * 1000,
    };
    const app = (this.app = createApp({
      store: this.store,
      auth,
      registry: this.registry,
      log: log.child({ component: 'api' }),
      config,
      query: makeQueryRunner(this.store, limits, flowSource, seriesMetricSource(this.storage.portSeries, retention)),
      status: () => this.status(),
      reload: this.opts.configFile ? () => this.reload() : undefined,
      flows,
      flowPaths: components.find(FLOW_PATHS),
      devices: components.find(DEVICE_ADMIN),
      captures: components.find(CAPTURE_ADMIN),
      alerts: components.find(ALERT_ADMIN),
      ui: components.find(UI_FILES),
      metrics: { series: this.storage.portSeries, retention, interfaceGauges: config.api.interfaceMetrics },
    }));
    await components.start(this.hooks);
    this.api = await startApiServer(config.api.listen, {
      app,
      store: this.store,
      auth,
      log: log.child({ component: 'ws' }),
      registry: this.registry,
      compileFilter: makeFilterCompiler(this.store, limits),
      agents: components.find(AGENT_HUB),
      maxMessageBytes: config.api.wsMaxMessageBytes,
      tls,
    });
    log.info(
      {
        api: this.api.addresses,
        tls: tls !== undefined,
        storage: config.storage.backend,
        at: storageLocation(config.storage),
        auth: auth.enabled,
      },
      'collector listening',
    );

    const prune = () => {
      const r = this.store.prune(Date.now() - config.storage.retention * 1000);
      if (r.nodes + r.edges > 0) log.info(r, 'pruned history past retention');
      const rows = this.storage.portSeries.prune(seriesCutoffs(retention, Date.now()));
      if (rows > 0) log.info({ rows }, 'pruned port series past retention');
    };
    prune();
    this.pruneTimer = setInterval(prune, config.storage.pruneInterval * 1000);
    this.pruneTimer.unref();
  }

  /** Re-reads the config file; today the fabric is what changes without a restart. */
  async reload(): Promise<{ applied: boolean; error?: string }> {
    try {
      const next = loadConfig({ file: this.opts.configFile });
      this.fabric?.apply(next.topology.fabric);
      this.lastReload = { at: Date.now(), applied: true };
      this.opts.log.info('config reloaded');
      return { applied: true };
    } catch (e) {
      const error = (e as Error).message;
      this.lastReload = { at: Date.now(), applied: false, error };
      this.opts.log.error({ error }, 'config reload rejected; keeping the running config');
      return { applied: false, error };
    }
  }

  status(): Record<string, unknown> {
    const components: Record<string, unknown> = {
      api: { listen: this.api?.addresses ?? [] },
      graph: { nodes: this.store.nodeCount(), edges: this.store.edgeCount(), dataDir: this.config.storage.dataDir },
    };
    for (const c of this.components?.components ?? []) components[c.name] = c.status();
    return {
      version: packageVersion(),
      startedAt: this.startedAt,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
      components,
      ...(this.lastReload ? { lastReload: this.lastReload } : {}),
    };
  }

  private readonly hooks: LifecycleHooks = {
    started: (c) => this.log.info({ component: c.name, ...c.status() }, 'component started'),
    stopped: (c) => this.log.info({ component: c.name }, 'component stopped'),
    stopFailed: (c, e) => this.log.error({ err: e, component: c.name }, 'stop failed'),
  };

  private get log(): Logger {
    return this.opts.log;
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.api?.close();
    this.api = undefined;
    // Only the components that started, in reverse.
    await this.components?.stop(this.hooks);
    this.fabric?.stop();
    this.fabric = undefined;
    // A network backend sends writes behind: let them land before disconnecting.
    await this.storage?.flush().catch((e: unknown) => this.log.error({ err: e }, 'storage writes not confirmed at stop'));
    this.storage?.close();
  }
}
