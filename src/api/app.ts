// The HTTP API (docs/architecture.md#http-api) as a Hono app; the server module adds WebSockets and listens.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { matchedRoutes } from 'hono/route';
import type { Registry } from 'prom-client';
import { counter, preset } from '../util/metrics.ts';
import { RateLimitedLog } from '../util/log.ts';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../util/log.ts';
import type { GraphStore } from '../topology/store/graph-store.ts';
import type { CanopyConfig } from '../config/schema.ts';
import { Auth, cookieToken, type Principal, type Role } from './auth.ts';
import { HttpProblem, json, problem } from './problem.ts';
import { registerElementRoutes } from './routes/elements.ts';
import { registerTopologyRoutes } from './routes/topology.ts';
import { registerChangeRoutes } from './routes/changes.ts';
import { flowsOpenApi, registerFlowRoutes } from './routes/flows.ts';
import { registerDeviceRoutes } from './routes/devices.ts';
import { registerUiRoutes } from './routes/ui.ts';
import { capturesOpenApi, registerCaptureRoutes } from './routes/captures.ts';
import type { CaptureAdmin } from '../ovs/captures.ts';
import { metricsOpenApi, registerMetricRoutes, type MetricsDeps } from './routes/metrics.ts';
import type { FlowsReader } from '../collectors/flows/flows-reader.ts';
import type { DeviceAdmin } from '../collectors/snmp/device-admin.ts';
import type { UiFiles } from '../ui/files.ts';
import { openApiDocument } from './openapi.ts';
import { answerUnrouted, registerSkydiveRoutes, skydiveRoutesOpenApi } from './skydive-routes.ts';
import { flowMatrixOpenApi, registerFlowMatrixRoutes } from './routes/flow-matrix.ts';
import { registerCablingRoutes } from './routes/cabling.ts';
import { flowPathOpenApi, registerFlowPathRoutes } from './routes/flow-path.ts';
import type { FlowPaths } from '../flow-path/service.ts';
import { alertsOpenApi, registerAlertRoutes } from './routes/alerts.ts';
import type { AlertAdmin } from '../alerts/component.ts';

export type ApiEnv = { Variables: { principal: Principal } };
export type ApiApp = Hono<ApiEnv>;

/** Runs a Gremlin query; throws an error with `status` 400 (and `position`) for a bad query. */
export type QueryRunner = (query: string) => unknown;

export interface ApiDeps {
  store: GraphStore;
  auth: Auth;
  registry: Registry;
  log: Logger;
  config: CanopyConfig;
  query: QueryRunner;
  status: () => Record<string, unknown>;
  reload?: () => Promise<{ applied: boolean; error?: string }>;
  // What components expose; each one present adds its routes (docs/architecture.md, "Components").
  /** Flows (the flow pipeline): GET /api/flows. */
  flows?: FlowsReader;
  /** Observed paths and flow-vs-counter reconciliation: /api/flows/path, /api/flows/reconcile. */
  flowPaths?: FlowPaths;
  /** The SNMP device table: /api/devices. */
  devices?: DeviceAdmin;
  /** Captures configured through OVSDB: /api/capture, /api/captures. */
  captures?: CaptureAdmin;
  /** Port series: GET /api/metrics, Metrics() and, opt-in, /metrics/interfaces. */
  metrics?: MetricsDeps;
  /** The wall display's files at /; its public paths need no credentials (the login page loads first). */
  ui?: UiFiles;
  /** Alert rules and their state: /api/alert. */
  alerts?: AlertAdmin;
}

/** OpenAPI path items from several parts: methods of one path from different parts are kept together. */
function mergePaths(...parts: Record<string, object>[]): Record<string, object> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of parts) for (const [path, item] of Object.entries(p)) out[path] = { ...out[path], ...(item as Record<string, unknown>) };
  return out;
}

export function credentialsOf(c: Context) {
  return {
    cookie: cookieToken(c.req.header('cookie')),
    authorization: c.req.header('authorization'),
    xAuthToken: c.req.header('x-auth-token'),
    queryToken: c.req.query('x-auth-token'),
  };
}

