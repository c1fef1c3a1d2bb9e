// UDP receive path for flow protocols. On Linux with the native receiver built, recvmmsg(2)
// reads batches into a bounded ring (udp-batch.ts) and a drain step decodes them; when the ring
// is full the socket buffer holds the rest and the kernel's drops on that socket are counted.
// Otherwise node:dgram's callback only copies into a bounded queue drained the same way, and a
// full queue drops and counts. Either way a receive buffer the kernel capped is reported once.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Counter } from 'prom-client';
import { RateLimitedLog, type Logger } from '../../util/log.ts';
import { formatListen, listenList, parseListen } from '../../util/listen.ts';
import { preset } from '../../util/metrics.ts';
import { BatchSocket, loadUdpBatch, udpBatchLoadError } from './udp-batch.ts';

export type ReceiverMode = 'auto' | 'recvmmsg' | 'dgram';
/** Datagrams the native receiver reads ahead of the decoder (64 KiB slots, touched as used). */
const RING_SLOTS_MAX = 1024;

/** One received datagram; `data` may be a view into a receive ring, valid only during the handler call. */
export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
  /** Local port it arrived on (NetFlow and IPFIX listeners accept any version). */
  localPort: number;
  receivedAt: number;
}

export interface UdpListenerOptions {
  protocol: string;
  listen: string | string[];
  receiveBuffer: number;
  queueSize: number;
  /** recvmmsg (native, Linux) or node:dgram; auto takes recvmmsg when it is built. */
  receiver?: ReceiverMode;
  /** Datagrams handled per drain turn before yielding to I/O. */
  batch?: number;
  dropped: Counter<'protocol' | 'reason'>;
  log: Logger;
  handle: (d: Datagram) => void;
  /** Called after each drain turn (handlers batch their metric updates). */
  afterBatch?: () => void;
}

/** Why a listener drops datagrams (the `reason` of canopy_datagrams_dropped_total it counts). */
export const LISTENER_DROP_REASONS = ['socket_overflow', 'truncated', 'handler_error', 'queue_full'] as const;

export class UdpListener {
  private readonly sockets: dgram.Socket[] = [];
  private readonly batchSockets: BatchSocket[] = [];
  /** Which receive path runs: 'recvmmsg' or 'dgram'. */
  mode: 'recvmmsg' | 'dgram' = 'dgram';
  socketOverflows = 0;
  truncated = 0;
  private readonly queue: (Datagram | undefined)[];
  private head = 0;
  private size = 0;
  private draining = false;
  readonly bound: string[] = [];
  receiveBufferBytes = 0;
  queueDrops = 0;

  private readonly failures: RateLimitedLog;

  constructor(private readonly opts: UdpListenerOptions) {
    this.queue = new Array<Datagram | undefined>(opts.queueSize);
    preset(opts.dropped, { protocol: [opts.protocol], reason: LISTENER_DROP_REASONS });
    this.failures = new RateLimitedLog(opts.log);
  }

  async start(): Promise<void> {
    const want = this.opts.receiver ?? 'auto';
    if (want === 'recvmmsg' && !loadUdpBatch())
      throw new Error(`${this.opts.protocol}: receiver recvmmsg unavailable: ${udpBatchLoadError()}`);
    this.mode = want !== 'dgram' && loadUdpBatch() ? 'recvmmsg' : 'dgram';
    if (want === 'auto' && this.mode === 'dgram')
      this.opts.log.info({ reason: udpBatchLoadError() }, 'batched UDP receive not available; using node:dgram');
    for (const l of listenList(this.opts.listen)) {
      const { host, port } = parseListen(l);
      if (this.mode === 'recvmmsg') {
        // The native socket binds address literals only: names (localhost) are resolved here.
        this.startBatch(isIP(host) ? host : (await lookup(host)).address, port);
        continue;
      }
      const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, host, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      sock.on('error', (err) => this.opts.log.error({ err }, 'UDP socket error'));
      try {
        sock.setRecvBufferSize(this.opts.receiveBuffer);
      } catch {
        // The kernel refuses sizes above its limit on some systems; what we got is read below.
      }
      // Linux reports twice the usable size; compare against what we asked for.
      this.noteReceiveBuffer(sock.getRecvBufferSize());
      const localPort = sock.address().port;
      sock.on('message', (data, rinfo) =>
        this.enqueue({ data, address: rinfo.address, port: rinfo.port, localPort, receivedAt: Date.now() }),
      );
      this.sockets.push(sock);
      const a = sock.address();
      this.bound.push(formatListen({ host: a.address, port: a.port }));
    }
  }

