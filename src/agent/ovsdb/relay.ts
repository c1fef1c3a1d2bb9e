// The OVSDB relay seam (docs/architecture.md#agent): the collector cannot reach a host's local
// OVSDB (`unix:/var/run/openvswitch/db.sock`), so when it asks (`OvsdbRelayOpen {Session}` on the
// agent connection) the agent dials back `/ws/agent/ovsdb?session=…` with its token and pipes that
// WebSocket to the local endpoint byte for byte. The collector's OVSDB client (src/ovs) then speaks
// JSON-RPC (RFC 7047) over the stream AgentHub.openOvsdb(host) returns; this side parses nothing.
import { connect, type Socket } from 'node:net';
import WebSocket, { createWebSocketStream } from 'ws';
import type { Logger } from '../../util/log.ts';

/** `unix:PATH` or `tcp:IP:PORT` (Open vSwitch's own form) → a connected socket. */
export function connectOvsdb(endpoint: string): Socket {
  if (endpoint.startsWith('unix:')) return connect({ path: endpoint.slice(5) });
  const m = /^tcp:(.+):(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`unsupported OVSDB endpoint ${endpoint} (unix:PATH or tcp:IP:PORT)`);
  return connect({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
}

export interface RelayOptions {
  collectorUrl: string;
  token?: string | undefined;
  hostId: string;
  endpoint: string | undefined;
}

export class OvsdbRelay {
  private readonly open = new Set<{ close(): void }>();
  relays = 0;

  constructor(
    private readonly opts: RelayOptions,
    private readonly log: Logger,
  ) {}

  /** Handles `OvsdbRelayOpen`; `refuse` answers the collector when there is nothing to relay. */
  handle(obj: unknown, refuse: (session: string, error: string) => void): void {
    const session = (obj as { Session?: unknown } | undefined)?.Session;
    if (typeof session !== 'string' || !session) return;
    if (!this.opts.endpoint) return refuse(session, 'this agent has no agent.ovsdb endpoint configured');
    const local = connectOvsdb(this.opts.endpoint);
    local.once('error', (e) => {
      refuse(session, `local OVSDB ${this.opts.endpoint}: ${e.message}`);
      local.destroy();
    });
    local.once('connect', () => {
      const u = new URL(this.opts.collectorUrl);
      u.pathname = '/ws/agent/ovsdb';
      u.search = `?session=${encodeURIComponent(session)}`;
      const headers: Record<string, string> = { 'X-Host-ID': this.opts.hostId, 'X-Client-Type': 'canopy-agent-ovsdb' };
      if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
      const ws = new WebSocket(u.toString(), { headers });
      const stream = createWebSocketStream(ws);
      const entry = {
        close: () => {
          local.destroy();
          ws.terminate();
        },
      };
      this.open.add(entry);
      this.relays++;
      local.removeAllListeners('error');
      const done = () => {
        this.open.delete(entry);
        entry.close();
      };
      local.on('error', done);
      local.on('close', done);
      stream.on('error', done);
      stream.on('close', done);
      local.pipe(stream).pipe(local);
      this.log.info({ endpoint: this.opts.endpoint }, 'OVSDB relay opened');
    });
  }

  stop(): void {
    for (const r of this.open) r.close();
    this.open.clear();
  }
}
