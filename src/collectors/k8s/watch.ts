// List+watch of one cluster (docs/architecture.md#kubernetes) with @kubernetes/client-node's informer (ListWatch): it lists,
// then watches from the list's resourceVersion, re-lists after `410 Gone` (an ERROR event carrying
// a Status, or a 410 answer), and resumes from the last resourceVersion it saw. Around it: bookmarks
// asked for (so a quiet kind's resourceVersion stays fresh and a reconnect does not hit 410),
// paged lists, a restart with exponential backoff after any error (the informer stops on one), and
// credentials loaded again after a 401 (a rotated token or kubeconfig is picked up).
import { KubeConfig, ListWatch, Watch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { ClusterConfig } from './config.ts';
import { KINDS, type KindSpec } from './kinds.ts';

export interface WatchHandlers {
  upsert(kind: KindSpec, obj: KubernetesObject): void;
  remove(kind: KindSpec, obj: KubernetesObject): void;
  /** Every kind has been listed once since start (stale graph nodes can be swept). */
  synced(): void;
}

export interface WatchEvents {
  listed(kind: string, relist: boolean): void;
  error(kind: string, code: string): void;
  bookmark(kind: string): void;
}

export interface ClusterWatchOptions {
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Root the in-cluster service-account files are read under (tests); default `/`. */
  inClusterRoot?: string;
  /** Items per list page (the API server's `limit`). */
  pageSize?: number;
}

/** Loads credentials for a cluster entry: a kubeconfig file and context, or the pod's service account. */
export function loadKubeConfig(c: ClusterConfig & { inCluster?: boolean }, inClusterRoot = ''): KubeConfig {
  const kc = new KubeConfig();
  if (c.inCluster) {
    if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT)
      throw new Error(`k8s cluster ${c.name}: inCluster, but KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod)`);
    kc.loadFromCluster(inClusterRoot);
  } else if (c.kubeconfig) kc.loadFromFile(c.kubeconfig);
  else kc.loadFromDefault();
  if (c.context) kc.setCurrentContext(c.context);
  if (!kc.getCurrentCluster())
    throw new Error(`k8s cluster ${c.name}: no cluster in the kubeconfig${c.context ? ` for context ${c.context}` : ''}`);
  return kc;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** One GET of JSON through the kubeconfig's TLS and credentials. */
async function getJson(kc: KubeConfig, path: string): Promise<unknown> {
  const server = kc.getCurrentCluster()!.server;
  const url = new URL(server + path);
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new HttpError(res.statusCode ?? 0, `GET ${path}: HTTP ${res.statusCode} ${body.slice(0, 200)}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`GET ${path}: not JSON`));
        }
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Every page of a list (limit/continue), as one list with the last page's resourceVersion. */
async function listAll(kc: KubeConfig, path: string, pageSize: number): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = [];
  let cont = '';
  for (;;) {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cont) q.set('continue', cont);
    const page = (await getJson(kc, `${path}?${q}`)) as KubernetesListObject<KubernetesObject>;
    if (Array.isArray(page.items)) items.push(...page.items);
    cont = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue ?? '';
    if (!cont) return { ...page, items };
  }
}

/** The client's Watch, asking for bookmarks, built on whatever credentials are current. */
class BookmarkWatch extends Watch {
  constructor(
    private readonly current: () => KubeConfig,
    private readonly seen: (phase: string) => void,
    private readonly listed: () => void,
    private readonly conn: Connections,
  ) {
    super(current());
  }

  override async watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    cb: (phase: string, obj: unknown, w?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    // The informer calls watch() right after it delivered a list's items.
    this.listed();
    // A list that was running when the cluster was stopped: no watch after it.
    if (this.conn.stopped) return new AbortController();
    const w = new Watch(this.conn.tracked(this.current()));
    return w.watch(
      path,
      { ...params, allowWatchBookmarks: true },
      (phase, obj, raw) => {
        this.seen(phase);
        cb(phase, obj, raw);
      },
      done,
    );
  }
}

/**
 * The HTTPS agents the client made for this cluster's watches. The informer's stop aborts only a
 * watch it holds; one still connecting then (or started by a list that was running) stays open and
 * keeps a stopped process alive: destroying the agents closes every socket they hold.
 */
class Connections {
  stopped = false;
  private readonly agents = new Set<HttpsAgent>();

  /** The kubeconfig, whose fetch options' agent is recorded. */
  tracked(kc: KubeConfig): KubeConfig {
    const t = Object.create(kc) as KubeConfig;
    t.applyToFetchOptions = async (opts) => {
      const r = await kc.applyToFetchOptions.call(t, opts);
      const a = (r as { agent?: unknown }).agent;
      if (a instanceof HttpsAgent) {
        if (this.stopped) a.destroy();
        else this.agents.add(a);
      }
      return r;
    };
    return t;
  }

  close(): void {
    this.stopped = true;
    for (const a of this.agents) a.destroy();
    this.agents.clear();
  }
}

function codeOf(err: unknown): string {
  const e = err as { statusCode?: number; code?: number | string; message?: string } | undefined;
  if (typeof e?.statusCode === 'number') return String(e.statusCode);
  if (e?.code !== undefined) return String(e.code);
  return 'error';
}

interface KindState {
  lw: ListWatch<KubernetesObject>;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  listed: boolean;
  /** Never listed because the API refuses it (403: no RBAC permission) or does not serve it (404). */
  absent: boolean;
  lists: number;
  lastError: string | undefined;
}

export class ClusterWatch {
  private kc: KubeConfig;
  private readonly kinds = new Map<string, KindState>();
  private stopped = true;
  private syncedOnce = false;
  private conn = new Connections();

  constructor(
    readonly cluster: ClusterConfig & { inCluster?: boolean },
    private readonly handlers: WatchHandlers,
    private readonly events: WatchEvents,
    private readonly opts: ClusterWatchOptions,
  ) {
    this.kc = loadKubeConfig(cluster, opts.inClusterRoot);
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  start(): void {
    this.stopped = false;
    this.conn = new Connections();
    for (const k of KINDS) {
      const st: KindState = {
        lw: undefined as never,
        failures: 0,
        timer: undefined,
        listed: false,
        absent: false,
        lists: 0,
        lastError: undefined,
      };
      const watch = new BookmarkWatch(
        () => this.kc,
        (phase) => {
          st.failures = 0;
          if (phase === 'BOOKMARK') this.events.bookmark(k.type);
        },
        () => this.onListed(st),
        this.conn,
      );
      const listFn = async () => {
        const l = await listAll(this.kc, k.path, this.opts.pageSize ?? 500);
        st.failures = 0;
        st.lists++;
        this.events.listed(k.type, st.lists > 1);
        return l;
      };
      st.lw = new ListWatch<KubernetesObject>(k.path, watch, listFn, false);
      st.lw.on('add', (o) => this.handlers.upsert(k, o));
      st.lw.on('update', (o) => this.handlers.upsert(k, o));
      st.lw.on('delete', (o) => this.handlers.remove(k, o));
      st.lw.on('error', (err) => this.onError(k, st, err));
      this.kinds.set(k.type, st);
      void st.lw.start();
    }
  }

  private onListed(st: KindState): void {
    st.lastError = undefined;
    st.absent = false;
    if (st.listed) return;
    st.listed = true;
    this.checkSynced();
  }

  /** Every kind listed, or known to be refused: the cluster's objects are all in. */
  private checkSynced(): void {
    if (this.syncedOnce || ![...this.kinds.values()].every((s) => s.listed || s.absent)) return;
    this.syncedOnce = true;
    this.handlers.synced();
  }

  private onError(k: KindSpec, st: KindState, err: unknown): void {
    if (this.stopped) return;
    const code = codeOf(err);
    st.lastError = `${code}: ${(err as Error)?.message ?? String(err)}`;
    this.events.error(k.type, code);
    // Credentials may have been rotated (expired token): read them again before the retry.
    if (code === '401' || code === '403') {
      try {
        this.kc = loadKubeConfig(this.cluster, this.opts.inClusterRoot);
      } catch {
        // Keep the old credentials; the next failure tries again.
      }
    }
    // A kind this account may not list (a cluster that keeps Secrets from Canopy) or an API the
    // cluster does not serve must not hold up the rest: retried at the longest backoff.
    if ((code === '403' || code === '404') && !st.listed) {
      st.absent = true;
      st.failures = Math.max(st.failures, 30);
      this.checkSynced();
    }
    const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffMinMs * 2 ** st.failures);
    st.failures++;
    clearTimeout(st.timer);
    st.timer = setTimeout(() => {
      st.timer = undefined;
      if (!this.stopped) void st.lw.start();
    }, delay);
    st.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    for (const st of this.kinds.values()) {
      clearTimeout(st.timer);
      void st.lw.stop();
    }
    this.conn.close();
  }

  status(): Record<string, unknown> {
    const kinds: Record<string, unknown> = {};
    for (const [t, st] of this.kinds) {
      kinds[t] = {
        listed: st.listed,
        absent: st.absent,
        lists: st.lists,
        resourceVersion: st.lw.latestResourceVersion(),
        lastError: st.lastError,
        failures: st.failures,
      };
    }
    return { server: this.server, synced: this.syncedOnce, kinds };
  }

  /** Objects the informers hold now (what the graph should show). */
  cached(type: string): readonly KubernetesObject[] {
    return this.kinds.get(type)?.lw.list() ?? [];
  }
}