/** Routes anyone may call without credentials (`METHOD /pattern`); every other route authenticates. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['GET /healthz', 'POST /login', 'POST /logout']);
/** Routes that only read although their method is not GET (a Gremlin query in a body): viewers may call them. */
export const READ_ONLY_POSTS: ReadonlySet<string> = new Set(['POST /api/topology', 'POST /api/verify-cabling']);

/**
 * The role a route needs: reads (GET/HEAD) need any authenticated user, anything else the admin role
 * unless listed above. Applied centrally so a route added later cannot forget it.
 */
export function requiredRole(method: string, pattern: string): 'public' | Role {
  const key = `${method} ${pattern}`;
  // A WebSocket path fetched without an upgrade: its answer only says how to connect (upgrades never
  // reach this app; server.ts authenticates them against WS_ACCESS).
  if (PUBLIC_ROUTES.has(key) || (method === 'GET' && pattern.startsWith('/ws/'))) return 'public';
  if (method === 'GET' || method === 'HEAD' || READ_ONLY_POSTS.has(key)) return 'viewer';
  return 'admin';
}

/** A route's handler, not middleware (`app.use` registers method ALL with a `(c, next)` handler). */
function isRoute(r: { method: string; handler: { length: number } }): boolean {
  return r.method !== 'ALL' || r.handler.length < 2;
}

/** The app's routes (method and pattern), without its middleware: what the security test sweeps. */
export function apiRoutes(app: ApiApp): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of app.routes) if (isRoute(r)) seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  return [...seen.values()];
}

/** Refused requests and upgrades: no credentials, wrong ones, or a role too low (shared with the WebSocket server). */
export function authRefusals(registry: Registry) {
  const c = counter(registry, 'canopy_api_auth_refused_total', 'API requests and WebSocket upgrades refused by authentication or role', [
    'endpoint',
    'reason',
  ]);
  preset(c, { endpoint: ['http', 'ws'], reason: ['missing', 'bad_credentials', 'forbidden'] });
  return c;
}

export function requireAdmin(c: Context<ApiEnv>): void {
  if (c.get('principal').role !== 'admin') throw new HttpProblem(403, 'Forbidden', 'this operation needs the admin role');
}

