// The batched UDP receiver (native/udp-batch.c, built by `npm install` on Linux): recvmmsg(2)
// writes datagrams straight into a ring of slots that `drain` hands to the handler, so a burst
// costs one system call and one call into JavaScript per batch. Not built (no compiler, not
// Linux): `loadUdpBatch()` returns undefined and the listener uses node:dgram.
import { nativeAddon } from '../../util/native-addon.ts';
import { isIP } from 'node:net';
import { ipv6Str } from '../common/packet-bytes.ts';

interface Native {
  HDR: number;
  META: number;
  open(host: string, port: number, family: number, rcvbuf: number, reusePort?: boolean): [number, number, number];
  start(fd: number, data: Buffer, slotSize: number, ctl: Uint32Array, onData: () => void): unknown;
  resume(handle: unknown): void;
  close(handle: unknown): void;
  closeFd(fd: number): void;
}

const addon = nativeAddon<Native>('udp_batch.node', 'npm run build:native');

/** The native receiver, or undefined (with `udpBatchLoadError()` saying why). */
export function loadUdpBatch(): Native | undefined {
  return addon.load();
}

export function udpBatchLoadError(): string | undefined {
  return addon.error();
}

/** Largest UDP payload over IPv4/IPv6 without jumbograms, so a slot never cuts a datagram. */
export const SLOT_SIZE = 65_536;

export interface BatchDatagram {
  data: Buffer;
  address: string;
  port: number;
}

export interface BatchSocketOptions {
  host: string;
  port: number;
  receiveBuffer: number;
  /**
   * SO_REUSEPORT: other sockets (each worker thread's) may bind the same port; the kernel hashes
   * each datagram's 4-tuple to one of them, so one exporter (address and port) stays on one socket.
   */
  reusePort?: boolean;
  /** Ring slots: datagrams read ahead of the handler (the rest wait in the socket buffer). */
  slots: number;
  /** Datagrams handled per drain turn before yielding to other I/O. */
  batch: number;
  /**
   * Called for each datagram in arrival order. `data` is a view into the ring, valid only during
   * the call: a handler that keeps bytes copies them.
   */
  handle: (d: BatchDatagram, receivedAt: number) => void;
  afterBatch: () => void;
  /** New kernel drops (socket buffer overflow) and cut datagrams since the last call. */
  onLoss: (socketOverflow: number, truncated: number) => void;
}

const V4_CACHE_MAX = 4096;

export class BatchSocket {
  readonly port: number;
  readonly receiveBufferBytes: number;
  private readonly native: Native;
  private readonly data: Buffer;
  private readonly ctl: Uint32Array;
  private readonly handleRef: unknown;
  private readonly v4 = new Map<number, string>();
  private draining = false;
  private closed = false;
  private seenOverflow = 0;
  private seenTruncated = 0;
  /** Reusable datagram object: the handler gets it for the duration of one call. */
  private readonly dg: BatchDatagram = { data: Buffer.alloc(0), address: '', port: 0 };

  constructor(private readonly opts: BatchSocketOptions) {
    const n = loadUdpBatch();
    if (!n) throw new Error(`batched UDP receive unavailable: ${udpBatchLoadError()}`);
    this.native = n;
    const family = isIP(opts.host) === 6 ? 6 : 4;
    const [fd, port, granted] = n.open(opts.host, opts.port, family, opts.receiveBuffer, opts.reusePort === true);
    this.port = port;
    this.receiveBufferBytes = granted;
    try {
      this.data = Buffer.allocUnsafeSlow(opts.slots * SLOT_SIZE);
      this.ctl = new Uint32Array(n.HDR + opts.slots * n.META);
      this.handleRef = n.start(fd, this.data, SLOT_SIZE, this.ctl, () => this.schedule());
    } catch (err) {
      n.closeFd(fd);
      throw err;
    }
  }

  /** Datagrams read from the socket and not yet handled. */
  get queued(): number {
    return (this.ctl[1]! - this.ctl[0]!) >>> 0;
  }

  /** The kernel's count of datagrams it dropped on this socket (receive buffer full). */
  get socketOverflow(): number {
    return this.ctl[3]!;
  }

  get truncated(): number {
    return this.ctl[4]!;
  }

  get receiveErrors(): number {
    return this.ctl[5]!;
  }

  /**
   * The native side has new datagrams: drain them now, inside its callback (a turn of the event
   * loop per burst costs more than handling a few datagrams); a drain that stops at its batch size
   * goes on from setImmediate, so timers and other I/O still get their turn.
   */
  private schedule(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    this.drain();
  }

  private drain(): void {
    if (this.closed) return;
    const { ctl, data, opts } = this;
    const HDR = this.native.HDR;
    const META = this.native.META;
    const slots = opts.slots;
    const tail = ctl[1]!;
    let head = ctl[0]!;
    const now = Date.now();
    const dg = this.dg;
    for (let n = 0; head !== tail && n < opts.batch; n++) {
      const slot = head % slots;
      const m = HDR + slot * META;
      const len = ctl[m]!;
      const family = ctl[m + 2]!;
      head = (head + 1) >>> 0;
      if (family === 0) continue; // cut by the slot size: counted as truncated
      const at = slot * SLOT_SIZE;
      dg.data = data.subarray(at, at + len);
      dg.port = ctl[m + 1]!;
      dg.address = family === 4 ? this.v4Text(ctl[m + 3]!) : v6Text(ctl, m + 3);
      // The slot is handed back before the handler runs: a handler that throws loses only its own datagram.
      ctl[0] = head;
      opts.handle(dg, now);
    }
    ctl[0] = head;
    opts.afterBatch();
    if (ctl[2]) this.native.resume(this.handleRef);
    const overflow = ctl[3]!;
    const truncated = ctl[4]!;
    if (overflow !== this.seenOverflow || truncated !== this.seenTruncated) {
      opts.onLoss((overflow - this.seenOverflow) >>> 0, (truncated - this.seenTruncated) >>> 0);
      this.seenOverflow = overflow;
      this.seenTruncated = truncated;
    }
    if (head !== ctl[1]) setImmediate(() => this.drain());
    else this.draining = false;
  }

  private v4Text(a: number): string {
    let s = this.v4.get(a);
    if (s === undefined) {
      s = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      if (this.v4.size >= V4_CACHE_MAX) this.v4.clear();
      this.v4.set(a, s);
    }
    return s;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close(this.handleRef);
  }
}

/** Text of an IPv6 source (rare on a flow port; not cached). */
function v6Text(ctl: Uint32Array, o: number): string {
  const b = Buffer.allocUnsafe(16);
  for (let i = 0; i < 4; i++) b.writeUInt32BE(ctl[o + i]!, i * 4);
  return ipv6Str(b, 0);
}
