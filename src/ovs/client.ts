// One OVSDB server, replicated (docs/architecture.md#ovsdb): connect, list_dbs, get_schema, then the
// best monitor the server offers — monitor_cond_since (update3, resumes from the last transaction
// ID after a reconnect), else monitor_cond (update2 diffs), else RFC 7047 monitor (update). The
// replica is a table → uuid → row map; after each change the owner rebuilds what it derives from
// it. A reconnect with a resume the server cannot honour replaces the replica with the fresh
// snapshot, so rows deleted while we were away disappear and nothing doubles.
import type { Socket } from 'node:net';
import type { OvsdbConfig } from './config.ts';
import { applyDiff, decodeRow, decodeValue, parseSchema, ProtocolError, type DbSchema, type Row, type TableSchema } from './datum.ts';
import { openSocket, type Endpoint } from './endpoint.ts';
import { RpcCallError, RpcConnection, type CloseReason } from './rpc.ts';

export type MonitorMethod = 'monitor_cond_since' | 'monitor_cond' | 'monitor';
export type Tables = Map<string, Map<string, Row>>;

export interface ClientEvents {
  /** The replica changed; `resync` when it was replaced by a full snapshot. */
  onChange(resync: boolean): void;
  onConnected?(method: MonitorMethod): void;
  onClose?(reason: CloseReason, detail: string): void;
  onNotification?(method: string): void;
  trace?: (dir: 'in' | 'out', msg: unknown) => void;
}

