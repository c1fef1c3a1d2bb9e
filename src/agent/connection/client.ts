// The agent's connection to the collector (docs/architecture.md#agent): dials /ws/agent with its
// token and host ID, sends a full `Sync` of its sub-graph on every (re)connection, then increments.
// Lost connections are retried with doubling backoff. Increments made while disconnected are kept
// (bounded, oldest dropped) and replayed with the time they happened before the re-sync, so the
// history keeps a flap that happened during the outage; the Sync then makes the state exact.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Logger } from '../../util/log.ts';
import { RateLimitedLog } from '../../util/log.ts';
import type { GraphEventOut } from '../graph/diff.ts';
import type { SubGraph } from '../graph/build.ts';

export interface ConnectionOptions {
  url: string;
  token?: string | undefined;
  hostId: string;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  bufferSize: number;
  /** The current sub-graph, for a Sync. */
  current(): SubGraph;
  /** Messages from the collector other than Error frames (relay requests …). */
  onControl(type: string, obj: unknown): void;
}

interface Buffered {
  ev: GraphEventOut;
  at: number;
}

export function agentUrl(collector: string): string {
  const u = new URL(collector);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws/agent';
  return u.toString();
}

export class AgentConnection {
  private ws: WebSocket | undefined;
  private open = false;
  private stopped = false;
  private backoff: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly buffer: Buffered[] = [];
  private readonly warn: RateLimitedLog;
  readonly stats = { connects: 0, syncs: 0, sent: 0, buffered: 0, dropped: 0, errorsFromCollector: 0, lastError: '' };

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly log: Logger,
  ) {
    this.backoff = opts.reconnectMinMs;
    this.warn = new RateLimitedLog(log);
  }

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    this.stopped = false;
    this.dial();
  }

  private dial(): void {
    if (this.stopped) return;
    const headers: Record<string, string> = {
      'X-Host-ID': this.opts.hostId,
      'X-Client-Type': 'canopy-agent',
      'X-Client-Protocol': 'json',
      'X-Persistence-Policy': 'Persistent',
    };
    if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
    const ws = new WebSocket(agentUrl(this.opts.url), { headers, handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('open', () => {
      this.open = true;
      this.stats.connects++;
      this.backoff = this.opts.reconnectMinMs;
      this.log.info({ url: this.opts.url }, 'connected to the collector');
      this.resync();
    });
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('unexpected-response', (_req, res) => {
      this.stats.lastError = `HTTP ${res.statusCode}`;
      this.warn.warn('refused', { status: res.statusCode }, 'collector refused the agent connection');
      ws.terminate();
    });
    ws.on('error', (e) => {
      this.stats.lastError = e.message;
      this.warn.warn('ws-error', { err: e.message }, 'collector connection error');
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.open = false;
      this.ws = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.dial(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.opts.reconnectMaxMs);
    });
  }

  private onMessage(text: string): void {
    let m: { Type?: unknown; Obj?: unknown; Status?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    if (m.Type === 'Error') {
      this.stats.errorsFromCollector++;
      this.warn.warn('collector-error', { obj: m.Obj, status: m.Status }, 'collector answered with an error');
      return;
    }
    if (typeof m.Type === 'string') this.opts.onControl(m.Type, m.Obj);
  }

  private frame(Type: string, Obj: unknown): string {
    return JSON.stringify({ Namespace: 'Graph', Type, UUID: randomUUID(), Status: 200, Obj });
  }

  /** Replays what happened offline (the newest bufferSize increments), then Syncs. */
  private resync(): void {
    const ws = this.ws;
    if (!ws || !this.open) return;
    for (const b of this.buffer) ws.send(this.frame(b.ev.Type, { ...b.ev.Obj, UpdatedAt: b.at }));
    this.buffer.length = 0;
    const g = this.opts.current();
    ws.send(this.frame('Sync', { Nodes: [...g.nodes.values()], Edges: [...g.edges.values()] }));
    this.stats.syncs++;
  }

  /** Sends increments now, or keeps them for the next connection. */
  send(events: GraphEventOut[]): void {
    if (events.length === 0) return;
    if (this.open && this.ws) {
      for (const ev of events) this.ws.send(this.frame(ev.Type, ev.Obj));
      this.stats.sent += events.length;
      return;
    }
    const at = Date.now();
    for (const ev of events) {
      if (this.buffer.length >= this.opts.bufferSize) {
        this.buffer.shift();
        this.stats.dropped++;
      }
      if (this.opts.bufferSize > 0) this.buffer.push({ ev, at });
      else this.stats.dropped++;
    }
    this.stats.buffered = this.buffer.length;
  }

  /** Raw control frame to the collector (relay answers). */
  control(Type: string, Obj: unknown): void {
    if (this.open && this.ws) this.ws.send(this.frame(Type, Obj));
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    this.open = false;
    if (!ws) return Promise.resolve();
    return new Promise((r) => {
      ws.once('close', () => r());
      ws.close();
      setTimeout(() => {
        ws.terminate();
        r();
      }, 1000).unref();
    });
  }
}
