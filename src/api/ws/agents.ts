// The collector's side of host agents (docs/architecture.md#agent): who is connected, liveness by
// ping/pong, and the host's `State=DOWN` once its agent has been gone longer than `agents.downAfter`
// (the host stays in the graph: it may only have lost its agent). /ws/agent connections are
// Publishers (./publisher.ts) with origin `agent.<host>`; this hub watches them.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';
import type { Registry } from 'prom-client';
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { Logger } from '../../util/log.ts';
import { counter, gauge } from '../../util/metrics.ts';
import { WriteFailures } from '../../util/write-failures.ts';
import { envelope, parseEnvelope } from './envelope.ts';

export interface AgentHubOptions {
  downAfterMs: number;
  pingIntervalMs: number;
  /** How long openOvsdb waits for the agent to dial back. */
  relayTimeoutMs?: number;
}

interface AgentState {
  host: string;
  origin: string;
  ws: WebSocket | undefined;
  remote: string | undefined;
  /** Our address on the agent's connection (where the agent reaches us). */
  local: string | undefined;
  connectedAt: number | undefined;
  disconnectedAt: number | undefined;
  lastPong: number | undefined;
  missed: number;
  state: 'UP' | 'DOWN';
  pinger: NodeJS.Timeout | undefined;
  downTimer: NodeJS.Timeout | undefined;
  connections: number;
}

interface PendingRelay {
  host: string;
  resolve: (s: Duplex) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export const agentOrigin = (host: string) => `agent.${host}`;

/** An agent's message the Publisher does not handle (capture answers, flows): `Type`, `Obj`. */
export type AgentMessageHandler = (host: string, type: string, obj: unknown) => void;

export class AgentHub {
  private readonly agents = new Map<string, AgentState>();
  private readonly connectListeners: ((host: string) => void)[] = [];
  private readonly messageHandlers = new Map<string, AgentMessageHandler>();
  private readonly relays = new Map<string, PendingRelay>();
  private readonly connected;
  private readonly disconnects;
  private readonly downs;
  private readonly writeFailures: WriteFailures;

  constructor(
    private readonly store: GraphStore,
    private readonly opts: AgentHubOptions,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.connected = gauge(registry, 'canopy_agents_connected', 'Host agents connected to /ws/agent');
    this.disconnects = counter(registry, 'canopy_agent_disconnects_total', 'Agent connections ended, by reason', ['reason']);
    this.downs = counter(registry, 'canopy_agent_hosts_down_total', 'Hosts marked DOWN because their agent was gone longer than downAfter');
    this.writeFailures = new WriteFailures(registry, log);
    for (const reason of ['closed', 'ping_timeout']) this.disconnects.inc({ reason }, 0);
  }

  /**
   * After a collector restart no agent is connected yet: every host an agent published gets its
   * downAfter from now, so a host whose agent never returns still turns DOWN.
   */
  start(): void {
    for (const n of this.store.findNodes('Type', 'host')) {
      if (!n.Origin.startsWith('agent.') || n.Metadata.State === 'DOWN') continue;
      const host = n.Origin.slice('agent.'.length);
      const a = this.entry(host);
      if (!a.ws) this.scheduleDown(a);
    }
  }

  stop(): void {
    for (const a of this.agents.values()) {
      if (a.pinger) clearInterval(a.pinger);
      if (a.downTimer) clearTimeout(a.downTimer);
      a.pinger = a.downTimer = undefined;
    }
    for (const [s, r] of this.relays) {
      clearTimeout(r.timer);
      r.reject(new Error('collector stopping'));
      this.relays.delete(s);
    }
  }

  private entry(host: string): AgentState {
    let a = this.agents.get(host);
    if (!a) {
      a = {
        host,
        origin: agentOrigin(host),
        ws: undefined,
        remote: undefined,
        local: undefined,
        connectedAt: undefined,
        disconnectedAt: undefined,
        lastPong: undefined,
        missed: 0,
        state: 'UP',
        pinger: undefined,
        downTimer: undefined,
        connections: 0,
      };
      this.agents.set(host, a);
    }
    return a;
  }

  /** A /ws/agent connection for `host` was accepted (its Publisher handles the messages). */
  attach(ws: WebSocket, host: string, remote: string | undefined): void {
    const a = this.entry(host);
    if (a.downTimer) clearTimeout(a.downTimer);
    a.downTimer = undefined;
    a.ws = ws;
    a.remote = remote;
    a.local = (ws as unknown as { _socket?: { localAddress?: string } })._socket?.localAddress;
    a.connectedAt = Date.now();
    a.lastPong = Date.now();
    a.missed = 0;
    a.state = 'UP';
    a.connections++;
    this.connected.inc();
    ws.on('pong', () => {
      a.missed = 0;
      a.lastPong = Date.now();
    });
    ws.on('message', (data) => this.onControl(host, String(data)));
    let reason: 'closed' | 'ping_timeout' = 'closed';
    a.pinger = setInterval(() => {
      // Two pings unanswered: the agent (or the path to it) is gone even if TCP has not noticed.
      if (a.missed >= 2) {
        reason = 'ping_timeout';
        ws.terminate();
        return;
      }
      a.missed++;
      ws.ping();
    }, this.opts.pingIntervalMs);
    a.pinger.unref();
    ws.on('close', () => {
      if (a.pinger) clearInterval(a.pinger);
      a.pinger = undefined;
      if (a.ws !== ws) return;
      a.ws = undefined;
      a.disconnectedAt = Date.now();
      this.connected.dec();
      this.disconnects.inc({ reason });
      this.log.info({ host, reason }, 'agent disconnected');
      this.scheduleDown(a);
    });
    for (const f of this.connectListeners) f(host);
  }

