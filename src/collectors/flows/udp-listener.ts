// UDP receive path for flow protocols: the socket callback only copies into a bounded queue;
// a drain step decodes in batches off the event loop's receive path. A full queue drops and
// counts; a receive buffer the kernel capped is reported once.
import dgram from 'node:dgram';
import type { Counter } from 'prom-client';
import type { Logger } from '../../util/log.ts';
import { formatListen, listenList, parseListen } from '../../util/listen.ts';

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
  /** Datagrams handled per drain turn before yielding to I/O. */
  batch?: number;
  dropped: Counter<'protocol' | 'reason'>;
  log: Logger;
  handle: (d: Datagram) => void;
}

export class UdpListener {
  private readonly sockets: dgram.Socket[] = [];
  private readonly queue: (Datagram | undefined)[];
  private head = 0;
  private size = 0;
  private draining = false;
  readonly bound: string[] = [];
  receiveBufferBytes = 0;
  queueDrops = 0;

  constructor(private readonly opts: UdpListenerOptions) {
    this.queue = new Array<Datagram | undefined>(opts.queueSize);
  }

  async start(): Promise<void> {
    for (const l of listenList(this.opts.listen)) {
      const { host, port } = parseListen(l);
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
      const got = sock.getRecvBufferSize();
      this.receiveBufferBytes = got;
      if (got < this.opts.receiveBuffer) {
        this.opts.log.warn(
          { requested: this.opts.receiveBuffer, granted: got },
          'kernel capped the UDP receive buffer; raise net.core.rmem_max to avoid drops under bursts',
        );
      }
      const localPort = (sock.address()).port;
      sock.on('message', (data, rinfo) => this.enqueue({ data, address: rinfo.address, port: rinfo.port, localPort, receivedAt: Date.now() }));
      this.sockets.push(sock);
      const a = sock.address();
      this.bound.push(formatListen({ host: a.address, port: a.port }));
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
      try {
        this.opts.handle(d);
      } catch (err) {
        // Decoders never throw; this guards the process against a bug in what follows them.
        this.opts.log.error({ err, from: d.address }, 'datagram handler failed');
        this.opts.dropped.inc({ protocol: this.opts.protocol, reason: 'handler_error' });
      }
    }
    if (this.size > 0) setImmediate(() => this.drain());
    else this.draining = false;
  }

  get queued(): number {
    return this.size;
  }

  async stop(): Promise<void> {
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.sockets.length = 0;
  }
}
