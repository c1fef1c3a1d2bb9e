// Listens on api.listen (one or more addresses) and routes WebSocket upgrades.
import { createAdaptorServer } from '@hono/node-server';
import type { Server, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GraphStore } from '../topology/store/graph-store.ts';
import type { Logger } from '../util/log.ts';
import type { Registry } from 'prom-client';
import { counter, gauge, preset } from '../util/metrics.ts';
import { listenList, parseListen, formatListen } from '../util/listen.ts';
import { WriteFailures } from '../util/write-failures.ts';
import type { ApiApp } from './app.ts';
import { Auth, cookieToken } from './auth.ts';
import { Subscriber } from './ws/subscriber.ts';
import { PUBLISHER_DROP_REASONS, Publisher } from './ws/publisher.ts';
import type { FilterCompiler } from './ws/filter.ts';
import type { AgentHub } from './ws/agents.ts';

export interface ApiServerDeps {
  app: ApiApp;
  store: GraphStore;
  auth: Auth;
  log: Logger;
  registry: Registry;
  compileFilter: FilterCompiler;
  /** Host agents (liveness, DOWN, OVSDB relay); without it /ws/agent is a plain publisher. */
  agents?: AgentHub | undefined;
}

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
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
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
    if (!['/ws/subscriber', '/ws/publisher', '/ws/agent', '/ws/agent/ovsdb'].includes(endpoint))
      return reject(socket, 404, 'Not Found', `no WebSocket at ${url.pathname}`);
    const kind = endpoint === '/ws/subscriber' ? 'subscriber' : 'publisher';
    const principal = auth.authenticate(
      {
        cookie: cookieToken(req.headers.cookie),
        authorization: req.headers.authorization,
        xAuthToken: typeof req.headers['x-auth-token'] === 'string' ? req.headers['x-auth-token'] : undefined,
        queryToken: url.searchParams.get('x-auth-token') ?? undefined,
      },
      { allowAgentToken: endpoint.startsWith('/ws/agent') },
    );
    if (!principal) return reject(socket, 401, 'Unauthorized', 'missing or bad credentials');
    if (kind === 'publisher' && principal.role !== 'admin')
      return reject(socket, 403, 'Forbidden', 'publishing needs the admin role or an agent token');
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
    const server = createAdaptorServer({ fetch: deps.app.fetch }) as Server;
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
