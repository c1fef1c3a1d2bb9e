// The collector process: config → store → API/WebSocket → fabric, plus the components that
// write observations. Start/stop in order; SIGHUP and POST /api/config/reload re-apply config.
import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { CanopyConfig } from './config/schema.ts';
import { loadConfig } from './config/load.ts';
import type { Logger } from './util/log.ts';
import { createRegistry, gauge } from './util/metrics.ts';
import { gitCommit, packageVersion } from './util/version.ts';
import type { SqliteGraphStore } from './topology/store/sqlite-store.ts';
import { openSqliteStorage, type SqliteStorage } from './topology/store/sqlite-storage.ts';
import type { Storage } from './topology/store/storage.ts';
import { Fabric } from './topology/fabric.ts';
import { makeFilterCompiler, makeQueryRunner } from './topology/query-adapters.ts';
import type { FlowSource } from './topology/query/context.ts';
import { Auth } from './api/auth.ts';
import { createApp, type ApiApp } from './api/app.ts';
import { startApiServer, type ApiServer } from './api/server.ts';

/** What every component of the collector looks like from here. */
export interface Component {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Shown under components.<name> in /api/status (bound ports, counts, errors …). */
  status(): Record<string, unknown>;
  routes?(app: ApiApp): void;
  /** OpenAPI path items of the routes this component adds (merged into /api/openapi.json). */
  openapi?(): Record<string, object>;
  /** Requests this component serves without credentials. */
  isPublic?(method: string, path: string): boolean;
  /** Flow records for the query language's Flows() step (the flow pipeline provides it). */
  flowSource?: FlowSource;
}

export interface ComponentContext {
  config: CanopyConfig;
  store: SqliteGraphStore;
  /** Every persistent table; `store` is its graph. */
  storage: Storage;
  registry: Registry;
  log: Logger;
}

export type ComponentFactory = (ctx: ComponentContext) => Component | undefined;

export interface CollectorOptions {
  config: CanopyConfig;
  configFile?: string;
  log: Logger;
  registry?: Registry;
  components?: ComponentFactory[];
}

export class Collector {
  readonly config: CanopyConfig;
  readonly registry: Registry;
  store!: SqliteGraphStore;
  storage!: SqliteStorage;
  private api: ApiServer | undefined;
  private fabric: Fabric | undefined;
  private components: Component[] = [];
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private lastReload: { at: number; applied: boolean; error?: string } | undefined;

  constructor(private readonly opts: CollectorOptions) {
    this.config = opts.config;
    this.registry = opts.registry ?? createRegistry();
  }

  get apiAddresses(): string[] {
    return this.api?.addresses ?? [];
  }

  async start(): Promise<void> {
    const { config, log } = this;
    const dbPath = join(resolve(config.storage.dataDir), 'canopy.db');
    this.storage = openSqliteStorage({ path: dbPath });
    this.store = this.storage.graph;
    // Constant 1; the labels say what runs (join on it: * on (instance) group_left(version) canopy_build_info).
    gauge(this.registry, 'canopy_build_info', 'Canopy build: version, Node.js version, git commit (empty when unknown)', ['version', 'node_version', 'commit'])
      .set({ version: packageVersion(), node_version: process.version, commit: gitCommit() ?? '' }, 1);
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
    const ctx: ComponentContext = { config, store: this.store, storage: this.storage, registry: this.registry, log };
    this.components = (this.opts.components ?? []).map((f) => f(ctx)).filter((c): c is Component => c !== undefined);

    this.fabric = new Fabric(this.store, log.child({ component: 'fabric' }));
    this.fabric.apply(config.topology.fabric);

    const limits = { maxResults: config.api.queryMaxResults, timeoutMs: config.api.queryTimeoutMs };
    const app = createApp({
      store: this.store,
      auth,
      registry: this.registry,
      log: log.child({ component: 'api' }),
      config,
      query: makeQueryRunner(this.store, limits, this.components.find((c) => c.flowSource)?.flowSource),
      status: () => this.status(),
      reload: this.opts.configFile ? () => this.reload() : undefined,
      routes: this.components.map((c) => (a: ApiApp) => c.routes?.(a)),
      openapiPaths: () => Object.assign({}, ...this.components.map((c) => c.openapi?.() ?? {})) as Record<string, object>,
      isPublic: (method, path) => this.components.some((c) => c.isPublic?.(method, path) ?? false),
    });
    for (const c of this.components) {
      await c.start();
      log.info({ component: c.name, ...c.status() }, 'component started');
    }
    this.api = await startApiServer(config.api.listen, {
      app,
      store: this.store,
      auth,
      log: log.child({ component: 'ws' }),
      registry: this.registry,
      compileFilter: makeFilterCompiler(this.store, limits),
    });
    log.info({ api: this.api.addresses, dataDir: config.storage.dataDir, auth: auth.enabled }, 'collector listening');

    const prune = () => {
      const r = this.store.prune(Date.now() - config.storage.retention * 1000);
      if (r.nodes + r.edges > 0) log.info(r, 'pruned history past retention');
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
    for (const c of this.components) components[c.name] = c.status();
    return {
      version: packageVersion(),
      startedAt: this.startedAt,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      components,
      ...(this.lastReload ? { lastReload: this.lastReload } : {}),
    };
  }

  private get log(): Logger {
    return this.opts.log;
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.api?.close();
    for (const c of [...this.components].reverse()) await c.stop().catch((e: unknown) => this.log.error({ err: e, component: c.name }, 'stop failed'));
    this.fabric?.stop();
    this.store?.close();
  }
}