export function createApp(deps: ApiDeps): ApiApp {
  const app = new Hono<ApiEnv>();
  const { auth, log } = deps;
  const running = { captures: deps.captures !== undefined, alerts: deps.alerts !== undefined };

  app.onError((err, c) => {
    if (err instanceof HttpProblem) return problem(c, err.status, err.title, err.detail, err.extra);
    log.error({ err, path: c.req.path }, 'API handler failed');
    return problem(c, 500, 'Internal Server Error', 'see the collector log');
  });
  // A known path under another method is a 405 with Allow, not a 404 (docs/architecture.md#skydive-routes).
  app.notFound((c) => answerUnrouted(app, c));

  const tooLarge = counter(deps.registry, 'canopy_api_too_large_total', 'Request bodies and WebSocket messages refused for their size', [
    'kind',
  ]);
  preset(tooLarge, { kind: ['http_body', 'ws_message'] });
  app.use(
    '*',
    bodyLimit({
      maxSize: deps.config.api.maxBodyBytes,
      onError: (c) => {
        tooLarge.inc({ kind: 'http_body' });
        return problem(c, 413, 'Payload Too Large', `request bodies are limited to ${deps.config.api.maxBodyBytes} bytes`);
      },
    }),
  );

  const refused = authRefusals(deps.registry);
  const refusedLog = new RateLimitedLog(log);
  const authenticate: MiddlewareHandler<ApiEnv> = async (c, next) => {
    // The route that will answer (not middleware); the UI's public files only when no route does.
    const route = matchedRoutes(c).find(isRoute);
    const role = route ? requiredRole(route.method, route.path) : undefined;
    if (role === 'public' || (!route && deps.ui?.isPublic(c.req.method, c.req.path))) return next();
    const creds = credentialsOf(c);
    const p = auth.authenticate(creds);
    if (!p) {
      const reason = creds.authorization || creds.xAuthToken || creds.queryToken || creds.cookie ? 'bad_credentials' : 'missing';
      refused.inc({ endpoint: 'http', reason });
      // Wrong credentials are worth a line (guessing shows up); missing ones are every first page load.
      if (reason === 'bad_credentials') {
        const remote = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress;
        refusedLog.warn('http', { method: c.req.method, path: c.req.path, remote }, 'API credentials refused');
      }
      // A Basic challenge on a script's request makes browsers pop their own password dialog over
      // the UI's login page; scripts say who they are with X-Requested-With, as usual.
      if (c.req.header('x-requested-with') !== 'XMLHttpRequest') c.header('WWW-Authenticate', 'Basic realm="canopy"');
      return problem(c, 401, 'Unauthorized', 'log in (POST /login) or send Basic, Bearer or X-Auth-Token credentials');
    }
    if (role === 'admin' && p.role !== 'admin') {
      refused.inc({ endpoint: 'http', reason: 'forbidden' });
      return problem(c, 403, 'Forbidden', 'this operation needs the admin role');
    }
    c.set('principal', p);
    return next();
  };
  app.use('*', authenticate);

  app.get('/healthz', (c) => json(c, { status: 'ok' }));

  app.post('/login', async (c) => {
    const ct = c.req.header('content-type') ?? '';
    const fields: Record<string, unknown> = ct.includes('application/json')
      ? ((await c.req.json().catch(() => ({}))) as Record<string, unknown>)
      : await c.req.parseBody().catch(() => ({}));
    const username = typeof fields.username === 'string' ? fields.username : '';
    const password = typeof fields.password === 'string' ? fields.password : '';
    if (!auth.enabled) return json(c, { authtoken: '', user: 'anonymous', permissions: 'admin' });
    const s = auth.login(username, password);
    if (!s) return problem(c, 401, 'Unauthorized', 'bad username or password');
    // Over TLS the cookie must never travel in clear (a plain-HTTP page on the same host name).
    const secure = deps.config.api.tls ? '; Secure' : '';
    c.header('Set-Cookie', `authtoken=${s.token}; Path=/; HttpOnly; SameSite=Lax${secure}`);
    return json(c, { authtoken: s.token, user: s.principal.name, permissions: s.principal.role });
  });

  app.post('/logout', (c) => {
    const t = cookieToken(c.req.header('cookie'));
    if (t) auth.logout(t);
    c.header('Set-Cookie', 'authtoken=; Path=/; Max-Age=0');
    return c.body(null, 204);
  });

  app.get('/metrics', async (c) => c.body(await deps.registry.metrics(), 200, { 'Content-Type': deps.registry.contentType }));
  app.get('/api/status', (c) => json(c, deps.status()));
  app.get('/api/openapi.json', (c) =>
    json(
      c,
      openApiDocument(
        mergePaths(
          deps.flows ? flowsOpenApi() : {},
          deps.flowPaths ? flowPathOpenApi() : {},
          deps.captures ? capturesOpenApi() : {},
          deps.metrics ? metricsOpenApi() : {},
          deps.alerts ? alertsOpenApi() : {},
          skydiveRoutesOpenApi(running),
          flowMatrixOpenApi(),
        ),
      ),
    ),
  );

  app.post('/api/config/reload', async (c) => {
    requireAdmin(c);
    if (!deps.reload) return problem(c, 501, 'Not Implemented', 'this collector has no config file to reload');
    const r = await deps.reload();
    if (!r.applied) return problem(c, 400, 'Bad Request', r.error ?? 'config rejected');
    return json(c, { applied: true });
  });

  registerChangeRoutes(app, deps);
  registerTopologyRoutes(app, deps);
  registerElementRoutes(app, deps);
  if (deps.flowPaths) registerFlowPathRoutes(app, deps.flowPaths);
  if (deps.flows) registerFlowRoutes(app, deps.flows, deps.store);
  // Sockets come from agents; flows (useFlows) only when the flow pipeline runs.
  registerFlowMatrixRoutes(app, deps);
  registerCablingRoutes(app, deps);
  if (deps.devices) registerDeviceRoutes(app, deps.devices);
  if (deps.captures) registerCaptureRoutes(app, deps.captures, deps);
  if (deps.metrics) registerMetricRoutes(app, deps.store, deps.metrics);
  if (deps.alerts) registerAlertRoutes(app, deps.alerts);
  // Skydive's routes Canopy does not serve answer 501 with the reason (rules, workflows …).
  registerSkydiveRoutes(app, running);
  // Last: the UI only sees what no API route answered.
  if (deps.ui) registerUiRoutes(app, deps.ui);
  return app;
}
