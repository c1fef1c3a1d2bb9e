// A local HTTPS server speaking the Kubernetes list/watch protocol as the API reference describes it
// ("API Concepts": efficient detection of changes, watch bookmarks, 410 Gone, chunked lists), so the
// real @kubernetes/client-node runs against it: lists with resourceVersion and limit/continue;
// watches streamed as JSON lines from a resourceVersion; BOOKMARK events when asked for; a
// resourceVersion older than the retained history answered with an ERROR event carrying a 410
// Status; bearer tokens checked (401 Status otherwise). Certificates are made with openssl in a temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
};

/** List path (all namespaces) for an object's kind. */
export function pathOf(o: Pick<Obj, 'apiVersion' | 'kind'>): string {
  const plural: Record<string, string> = {
    Endpoints: 'endpoints',
    Ingress: 'ingresses',
    NetworkPolicy: 'networkpolicies',
    StorageClass: 'storageclasses',
  };
  const p = plural[o.kind] ?? `${o.kind.toLowerCase()}s`;
  return o.apiVersion.includes('/') ? `/apis/${o.apiVersion}/${p}` : `/api/${o.apiVersion}/${p}`;
}

interface Watcher {
  path: string;
  res: ServerResponse;
  bookmarks: boolean;
}

interface LogEntry {
  rv: number;
  path: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: Obj;
}

export class FakeApiServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'canopy-k8s-'));
  readonly ca: string;
  private server: Server | undefined;
  private rv = 100;
  /** History older than this resourceVersion is gone (410 for a watch from before it). */
  private compactedTo = 0;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly log: LogEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  tokens = new Set<string>(['token-1']);
  /** Paths the account may not list or watch (403), and paths this server does not serve (404). */
  readonly forbidden = new Set<string>();
  readonly notServed = new Set<string>();
  /** Requests seen: method, path, query, status. */
  readonly requests: { path: string; query: URLSearchParams; status: number }[] = [];
  port = 0;

  constructor() {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=canopy-test-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(this.dir, 'key.pem'),
        '-out',
        join(this.dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    this.ca = readFileSync(join(this.dir, 'cert.pem'), 'utf8');
  }

  async start(): Promise<void> {
    this.server = createServer({ key: readFileSync(join(this.dir, 'key.pem')), cert: this.ca }, (req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    const server = this.server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.port = (server.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise((r) => server.close(r));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes a kubeconfig for this server with the given token; returns its path. */
  kubeconfig(token: string, file = join(this.dir, 'kubeconfig.yaml'), context = 'test'): string {
    const ca = Buffer.from(this.ca).toString('base64');
    const yaml = `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${this.url}
    certificate-authority-data: ${ca}
users:
- name: canopy
  user:
    token: ${token}
contexts:
- name: ${context}
  context:
    cluster: test
    user: canopy
current-context: ${context}
`;
    execFileSync('sh', ['-c', `cat > '${file}'`], { input: yaml });
    return file;
  }

  private key(o: Obj): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  /** Adds or modifies an object; `silent` changes the store without telling open watches (a gap). */
  apply(o: Obj, silent = false): Obj {
    const path = pathOf(o);
    let m = this.objects.get(path);
    if (!m) this.objects.set(path, (m = new Map()));
    const existed = m.has(this.key(o));
    const stored = structuredClone(o);
    stored.metadata.resourceVersion = String(++this.rv);
    m.set(this.key(o), stored);
    this.record({ rv: this.rv, path, type: existed ? 'MODIFIED' : 'ADDED', obj: stored }, silent);
    return stored;
  }

  remove(o: Obj, silent = false): void {
    const path = pathOf(o);
    const m = this.objects.get(path);
    const cur = m?.get(this.key(o));
    if (!m || !cur) throw new Error(`no ${o.kind} ${this.key(o)}`);
    m.delete(this.key(o));
    const gone = structuredClone(cur);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, path, type: 'DELETED', obj: gone }, silent);
  }

  get(kind: string, ns: string, name: string): Obj {
    for (const m of this.objects.values()) {
      const o = m.get(`${ns}/${name}`);
      if (o?.kind === kind) return structuredClone(o);
    }
    throw new Error(`no ${kind} ${ns}/${name}`);
  }

  private record(e: LogEntry, silent: boolean): void {
    this.log.push(e);
    if (silent) return;
    for (const w of this.watchers) if (w.path === e.path) this.send(w, e.type, e.obj);
  }

  private send(w: Watcher, type: string, object: unknown): void {
    w.res.write(JSON.stringify({ type, object }) + '\n');
  }

  /** A BOOKMARK at the current resourceVersion on every watch that asked for them. */
  bookmark(): number {
    let n = 0;
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      this.send(w, 'BOOKMARK', { kind: 'Bookmark', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } });
      n++;
    }
    return n;
  }

  /**
   * Forgets history up to now: open watches get an ERROR event with a 410 Status and are closed, as
   * the API server does when a watch falls behind its event window.
   */
  compact(): void {
    this.compactedTo = this.rv;
    for (const w of [...this.watchers]) {
      this.send(w, 'ERROR', this.status(410, 'Expired', 'too old resource version'));
      w.res.end();
      this.watchers.delete(w);
    }
  }

  /** Cuts every connection without a word (a load balancer restart, a broken network path). */
  dropConnections(): void {
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
  }

  watchCount(): number {
    return this.watchers.size;
  }

  private status(code: number, reason: string, message: string): object {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', this.url);
    const q = u.searchParams;
    const reply = (code: number, body: unknown) => {
      this.requests.push({ path: u.pathname, query: q, status: code });
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !this.tokens.has(auth.slice(7))) return reply(401, this.status(401, 'Unauthorized', 'Unauthorized'));
    const path = u.pathname;
    if (this.forbidden.has(path)) return reply(403, this.status(403, 'Forbidden', `cannot list resource at ${path}`));
    if (this.notServed.has(path)) return reply(404, this.status(404, 'NotFound', 'the server could not find the requested resource'));
    if (q.get('watch') === 'true') {
      const from = Number(q.get('resourceVersion') ?? '0');
      this.requests.push({ path, query: q, status: 200 });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      const w: Watcher = { path, res, bookmarks: q.get('allowWatchBookmarks') === 'true' };
      if (from < this.compactedTo) {
        this.send(w, 'ERROR', this.status(410, 'Expired', `too old resource version: ${from} (${this.compactedTo})`));
        res.end();
        return;
      }
      for (const e of this.log) if (e.path === path && e.rv > from) this.send(w, e.type, e.obj);
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    // A list, chunked by limit/continue; continue carries the offset and the snapshot's resourceVersion.
    const all = [...(this.objects.get(path)?.values() ?? [])].sort((a, b) => this.key(a).localeCompare(this.key(b)));
    const limit = Number(q.get('limit') ?? '0') || all.length;
    const start = q.get('continue') ? Number(q.get('continue')) : 0;
    const items = all.slice(start, start + limit);
    const more = start + limit < all.length;
    reply(200, {
      kind: 'List',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(start + limit) } : {}) },
      items,
    });
  }
}
