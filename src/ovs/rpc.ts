// JSON-RPC 1.0 over one OVSDB stream (RFC 7047 §4): requests with our own ids, replies matched to
// them, the server's notifications handed on, its "echo" answered at once (it drops clients that
// stay silent to its probe). Anything that does not fit the protocol closes the connection with a
// typed reason; the client above counts it and reconnects (docs/architecture.md#ovsdb).
import type { Duplex } from 'node:stream';
import { JsonStream } from './json-stream.ts';
import { ProtocolError } from './datum.ts';

export interface RpcError {
  error: string;
  details?: string;
}

export class RpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly rpcError: unknown,
  ) {
    super(`${method} failed: ${JSON.stringify(rpcError)?.slice(0, 200)}`);
    this.name = 'RpcCallError';
  }
}

export class ConnectionClosed extends Error {
  constructor(reason: string) {
    super(`connection closed: ${reason}`);
    this.name = 'ConnectionClosed';
  }
}

/** Why a connection was closed by us: the metric label. */
export type CloseReason = 'oversized' | 'not_object' | 'too_deep' | 'bad_json' | 'protocol' | 'timeout' | 'socket' | 'eof' | 'local';

interface Pending {
  method: string;
  /** Runs on the reply before any later message is dispatched (a monitor's snapshot precedes its updates). */
  handle?: (result: unknown) => void;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RpcOptions {
  maxMessageBytes: number;
  requestTimeoutMs: number;
  onNotification(method: string, params: unknown): void;
  /** Called once when the connection ends, with why and (for errors) the message. */
  onClose(reason: CloseReason, detail: string): void;
  /** Every raw message as parsed, in and out (fixture recording). */
  trace?: (dir: 'in' | 'out', msg: unknown) => void;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class RpcConnection {
  private readonly framer: JsonStream;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  lastReceived = Date.now();

  constructor(
    private readonly sock: Duplex,
    private readonly opts: RpcOptions,
  ) {
    this.framer = new JsonStream(opts.maxMessageBytes);
    sock.on('data', (b: Buffer) => this.onData(b));
    sock.on('error', (e) => this.close('socket', e.message));
    sock.on('end', () => this.close('eof', 'the server closed the connection'));
    sock.on('close', () => this.close('eof', 'socket closed'));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  request(method: string, params: unknown, handle?: (result: unknown) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new ConnectionClosed('before the request'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no reply within ${this.opts.requestTimeoutMs} ms`));
        this.close('timeout', `${method} not answered`);
      }, this.opts.requestTimeoutMs);
      this.pending.set(id, { method, resolve, reject, timer, ...(handle ? { handle } : {}) });
      this.send({ method, params, id });
    });
  }

  close(reason: CloseReason, detail: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ConnectionClosed(detail));
    }
    this.pending.clear();
    this.sock.destroy();
    this.opts.onClose(reason, detail);
  }

  private send(msg: unknown): void {
    this.opts.trace?.('out', msg);
    this.sock.write(JSON.stringify(msg));
  }

  private onData(b: Buffer): void {
    if (this.closed) return;
    this.lastReceived = Date.now();
    const msgs = this.framer.push(b);
    for (const m of msgs) {
      if (this.closed) return;
      try {
        this.dispatch(m);
      } catch (e) {
        if (e instanceof ProtocolError) return this.close('protocol', e.message);
        // A handler bug must not take the process down either; the connection restarts clean.
        return this.close('protocol', `handler failed: ${(e as Error).message}`);
      }
    }
    const err = this.framer.error;
    if (err) this.close(err.code, err.message);
  }

  private dispatch(m: unknown): void {
    this.opts.trace?.('in', m);
    if (!isObj(m)) throw new ProtocolError('message is not an object');
    if (typeof m.method === 'string') {
      if (m.method === 'echo') {
        if (m.id === undefined || m.id === null) throw new ProtocolError('echo without id');
        this.send({ result: m.params, error: null, id: m.id });
        return;
      }
      if (m.id !== undefined && m.id !== null) {
        // A request we do not serve: answer with an error, as the RFC asks, and keep going.
        this.send({ result: null, error: 'unknown method', id: m.id });
        return;
      }
      this.opts.onNotification(m.method, m.params);
      return;
    }
    if (!('result' in m) || !('error' in m)) throw new ProtocolError('neither a request nor a reply');
    if (typeof m.id !== 'number') {
      // Replies to our echo probes carry a string id.
      if (m.id === 'echo') return;
      throw new ProtocolError(`reply with an id we never sent: ${JSON.stringify(m.id)?.slice(0, 40)}`);
    }
    const p = this.pending.get(m.id);
    if (!p) throw new ProtocolError(`reply to unknown request ${m.id}`);
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error !== null) p.reject(new RpcCallError(p.method, m.error));
    else {
      // A handler's ProtocolError closes the connection (onData) and rejects the request there.
      if (p.handle) {
        try {
          p.handle(m.result);
        } catch (e) {
          p.reject(e as Error);
          throw e;
        }
      }
      p.resolve(m.result);
    }
  }

  /** Our liveness probe: the server answers echo like any request; a dead peer times out. */
  probe(): void {
    if (!this.closed) this.send({ method: 'echo', params: [], id: 'echo' });
  }
}
