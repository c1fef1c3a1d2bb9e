// One OVSDB server, replicated (docs/architecture.md#ovsdb): connect, list_dbs, get_schema, then the
// best monitor the server offers — monitor_cond_since (update3, resumes from the last transaction
// ID after a reconnect), else monitor_cond (update2 diffs), else RFC 7047 monitor (update). The
// replica is a table → uuid → row map; after each change the owner rebuilds what it derives from
// it. A reconnect with a resume the server cannot honour replaces the replica with the fresh
// snapshot, so rows deleted while we were away disappear and nothing doubles.
import type { Duplex } from 'node:stream';
import type { OvsdbConfig } from './config.ts';
import { parseSchema, ProtocolError } from './datum.ts';
import { openStream, type AgentOpener, type Endpoint } from './endpoint.ts';
import { MONITOR_ID, Replica, type Tables } from './replica.ts';
import { RpcCallError, RpcConnection, type CloseReason } from './rpc.ts';

export type MonitorMethod = 'monitor_cond_since' | 'monitor_cond' | 'monitor';
export type { Tables } from './replica.ts';

export interface ClientEvents {
  /** The replica changed; `resync` when it was replaced by a full snapshot. */
  onChange(resync: boolean): void;
  onConnected?(method: MonitorMethod): void;
  onClose?(reason: CloseReason, detail: string): void;
  onNotification?(method: string): void;
  trace?: (dir: 'in' | 'out', msg: unknown) => void;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class OvsdbClient {
  readonly replica: Replica;
  method: MonitorMethod | null = null;
  connected = false;
  synced = false;
  /** Local address of the connection (what the server sees us as; for agent:, what the agent sees); undefined for unix:. */
  localAddress: string | undefined;
  private rpc: RpcConnection | null = null;
  private stopped = true;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  lastError: string | null = null;
  connects = 0;

  constructor(
    readonly endpoint: Endpoint,
    private readonly cfg: OvsdbConfig,
    /** Table → columns wanted (columns the server's schema lacks are left out). */
    private readonly wanted: Record<string, readonly string[]>,
    private readonly events: ClientEvents,
    /** How an agent:HOST endpoint's stream is opened (the collector's AgentHub). */
    private readonly openAgent?: AgentOpener,
  ) {
    this.backoffMs = cfg.reconnectMin * 1000;
    this.replica = new Replica((resync) => events.onChange(resync));
  }

  get tables(): Tables {
    return this.replica.tables;
  }

  get lastTxnId(): string {
    return this.replica.lastTxnId;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.retryTimer = this.probeTimer = null;
    this.rpc?.close('local', 'stopping');
    this.rpc = null;
  }

  /** A reconnect waiting for its backoff goes now (an agent:HOST endpoint's agent has just connected). */
  retryNow(): void {
    if (this.stopped || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.backoffMs = this.cfg.reconnectMin * 1000;
    void this.connect();
  }

  /** Runs a transaction (RFC 7047 §5.2); rejects when any operation failed. */
  async transact(ops: unknown[]): Promise<unknown[]> {
    if (!this.rpc?.isOpen || !this.synced) throw new Error(`${this.endpoint.text}: not connected`);
    const res = await this.rpc.request('transact', [this.cfg.database, ...ops]);
    if (!Array.isArray(res)) throw new ProtocolError('transact reply is not an array');
    const bad = res.find((r) => isObj(r) && r.error !== undefined && r.error !== null);
    if (bad) throw new RpcCallError('transact', bad);
    return res as unknown[];
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let sock: Duplex;
    try {
      const opened = await openStream(this.endpoint, this.cfg.tls, this.cfg.requestTimeout * 1000, this.openAgent);
      sock = opened.stream;
      this.localAddress = opened.localAddress;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.events.onClose?.('socket', this.lastError);
      return this.retry();
    }
    if (this.stopped) return void sock.destroy();
    const rpc = new RpcConnection(sock, {
      maxMessageBytes: this.cfg.maxMessageBytes,
      requestTimeoutMs: this.cfg.requestTimeout * 1000,
      onNotification: (m, p) => this.onNotification(m, p),
      onClose: (reason, detail) => {
        if (this.rpc !== rpc) return;
        this.rpc = null;
        this.connected = this.synced = false;
        if (this.probeTimer) clearInterval(this.probeTimer);
        this.probeTimer = null;
        if (reason !== 'local') this.lastError = `${reason}: ${detail}`;
        this.events.onClose?.(reason, detail);
        this.retry();
      },
      trace: this.events.trace,
    });
    this.rpc = rpc;
    this.connected = true;
    try {
      await this.handshake(rpc);
    } catch (e) {
      const msg = (e as Error).message;
      rpc.close(e instanceof ProtocolError ? 'protocol' : 'socket', msg);
      return;
    }
    this.connects++;
    this.backoffMs = this.cfg.reconnectMin * 1000;
    this.lastError = null;
    const probeMs = this.cfg.probeInterval * 1000;
    this.probeTimer = setInterval(() => {
      const idle = Date.now() - rpc.lastReceived;
      if (idle > probeMs + this.cfg.requestTimeout * 1000) rpc.close('timeout', `no message for ${idle} ms`);
      else if (idle >= probeMs) rpc.probe();
    }, probeMs / 2);
    this.probeTimer.unref();
  }

  private retry(): void {
    if (this.stopped || this.retryTimer) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.cfg.reconnectMax * 1000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, wait);
    this.retryTimer.unref();
  }

  private async handshake(rpc: RpcConnection): Promise<void> {
    const dbs = await rpc.request('list_dbs', []);
    if (!Array.isArray(dbs) || !dbs.every((d) => typeof d === 'string')) throw new ProtocolError('list_dbs: not a list of names');
    if (!dbs.includes(this.cfg.database)) throw new Error(`database ${this.cfg.database} not served (has ${dbs.join(', ')})`);
    const requests = this.replica.setSchema(parseSchema(await rpc.request('get_schema', [this.cfg.database])), this.wanted);
    // Prefer the newest monitor; an older server answers the unknown method with an error.
    const order: MonitorMethod[] = this.method
      ? [this.method, 'monitor_cond', 'monitor']
      : ['monitor_cond_since', 'monitor_cond', 'monitor'];
    for (const m of [...new Set(order)]) {
      try {
        await this.monitor(rpc, m, requests);
        this.method = m;
        this.synced = true;
        this.events.onConnected?.(m);
        return;
      } catch (e) {
        if (!(e instanceof RpcCallError)) throw e;
      }
    }
    throw new Error('the server accepted none of monitor_cond_since, monitor_cond, monitor');
  }

  private async monitor(rpc: RpcConnection, m: MonitorMethod, requests: Record<string, unknown>): Promise<void> {
    // The snapshot is applied as the reply is dispatched: updates may follow in the same read.
    if (m === 'monitor_cond_since') {
      await rpc.request(m, [this.cfg.database, MONITOR_ID, requests, this.replica.lastTxnId], (res) => {
        if (!Array.isArray(res) || res.length !== 3 || typeof res[0] !== 'boolean' || typeof res[1] !== 'string')
          throw new ProtocolError('monitor_cond_since: reply is not [found, last-txn-id, updates]');
        // found: only what happened since our last transaction; otherwise a full snapshot.
        this.replica.applyUpdates2(res[2], !res[0]);
        this.replica.lastTxnId = res[1];
      });
      return;
    }
    if (m === 'monitor_cond') {
      await rpc.request(m, [this.cfg.database, MONITOR_ID, requests], (res) => this.replica.applyUpdates2(res, true));
      return;
    }
    await rpc.request(m, [this.cfg.database, MONITOR_ID, requests], (res) => this.replica.applyUpdates(res, true));
  }

  private onNotification(method: string, params: unknown): void {
    this.events.onNotification?.(method);
    this.replica.notification(method, params);
  }
}