  /** Called for each agent connection (after its socket is set up): per-host state to resend. */
  onConnect(f: (host: string) => void): void {
    this.connectListeners.push(f);
  }

  /** Handles an agent's messages of `type` (its Publisher ignores them). */
  onMessage(type: string, f: AgentMessageHandler): void {
    this.messageHandlers.set(type, f);
  }

  /** A control message to `host`'s agent; false when it is not connected. */
  send(host: string, type: string, obj: unknown): boolean {
    const ws = this.agents.get(host)?.ws;
    if (!ws || ws.readyState !== ws.OPEN) return false;
    ws.send(JSON.stringify(envelope(type, obj)));
    return true;
  }

  isConnected(host: string): boolean {
    return this.agents.get(host)?.ws !== undefined;
  }

  private scheduleDown(a: AgentState): void {
    if (a.downTimer) clearTimeout(a.downTimer);
    a.downTimer = setTimeout(() => this.markDown(a), this.opts.downAfterMs);
    a.downTimer.unref();
  }

  /** The agent's host node(s) get State=DOWN; interfaces and the stitcher's links stay. */
  private markDown(a: AgentState): void {
    a.downTimer = undefined;
    if (a.ws) return;
    a.state = 'DOWN';
    const hosts = this.store.idsByOrigin(a.origin).nodes.filter((id) => this.store.getNode(id)?.Metadata.Type === 'host');
    try {
      this.store.write((tx) => {
        for (const id of hosts) tx.upsertNode({ ID: id, Metadata: { State: 'DOWN', AgentState: 'DOWN' } }, { merge: true });
      });
    } catch (err) {
      // A timer: a failed write (disk full) is counted and tried again, never thrown.
      this.writeFailures.record('graph', err, hosts.length);
      this.scheduleDown(a);
      return;
    }
    this.downs.inc();
    this.log.warn({ host: a.host, nodes: hosts.length }, 'agent gone longer than downAfter: host marked DOWN');
  }

  // ---- OVSDB relay seam -------------------------------------------------------------------------

  /** Messages the Publisher does not handle: the agent's answers about relays. */
  private onControl(host: string, text: string): void {
    // Cheap test first: graph events are most of the traffic and are the Publisher's.
    if (!text.includes('OvsdbRelay')) {
      if (this.messageHandlers.size === 0 || !text.includes('"Type":"Capture')) return;
      const m = parseEnvelope(text);
      const h = m ? this.messageHandlers.get(m.Type) : undefined;
      if (m && h) h(host, m.Type, m.Obj);
      return;
    }
    const m = parseEnvelope(text);
    if (m?.Type !== 'OvsdbRelayError') return;
    const o = (m.Obj ?? {}) as { Session?: string; Error?: string };
    const r = o.Session ? this.relays.get(o.Session) : undefined;
    if (!r || r.host !== host) return;
    clearTimeout(r.timer);
    this.relays.delete(o.Session!);
    r.reject(new Error(`agent ${host}: ${o.Error ?? 'OVSDB relay refused'}`));
  }

  /**
   * A byte stream to the OVSDB server local to `host` (the agent's `agent.ovsdb`): the agent is asked
   * over its connection and dials back `/ws/agent/ovsdb?session=…`; JSON-RPC then flows unchanged.
   * This is what src/ovs's client opens for an `agent:<host>` endpoint.
   */
  openOvsdb(host: string): Promise<Duplex> {
    const a = this.agents.get(host);
    if (!a?.ws) return Promise.reject(new Error(`agent ${host} is not connected`));
    const session = randomUUID();
    return new Promise<Duplex>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.relays.delete(session);
        reject(new Error(`agent ${host} did not open its OVSDB relay`));
      }, this.opts.relayTimeoutMs ?? 10_000);
      this.relays.set(session, { host, resolve, reject, timer });
      a.ws!.send(JSON.stringify(envelope('OvsdbRelayOpen', { Session: session })));
    });
  }

  /** openOvsdb, with our address on the agent's connection (the sFlow target OVS on that host can reach). */
  async openOvsdbStream(host: string): Promise<{ stream: Duplex; localAddress: string | undefined }> {
    const stream = await this.openOvsdb(host);
    return { stream, localAddress: this.agents.get(host)?.local };
  }

  /** The agent dialled back for `session`; false when no such request is waiting for this host. */
  acceptRelay(ws: WebSocket, host: string, session: string): boolean {
    const r = this.relays.get(session);
    if (!r || r.host !== host) return false;
    clearTimeout(r.timer);
    this.relays.delete(session);
    r.resolve(createWebSocketStream(ws));
    return true;
  }

  hasRelay(session: string): boolean {
    return this.relays.has(session);
  }

  /** /api/status components.agents. */
  status(): Record<string, unknown> {
    const list = [...this.agents.values()].map((a) => ({
      host: a.host,
      origin: a.origin,
      connected: a.ws !== undefined,
      state: a.ws ? 'UP' : a.state,
      remote: a.remote,
      connectedAt: a.connectedAt,
      disconnectedAt: a.disconnectedAt,
      lastPong: a.lastPong,
      connections: a.connections,
    }));
    return { connected: list.filter((a) => a.connected).length, agents: list };
  }
}
