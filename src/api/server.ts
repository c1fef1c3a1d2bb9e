// Listens on api.listen (one or more addresses) and routes WebSocket upgrades.
import { createAdaptorServer } from '@hono/node-server';
import { createServer as createHttpsServer } from 'node:https';
import type { Server, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GraphStore } from '../topology/store/graph-store.ts';
import { RateLimitedLog, type Logger } from '../util/log.ts';
import type { Registry } from 'prom-client';
import { counter, gauge, preset } from '../util/metrics.ts';
import type { ApiTls } from './tls.ts';
import { listenList, parseListen, formatListen } from '../util/listen.ts';
import { authRefusals, type ApiApp } from './app.ts';
import { WriteFailures } from '../util/write-failures.ts';
import { Auth, cookieToken } from './auth.ts';
import { Subscriber } from './ws/subscriber.ts';
import { PUBLISHER_DROP_REASONS, Publisher } from './ws/publisher.ts';
import type { FilterCompiler } from './ws/filter.ts';
import type { AgentHub } from './ws/agents.ts';
import { WS_GAPS } from './skydive-routes.ts';

export interface ApiServerDeps {
  app: ApiApp;
  store: GraphStore;
  auth: Auth;
  log: Logger;
  registry: Registry;
  compileFilter: FilterCompiler;
  /** Host agents (liveness, DOWN, OVSDB relay); without it /ws/agent is a plain publisher. */
  agents?: AgentHub | undefined;
  /** Messages above this close the connection with 1009 (api.wsMaxMessageBytes). */
  maxMessageBytes?: number;
  /** Certificate and key (api.tls): every address serves HTTPS and WSS only. */
  tls?: ApiTls | undefined;
}

/**
 * The WebSocket endpoints and who may open them: `role` is the least user role, `agentToken` whether
 * an agent token is accepted too. The upgrade handler and the security test both read this table.
 */
export const WS_ACCESS: Readonly<Record<string, { kind: 'subscriber' | 'publisher'; role: 'viewer' | 'admin'; agentToken: boolean }>> = {
  '/ws/subscriber': { kind: 'subscriber', role: 'viewer', agentToken: false },
  '/ws/publisher': { kind: 'publisher', role: 'admin', agentToken: false },
  '/ws/agent': { kind: 'publisher', role: 'admin', agentToken: true },
  '/ws/agent/ovsdb': { kind: 'publisher', role: 'admin', agentToken: true },
};

export interface ApiServer {
  addresses: string[];
  close(): Promise<void>;
}

function reject(socket: Duplex, status: number, reason: string, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title: reason, status, detail });
  socket.write(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroy();
}

/** Skydive clients send these as headers or as lower-case query parameters. */
function param(req: IncomingMessage, url: URL, name: string): string | undefined {
  const h = req.headers[name];
  if (typeof h === 'string' && h) return h;
  return url.searchParams.get(name) ?? undefined;
}