const ZERO_TXN = '00000000-0000-0000-0000-000000000000';
const MONITOR_ID = 'canopy';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class OvsdbClient {
  readonly tables: Tables = new Map();
  schema: DbSchema | null = null;
  method: MonitorMethod | null = null;
  lastTxnId = ZERO_TXN;
  connected = false;
  synced = false;
  /** Local address of the connection (what the server sees us as); undefined for unix:. */
  localAddress: string | undefined;
  private rpc: RpcConnection | null = null;
  private stopped = true;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private columns = new Map<string, string[]>();
  lastError: string | null = null;
  connects = 0;

  constructor(
    readonly endpoint: Endpoint,
    private readonly cfg: OvsdbConfig,
    /** Table → columns wanted (columns the server's schema lacks are left out). */
    private readonly wanted: Record<string, readonly string[]>,
    private readonly events: ClientEvents,
  ) {
    this.backoffMs = cfg.reconnectMin * 1000;
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
    let sock: Socket;
    try {
      sock = await openSocket(this.endpoint, this.cfg.tls, this.cfg.requestTimeout * 1000);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.events.onClose?.('socket', this.lastError);
      return this.retry();
    }
    if (this.stopped) return void sock.destroy();
    this.localAddress = this.endpoint.kind === 'unix' ? undefined : sock.localAddress;
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
    const schema = parseSchema(await rpc.request('get_schema', [this.cfg.database]));
    this.schema = schema;
    const requests: Record<string, { columns: string[] }> = {};
    this.columns.clear();
    for (const [t, cols] of Object.entries(this.wanted)) {
      const ts = schema.tables.get(t);
      if (!ts) continue;
      const have = cols.filter((c) => ts.columns.has(c));
      this.columns.set(t, have);
      requests[t] = { columns: have };
    }
    // Prefer the newest monitor; an older server answers the unknown method with an error.
    const order: MonitorMethod[] = this.method ? [this.method, 'monitor_cond', 'monitor'] : ['monitor_cond_since', 'monitor_cond', 'monitor'];
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
      await rpc.request(m, [this.cfg.database, MONITOR_ID, requests, this.lastTxnId], (res) => {
        if (!Array.isArray(res) || res.length !== 3 || typeof res[0] !== 'boolean' || typeof res[1] !== 'string')
          throw new ProtocolError('monitor_cond_since: reply is not [found, last-txn-id, updates]');
        // found: only what happened since our last transaction; otherwise a full snapshot.
        this.applyUpdates2(res[2], !res[0]);
        this.lastTxnId = res[1];
      });
      return;
    }
    if (m === 'monitor_cond') {
      await rpc.request(m, [this.cfg.database, MONITOR_ID, requests], (res) => this.applyUpdates2(res, true));
      return;
    }
    await rpc.request(m, [this.cfg.database, MONITOR_ID, requests], (res) => this.applyUpdates(res, true));
  }

  private onNotification(method: string, params: unknown): void {
    this.events.onNotification?.(method);
    if (!Array.isArray(params)) throw new ProtocolError(`${method}: params is not an array`);
    if (method === 'update' || method === 'update2') {
      if (params.length !== 2 || params[0] !== MONITOR_ID) throw new ProtocolError(`${method}: not for our monitor`);
      if (method === 'update') this.applyUpdates(params[1], false);
      else this.applyUpdates2(params[1], false);
    } else if (method === 'update3') {
      if (params.length !== 3 || params[0] !== MONITOR_ID || typeof params[1] !== 'string') throw new ProtocolError('update3: malformed params');
      this.applyUpdates2(params[2], false);
      this.lastTxnId = params[1];
    }
    // Other notifications (locked, stolen, monitor_canceled …) need nothing from a read-only replica.
    else if (method === 'monitor_canceled') throw new ProtocolError('the server cancelled our monitor');
  }

  private tableOf(name: string): { schema: TableSchema; cols: string[] } {
    const schema = this.schema?.tables.get(name);
    const cols = this.columns.get(name);
    if (!schema || !cols) throw new ProtocolError(`update for a table we did not monitor: ${name.slice(0, 40)}`);
    return { schema, cols };
  }

  /** RFC 7047 table-updates: {table: {uuid: {old?, new?}}}; new carries every monitored column. */
  private applyUpdates(v: unknown, replace: boolean): void {
    if (!isObj(v)) throw new ProtocolError('table-updates is not an object');
    const next = this.staged(v, replace);
    for (const [t, rows] of Object.entries(v)) {
      const { schema, cols } = this.tableOf(t);
      if (!isObj(rows)) throw new ProtocolError(`${t}: not an object`);
      const table = next.get(t)!;
      for (const [uuid, u] of Object.entries(rows)) {
        if (!isObj(u)) throw new ProtocolError(`${t}/${uuid}: row update is not an object`);
        if (u.new === undefined || u.new === null) table.delete(uuid);
        else table.set(uuid, decodeRow(u.new, schema, cols, `${t}/${uuid}`));
      }
    }
    this.commit(next, replace);
  }

  /** update2 table-updates: {table: {uuid: {initial|insert|delete|modify}}}. */
  private applyUpdates2(v: unknown, replace: boolean): void {
    if (!isObj(v)) throw new ProtocolError('table-updates2 is not an object');
    const next = this.staged(v, replace);
    for (const [t, rows] of Object.entries(v)) {
      const { schema, cols } = this.tableOf(t);
      if (!isObj(rows)) throw new ProtocolError(`${t}: not an object`);
      const table = next.get(t)!;
      for (const [uuid, u] of Object.entries(rows)) {
        const where = `${t}/${uuid}`;
        if (!isObj(u)) throw new ProtocolError(`${where}: row update is not an object`);
        const keys = Object.keys(u);
        if (keys.length !== 1) throw new ProtocolError(`${where}: expected one of initial/insert/delete/modify`);
        const k = keys[0]!;
        if (k === 'initial' || k === 'insert') table.set(uuid, decodeRow(u[k], schema, cols, where));
        else if (k === 'delete') table.delete(uuid);
        else if (k === 'modify') {
          const old = table.get(uuid);
          if (!old) throw new ProtocolError(`${where}: modify of a row we do not have`);
          const diff = u.modify;
          if (!isObj(diff)) throw new ProtocolError(`${where}: modify is not an object`);
          const row: Row = new Map(old);
          for (const [c, d] of Object.entries(diff)) {
            const ct = schema.columns.get(c);
            if (!ct) throw new ProtocolError(`${where}: unknown column ${c.slice(0, 40)}`);
            if (!row.has(c)) continue;
            row.set(c, applyDiff(row.get(c)!, decodeValue(d, ct, `${where}.${c}`, true), ct));
          }
          table.set(uuid, row);
        } else throw new ProtocolError(`${where}: unknown row update ${k.slice(0, 20)}`);
      }
    }
    this.commit(next, replace);
  }

  /** Work on copies of the touched tables: a message that fails half-way changes nothing. */
  private staged(v: Record<string, unknown>, replace: boolean): Tables {
    const next: Tables = new Map();
    if (replace) {
      for (const t of this.columns.keys()) next.set(t, new Map());
    } else for (const t of Object.keys(v)) next.set(t, new Map(this.tables.get(t) ?? []));
    return next;
  }

  private commit(next: Tables, replace: boolean): void {
    if (replace) this.tables.clear();
    for (const [t, rows] of next) this.tables.set(t, rows);
    this.events.onChange(replace);
  }
}
