// Skydive's analyzer routes that Canopy does not serve (docs/architecture.md#skydive-routes). A Skydive
// client calling one gets a 501 problem+json saying what is missing, why, and what to use instead —
// never a bare 404 it would take for a typo. A known path with the wrong method gets a 405 with Allow.
import { hostname } from 'node:os';
import type { Context } from 'hono';
import type { ApiApp } from './app.ts';
import { json, problem } from './problem.ts';
import { packageVersion } from '../util/version.ts';

export const SKYDIVE_ROUTES_DOC = 'docs/architecture.md#skydive-routes';

interface Gap {
  /** Hono path pattern. */
  path: string;
  methods: string[];
  detail: string;
}

function resource(base: string, detail: string): Gap[] {
  return [
    { path: `/api/${base}`, methods: ['GET', 'POST'], detail },
    { path: `/api/${base}/:id`, methods: ['GET', 'PATCH', 'DELETE'], detail },
  ];
}

export const ALERTS_DOC = 'docs/architecture.md#alerts';

/** Served when the alerts component is not running (alerts.enabled: false), so /api/alert still says why. */
export const ALERT_GAPS: Gap[] = resource(
  'alert',
  `Alerts (/api/alert) need the alerts component, which this collector does not run (alerts.enabled is false). See ${ALERTS_DOC}.`,
);

/** Skydive updates an alert with PATCH; Canopy's alert rules are created and deleted, not changed. */
export const ALERT_PATCH_GAPS: Gap[] = [
  {
    path: '/api/alert/:id',
    methods: ['PATCH'],
    detail:
      'Changing an alert in place (PATCH /api/alert/{id}) is not implemented: delete it and create it again with the ' +
      `same UUID; its firing alerts resolve and fire again. See ${ALERTS_DOC}.`,
  },
];

/** HTTP routes of Skydive's analyzer that answer 501 here. */
export const HTTP_GAPS: Gap[] = [
  ...resource(
    'noderule',
    "Skydive's node rules (/api/noderule) are not implemented: Canopy has no rule-driven user topology. " +
      `Create nodes with POST /api/node, or declare them in topology.fabric. See ${SKYDIVE_ROUTES_DOC}.`,
  ),
  ...resource(
    'edgerule',
    "Skydive's edge rules (/api/edgerule) are not implemented: Canopy has no rule-driven user topology. " +
      `Create edges with POST /api/edge, or declare links in topology.fabric. See ${SKYDIVE_ROUTES_DOC}.`,
  ),
  ...resource(
    'injectpacket',
    "Skydive's packet injection (/api/injectpacket) is not implemented: Canopy observes the network and never " +
      `sends traffic into it; generate test traffic from the hosts themselves. See ${SKYDIVE_ROUTES_DOC}.`,
  ),
  ...resource(
    'workflow',
    "Skydive's workflows (/api/workflow) are not implemented: they ran JavaScript inside the analyzer, which Canopy " +
      `does not do; script against POST /api/topology instead. See ${SKYDIVE_ROUTES_DOC}.`,
  ),
  {
    path: '/api/workflow/:id/call',
    methods: ['POST'],
    detail:
      "Skydive's workflow calls (/api/workflow/{id}/call) are not implemented: Canopy runs no workflows; script " +
      `against POST /api/topology instead. See ${SKYDIVE_ROUTES_DOC}.`,
  },
  ...resource(
    'usermetadata',
    "Skydive's user metadata (/api/usermetadata, dropped by later Skydive releases) is not implemented: change a " +
      `node's Metadata with PATCH /api/node/{id} (JSON Patch). See ${SKYDIVE_ROUTES_DOC}.`,
  ),
  {
    path: '/api/pcap',
    methods: ['POST'],
    detail:
      "Skydive's pcap upload (POST /api/pcap) is not implemented: Canopy takes no packet files over the API. Read " +
      `a pcap offline with \`canopy replay FILE --json\` (flows) or \`canopy decode FILE\` (sFlow, NetFlow, IPFIX, LLDP). See ${SKYDIVE_ROUTES_DOC}.`,
  },
  {
    path: '/api/config/:key',
    methods: ['GET'],
    detail:
      "Skydive's configuration read (GET /api/config/{key}) is not implemented: Canopy's configuration holds " +
      'credentials and is not served over the API. GET /api/status shows the running components and bound ports; ' +
      `POST /api/config/reload re-reads the file. See ${SKYDIVE_ROUTES_DOC}.`,
  },
];

/** Served when the ovsdb component is not running, so /api/capture still says why. */
export const CAPTURE_GAPS: Gap[] = ['capture', 'captures'].flatMap((base) =>
  resource(base, `Captures (/api/${base}) need the ovsdb component, which this collector does not run. See docs/architecture.md#ovsdb.`),
);