  private startBatch(host: string, port: number): void {
    const d: Datagram = { data: Buffer.alloc(0), address: '', port: 0, localPort: 0, receivedAt: 0 };
    const dropped = this.opts.dropped;
    const protocol = this.opts.protocol;
    const sock = new BatchSocket({
      host,
      port,
      receiveBuffer: this.opts.receiveBuffer,
      slots: Math.min(this.opts.queueSize, RING_SLOTS_MAX),
      batch: this.opts.batch ?? 512,
      handle: (b, receivedAt) => {
        d.data = b.data;
        d.address = b.address;
        d.port = b.port;
        d.receivedAt = receivedAt;
        this.run(d);
      },
      afterBatch: () => this.afterBatch(),
      onLoss: (overflow, truncated) => {
        if (overflow) {
          this.socketOverflows += overflow;
          dropped.inc({ protocol, reason: 'socket_overflow' }, overflow);
        }
        if (truncated) {
          this.truncated += truncated;
          dropped.inc({ protocol, reason: 'truncated' }, truncated);
        }
      },
    });
    d.localPort = sock.port;
    this.noteReceiveBuffer(sock.receiveBufferBytes);
    this.batchSockets.push(sock);
    this.bound.push(formatListen({ host, port: sock.port }));
  }

  private noteReceiveBuffer(got: number): void {
    this.receiveBufferBytes = got;
    if (got < this.opts.receiveBuffer) {
      this.opts.log.warn(
        { requested: this.opts.receiveBuffer, granted: got },
        'kernel capped the UDP receive buffer; raise net.core.rmem_max to avoid drops under bursts',
      );
    }
  }

  private afterBatch(): void {
    try {
      this.opts.afterBatch?.();
    } catch (err) {
      this.opts.log.error({ err }, 'after-batch hook failed');
    }
  }

  private run(d: Datagram): void {
    try {
      this.opts.handle(d);
    } catch (err) {
      // Decoders never throw; this guards the process against a bug in what follows them. A bug
      // hit by every datagram must not turn into a line per datagram.
      this.failures.error(
        `${this.opts.protocol}:${(err as Error | undefined)?.name ?? 'Error'}`,
        { err, from: d.address },
        'datagram handler failed',
      );
      this.opts.dropped.inc({ protocol: this.opts.protocol, reason: 'handler_error' });
    }
  }

  private enqueue(d: Datagram): void {
    const cap = this.queue.length;
    if (this.size >= cap) {
      this.queueDrops++;
      this.opts.dropped.inc({ protocol: this.opts.protocol, reason: 'queue_full' });
      return;
    }
    this.queue[(this.head + this.size) % cap] = d;
    this.size++;
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    const cap = this.queue.length;
    const batch = this.opts.batch ?? 512;
    let n = 0;
    while (this.size > 0 && n < batch) {
      const d = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      this.head = (this.head + 1) % cap;
      this.size--;
      n++;
      this.run(d);
    }
    this.afterBatch();
    if (this.size > 0) setImmediate(() => this.drain());
    else this.draining = false;
  }

  get queued(): number {
    return this.size + this.batchSockets.reduce((n, s) => n + s.queued, 0);
  }

  async stop(): Promise<void> {
    for (const s of this.batchSockets) s.close();
    this.batchSockets.length = 0;
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.sockets.length = 0;
  }
}