export async function startApiServer(listen: string | string[], deps: ApiServerDeps): Promise<ApiServer> {
  const { log, store, auth } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxMessageBytes ?? 64 * 1024 * 1024 });
  const tooLarge = counter(deps.registry, 'canopy_api_too_large_total', 'Request bodies and WebSocket messages refused for their size', [
    'kind',
  ]);
  preset(tooLarge, { kind: ['http_body', 'ws_message'] });
  const wsErrors = log.child({ ws: 'protocol' });
  const refused = authRefusals(deps.registry);
  const refusedLog = new RateLimitedLog(log);
  // ws closes the connection itself (1009 for size, 1002 for a bad frame); without a listener its
  // 'error' event would be thrown and take the collector down.
  const watch = (ws: WebSocket) =>
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooLarge.inc({ kind: 'ws_message' });
      wsErrors.debug({ code: err.code }, 'WebSocket connection error');
    });
  const connected = new Map<string, Set<string>>([
    ['subscriber', new Set()],
    ['publisher', new Set()],
  ]);
  const wsClients = gauge(deps.registry, 'canopy_ws_clients', 'Connected WebSocket clients', ['endpoint']);
  for (const endpoint of ['subscriber', 'publisher']) wsClients.inc({ endpoint }, 0);
  const invalid = counter(deps.registry, 'canopy_ws_invalid_elements_total', 'Elements from publishers dropped as invalid', ['reason']);
  preset(invalid, { reason: PUBLISHER_DROP_REASONS });
  const writeFailures = new WriteFailures(deps.registry, log);
  const sockets = new Set<WebSocket>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const endpoint = url.pathname.replace(/\/+$/, '');
    // Skydive's endpoints Canopy does not serve say why (docs/architecture.md#skydive-routes).
    const gap = WS_GAPS[endpoint];
    if (gap) return reject(socket, 501, 'Not Implemented', gap);
    const spec = Object.hasOwn(WS_ACCESS, endpoint) ? WS_ACCESS[endpoint] : undefined;
    if (!spec) return reject(socket, 404, 'Not Found', `no WebSocket at ${url.pathname}`);
    const kind = spec.kind;
    const principal = auth.authenticate(
      {
        cookie: cookieToken(req.headers.cookie),
        authorization: req.headers.authorization,
        xAuthToken: typeof req.headers['x-auth-token'] === 'string' ? req.headers['x-auth-token'] : undefined,
        queryToken: url.searchParams.get('x-auth-token') ?? undefined,
      },
      { allowAgentToken: spec.agentToken },
    );
    if (!principal) {
      const sent =
        req.headers.authorization || req.headers['x-auth-token'] || url.searchParams.has('x-auth-token') || cookieToken(req.headers.cookie);
      refused.inc({ endpoint: 'ws', reason: sent ? 'bad_credentials' : 'missing' });
      if (sent) refusedLog.warn('ws', { path: endpoint, remote: req.socket.remoteAddress }, 'WebSocket credentials refused');
      return reject(socket, 401, 'Unauthorized', 'missing or bad credentials');
    }
    if (spec.role === 'admin' && principal.role !== 'admin') {
      refused.inc({ endpoint: 'ws', reason: 'forbidden' });
      return reject(socket, 403, 'Forbidden', `${endpoint} needs the admin role${spec.agentToken ? ' or an agent token' : ''}`);
    }
    // Required, but Skydive's older Python client sends it empty by default and Skydive took that.
    const clientType = param(req, url, 'x-client-type') ?? (req.headers['x-client-type'] === '' ? 'unknown' : undefined);
    if (clientType === undefined) return reject(socket, 400, 'Bad Request', 'X-Client-Type is required');
    const protocol = param(req, url, 'x-client-protocol') ?? 'json';
    if (protocol !== 'json') return reject(socket, 400, 'Bad Request', `X-Client-Protocol ${protocol} is not supported (json only)`);
    let hostId = param(req, url, 'x-host-id') ?? `${clientType}-${req.socket.remoteAddress}:${req.socket.remotePort}`;
    // An agent token is bound to one host: the origin comes from the token, never from the header.
    if (endpoint.startsWith('/ws/agent') && principal.kind === 'agent' && principal.host) {
      if (param(req, url, 'x-host-id') !== undefined && hostId !== principal.host)
        return reject(socket, 403, 'Forbidden', `this agent token is bound to host ${principal.host}, not ${hostId}`);
      hostId = principal.host;
    }
    if (endpoint === '/ws/agent/ovsdb') {
      const session = url.searchParams.get('session') ?? '';
      if (!deps.agents?.hasRelay(session)) return reject(socket, 404, 'Not Found', 'no OVSDB relay was requested with this session');
      wss.handleUpgrade(req, socket, head, (ws) => {
        watch(ws);
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        if (!deps.agents?.acceptRelay(ws, hostId, session)) ws.close(4403, 'relay session belongs to another host');
      });
      return;
    }
    const ids = connected.get(kind)!;
    if (ids.has(hostId)) return reject(socket, 409, 'Conflict', `a client with host ID ${hostId} is already connected`);
    const filterText = kind === 'subscriber' ? param(req, url, 'x-gremlin-filter') : undefined;
    let filterError: string | undefined;
    if (filterText) {
      try {
        deps.compileFilter(filterText);
      } catch (e) {
        filterError = (e as Error).message;
      }
    }
    if (filterError) return reject(socket, 400, 'Bad Request', `bad X-Gremlin-Filter: ${filterError}`);

    wss.handleUpgrade(req, socket, head, (ws) => {
      watch(ws);
      ids.add(hostId);
      sockets.add(ws);
      wsClients.inc({ endpoint: kind });
      const child = log.child({ ws: kind, hostId, clientType });
      const done = () => {
        ids.delete(hostId);
        sockets.delete(ws);
        wsClients.dec({ endpoint: kind });
      };
      if (kind === 'subscriber') {
        new Subscriber(ws, store, deps.compileFilter, filterText, child);
        ws.on('close', done);
      } else {
        const agent = endpoint === '/ws/agent';
        const origin = agent ? `agent.${hostId}` : `publisher.${hostId}`;
        const policy = param(req, url, 'x-persistence-policy') ?? 'Persistent';
        const opts = {
          origin,
          host: hostId,
          deleteOnDisconnect: policy === 'DeleteOnDisconnect',
          invalid,
          errorFrames: agent,
          writeFailures,
        };
        new Publisher(ws, store, opts, child, done);
        if (agent) deps.agents?.attach(ws, hostId, req.socket.remoteAddress);
      }
      child.info('WebSocket client connected');
    });
  };

  const servers: Server[] = [];
  const addresses: string[] = [];
  for (const l of listenList(listen)) {
    const { host, port } = parseListen(l);
    const server = (
      deps.tls
        ? createAdaptorServer({
            fetch: deps.app.fetch,
            createServer: createHttpsServer,
            serverOptions: { cert: deps.tls.cert, key: deps.tls.key },
          })
        : createAdaptorServer({ fetch: deps.app.fetch })
    ) as Server;
    server.on('upgrade', onUpgrade);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    addresses.push(formatListen({ host: a.address, port: a.port }));
    servers.push(server);
  }
  return {
    addresses,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections?.();
              s.close(() => r());
            }),
        ),
      );
    },
  };
}
