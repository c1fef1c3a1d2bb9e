// The route × role sweep: every HTTP route the app registered (read from the router at run time)
// and every WebSocket endpoint of the server's table, requested as each kind of caller. Used by
// routes.test.ts (which asserts the policy) and print-matrix.ts (which prints the table for
// docs/reliability.md).
import WebSocket from 'ws';
import { requiredRole } from '../../src/api/app.ts';
import { WS_ACCESS } from '../../src/api/server.ts';

export const ADMIN_TOKEN = 'sweep-admin-token-1a2b3c';
export const VIEWER_TOKEN = 'sweep-viewer-token-4d5e6f';
// A bare agent token (bound to no host) so each WebSocket attempt can name its own host ID.
export const AGENT_TOKEN = 'sweep-agent-token-7g8h9i';

/** Config overrides that turn on auth and every optional route. */
export const SWEEP_CONFIG: Record<string, unknown> = {
  'auth.tokens': [
    { token: ADMIN_TOKEN, role: 'admin' },
    { token: VIEWER_TOKEN, role: 'viewer' },
  ],
  'agents.tokens': [AGENT_TOKEN],
  'api.interfaceMetrics': true,
};

export const CALLERS = {
  anonymous: {},
  viewer: { Authorization: `Bearer ${VIEWER_TOKEN}` },
  admin: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  agent: { Authorization: `Bearer ${AGENT_TOKEN}` },
} satisfies Record<string, Record<string, string>>;
export type Caller = keyof typeof CALLERS;
export const CALLER_NAMES = Object.keys(CALLERS) as Caller[];

export interface Row {
  kind: 'HTTP' | 'WS';
  method: string;
  path: string;
  needs: 'public' | 'viewer' | 'admin' | 'admin or agent token';
  status: Record<Caller, number>;
}

/** A concrete URL path for a Hono pattern: parameters and wildcards get a value no element has. */
export function concrete(pattern: string): string {
  return pattern
    .replace(/:[A-Za-z_]\w*(?:\{([^}]*)\})?\??/g, (_m, re?: string) => {
      // A parameter with its own pattern (`:id{[0-9]+}`) gets a value it accepts, so the route matches.
      if (!re) return 'sweep-x';
      return ['sweep-x', '1', 'a', 'A1'].find((v) => new RegExp(`^(?:${re})$`).test(v)) ?? 'sweep-x';
    })
    .replace(/\*/g, 'sweep-x');
}

export type Send = (method: string, path: string, headers: Record<string, string>, body?: string) => Promise<number>;

export async function sweepHttp(routes: { method: string; path: string }[], send: Send): Promise<Row[]> {
  const rows: Row[] = [];
  for (const r of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const status = {} as Record<Caller, number>;
    const path = concrete(r.path);
    // Writes get an empty object: every write route refuses it (400/404/501) after the auth gate.
    const body = r.method === 'GET' || r.method === 'HEAD' ? undefined : '{}';
    for (const caller of CALLER_NAMES) {
      const headers: Record<string, string> = { ...CALLERS[caller], ...(body ? { 'Content-Type': 'application/json' } : {}) };
      status[caller] = await send(r.method, path, headers, body);
    }
    rows.push({ kind: 'HTTP', method: r.method, path: r.path, needs: requiredRole(r.method, r.path), status });
  }
  return rows;
}

/** The upgrade's HTTP status: 101 when the WebSocket opened, else the refusal's status. */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', () => resolve(0));
  });
}

export async function sweepWs(wsBase: string): Promise<Row[]> {
  const rows: Row[] = [];
  let n = 0;
  for (const [path, spec] of Object.entries(WS_ACCESS)) {
    const status = {} as Record<Caller, number>;
    for (const caller of CALLER_NAMES) {
      // A host ID of its own per attempt: a second connection under one ID is refused (409).
      const headers = { ...CALLERS[caller], 'X-Client-Type': 'sweep', 'X-Host-ID': `sweep-${++n}` };
      status[caller] = await upgradeStatus(wsBase + path, headers);
    }
    rows.push({ kind: 'WS', method: 'GET (upgrade)', path, needs: spec.agentToken ? 'admin or agent token' : spec.role, status });
  }
  return rows;
}

const DENIED = new Set([401, 403]);

/** What a row breaks of the policy; empty when it keeps it. */
export function violations(row: Row): string[] {
  const out: string[] = [];
  const s = row.status;
  const where = `${row.kind} ${row.method} ${row.path}`;
  const want = (caller: Caller, ok: boolean, expected: string) => {
    if (!ok) out.push(`${where}: ${caller} got ${s[caller]}, expected ${expected}`);
  };
  if (row.needs === 'public') {
    // Credentials change nothing on a public route.
    for (const c of CALLER_NAMES) want(c, s[c] === s.admin, `the same as admin (${s.admin})`);
    return out;
  }
  want('anonymous', s.anonymous === 401, '401');
  want('admin', !DENIED.has(s.admin) && s.admin !== 0, 'not 401/403');
  want(
    'viewer',
    row.needs === 'viewer' ? !DENIED.has(s.viewer) && s.viewer !== 0 : s.viewer === 403,
    row.needs === 'viewer' ? 'not 401/403' : '403',
  );
  want(
    'agent',
    row.needs === 'admin or agent token' ? !DENIED.has(s.agent) && s.agent !== 0 : s.agent === 401,
    row.needs === 'admin or agent token' ? 'not 401/403' : '401',
  );
  return out;
}

export function markdown(rows: Row[]): string {
  const head = ['Kind', 'Method', 'Path', 'Needs', ...CALLER_NAMES.map((c) => (c === 'agent' ? 'agent token' : c))];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows)
    lines.push(`| ${[r.kind, r.method, `\`${r.path}\``, r.needs, ...CALLER_NAMES.map((c) => String(r.status[c]))].join(' | ')} |`);
  return lines.join('\n');
}
