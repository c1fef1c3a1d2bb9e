// /ws/subscriber client: SyncRequest → SyncReply, then the change feed. Reconnects by itself
// with backoff and re-syncs, so a collector restart heals without a page reload.
import type { GEdge, GNode } from '../model/types.ts';

export interface SubscriberHandlers {
  onSync(nodes: GNode[], edges: GEdge[]): void;
  onEvent(type: string, obj: GNode | GEdge): void;
  onStatus(connected: boolean, detail: string): void;
}

export class SubscriberClient {
  private ws: WebSocket | undefined;
  private retry = 0;
  private timer: number | undefined;
  private closed = false;
  /** Epoch ms to view the graph at (time travel); undefined = live. */
  time: number | undefined;
  connected = false;
  readonly hostId = `canopy-ui-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly h: SubscriberHandlers) {}

  start(): void {
    this.closed = false;
    this.open();
  }

  stop(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.ws?.close();
  }

  /** Asks for a fresh snapshot (after a time-travel change); live events pause while `time` is set. */
  resync(): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.sendSync(this.ws);
  }

  private sendSync(ws: WebSocket): void {
    const Obj = this.time !== undefined ? { Time: this.time } : {};
    ws.send(JSON.stringify({ Namespace: 'Graph', Type: 'SyncRequest', UUID: crypto.randomUUID?.() ?? String(Date.now()), Obj }));
  }

  private open(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams({ 'x-client-type': 'canopy-ui', 'x-host-id': this.hostId });
    const ws = new WebSocket(`${proto}//${location.host}/ws/subscriber?${q}`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.connected = true;
      this.h.onStatus(true, 'connected');
      this.sendSync(ws);
    };
    ws.onmessage = (m) => {
      let msg: { Type?: string; Obj?: unknown; Status?: number };
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (msg.Type === 'SyncReply') {
        const o = (msg.Obj ?? {}) as { Nodes?: GNode[]; Edges?: GEdge[] };
        if (msg.Status === undefined || msg.Status < 300) this.h.onSync(o.Nodes ?? [], o.Edges ?? []);
        return;
      }
      if (this.time !== undefined || !msg.Type || !msg.Obj) return;
      this.h.onEvent(msg.Type, msg.Obj as GNode);
    };
    ws.onclose = () => {
      this.connected = false;
      if (this.ws !== ws || this.closed) return;
      this.h.onStatus(false, 'disconnected');
      const delay = Math.min(5000, 300 * 2 ** this.retry++);
      this.timer = window.setTimeout(() => this.open(), delay);
    };
  }
}