/** Skydive updates any resource with PATCH; Canopy's captures are made and removed, not changed. */
export const CAPTURE_PATCH_GAPS: Gap[] = ['capture', 'captures'].map((base) => ({
  path: `/api/${base}/:id`,
  methods: ['PATCH'],
  detail:
    `Changing a capture in place (PATCH /api/${base}/{id}) is not implemented: delete it and create it again; ` +
    `the OVS configuration follows. See ${SKYDIVE_ROUTES_DOC}.`,
}));

/** Skydive's WebSocket endpoints Canopy does not serve: path → why, and what to use. */
export const WS_GAPS: Record<string, string> = {
  '/ws/agent/topology':
    "Skydive agents' topology WebSocket is not implemented: run `canopy agent` on the host (it speaks /ws/agent), " +
    `or publish a sub-graph on /ws/publisher. See ${SKYDIVE_ROUTES_DOC}.`,
  '/ws/agent/flow':
    "Skydive agents' flow WebSocket is not implemented: export flows with sFlow, NetFlow or IPFIX, or run a " +
    `port-mirror capture through \`canopy agent\`. See ${SKYDIVE_ROUTES_DOC}.`,
  '/ws/subscriber/flow':
    "Skydive's flow subscription WebSocket is not implemented: read flows with GET /api/flows or the Gremlin " +
    `Flows() step. See ${SKYDIVE_ROUTES_DOC}.`,
  '/ws/replication':
    "Skydive's analyzer-to-analyzer replication is not implemented: a Canopy collector is one process with its " +
    `own store. See ${SKYDIVE_ROUTES_DOC}.`,
};

/** The WebSocket endpoints Canopy serves (server.ts routes their upgrades). */
export const WS_ENDPOINTS = ['/ws/subscriber', '/ws/publisher', '/ws/agent', '/ws/agent/ovsdb'];

export interface RunningParts {
  captures: boolean;
  alerts: boolean;
}

function httpGaps(opts: RunningParts): Gap[] {
  return [...HTTP_GAPS, ...(opts.captures ? CAPTURE_PATCH_GAPS : CAPTURE_GAPS), ...(opts.alerts ? ALERT_PATCH_GAPS : ALERT_GAPS)];
}

function notImplemented(c: Context, detail: string) {
  return problem(c, 501, 'Not Implemented', detail, { docs: SKYDIVE_ROUTES_DOC });
}

/** Skydive's `GET /api` (host, version, service) and the 501/426 answers for what is not served here. */
export function registerSkydiveRoutes(app: ApiApp, opts: RunningParts): void {
  // Skydive's Info: the host, the version, and the role Canopy plays for Skydive clients.
  app.get('/api', (c) => json(c, { Host: hostname(), Version: packageVersion(), Service: 'analyzer' }));
  for (const g of httpGaps(opts)) {
    app.on(g.methods, g.path, (c) => notImplemented(c, g.detail));
  }
  // WebSocket paths reached without an upgrade (a browser, curl): say how to connect, or why not.
  for (const path of WS_ENDPOINTS) {
    app.get(path, (c) => {
      c.header('Upgrade', 'websocket');
      return problem(c, 426, 'Upgrade Required', `${path} is a WebSocket endpoint: connect with an Upgrade: websocket handshake`);
    });
  }
  for (const [path, detail] of Object.entries(WS_GAPS)) app.get(path, (c) => notImplemented(c, detail));
}

function patternOf(path: string): RegExp {
  const re = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${re}/?$`);
}

/** The methods the app answers on `path` (HEAD with GET, as Hono serves it), for Allow. */
export function allowedMethods(app: ApiApp, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    // Middleware (use()) is registered as ALL on a wildcard; it answers no method by itself.
    if (r.method === 'ALL') continue;
    if (patternOf(r.path).test(path)) methods.add(r.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** Not found: a 405 with Allow when the path is known under other methods, else a 404 naming the route. */
export function answerUnrouted(app: ApiApp, c: Context) {
  const allow = allowedMethods(app, c.req.path);
  if (allow.length) {
    c.header('Allow', allow.join(', '));
    return problem(c, 405, 'Method Not Allowed', `${c.req.method} is not served on ${c.req.path}; use ${allow.join(', ')}`);
  }
  return problem(c, 404, 'Not Found', `no route for ${c.req.method} ${c.req.path}`);
}

/** The 501 paths for /api/openapi.json. */
export function skydiveRoutesOpenApi(opts: RunningParts): Record<string, object> {
  const notImpl = (detail: string) => ({
    summary: 'Skydive route Canopy does not serve',
    description: detail,
    responses: {
      501: {
        description: 'Not Implemented: problem details whose detail says what, why and what to use instead',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    },
  });
  const paths: Record<string, Record<string, object>> = {};
  for (const g of httpGaps(opts)) {
    const p = g.path.replace(/:(\w+)/g, '{$1}');
    const item = (paths[p] ??= {});
    if (p.includes('{'))
      item.parameters = [...p.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    for (const m of g.methods) item[m.toLowerCase()] = notImpl(g.detail);
  }
  for (const [path, detail] of Object.entries(WS_GAPS)) paths[path] = { get: notImpl(`WebSocket: ${detail}`) };
  return paths;
}
