// Live capture through the native libpcap reader (native/pcap-batch.c, built by `npm install` on
// Linux when libpcap-dev is present): one call into JavaScript per burst of frames, each with its
// timestamp and wire length, and the kernel's drop count from pcap_stats(). Why not the `cap`
// package: see docs/architecture.md#port-mirror-capture. Not built: `loadPcapBatch()` returns
// undefined and says why through `pcapBatchLoadError()`.

import { nativeAddon } from '../../util/native-addon.ts';

interface Native {
  REC_HDR: number;
  open(device: string, snaplen: number, bufferBytes: number, filter: string, netns: string, promisc: boolean): unknown;
  info(handle: unknown): [number, number];
  start(handle: unknown, buffer: Buffer, onBatch: (count: number, bytes: number) => void): void;
  stats(handle: unknown): [number, number, number];
  close(handle: unknown): void;
}

const addon = nativeAddon<Native>('pcap_batch.node', 'needs libpcap-dev; npm run build:native');

export function loadPcapBatch(): Native | undefined {
  return addon.load();
}

export function pcapBatchLoadError(): string | undefined {
  return addon.error();
}

export interface LiveCaptureOptions {
  /** Interface name as `ip link` shows it (in `netns` when given). */
  interface: string;
  /**
   * Network namespace the interface lives in: a path (/run/netns/NAME, /proc/PID/ns/net) or a
   * name under /run/netns. Only the capture socket is opened there; the process stays where it is.
   */
  netns?: string;
  /** BPF filter expression (tcpdump syntax); '' captures everything. */
  filter: string;
  snaplen: number;
  /** Kernel ring size in bytes (pcap_set_buffer_size): what absorbs a burst while JavaScript is busy. */
  bufferBytes: number;
  promisc: boolean;
}

/** One captured frame; `data` is a view valid only during the handler call. */
export type FrameHandler = (linkType: number, data: Buffer, wireLen: number, tsMs: number) => void;

export interface CaptureCounters {
  /** Frames handed to the handler. */
  frames: number;
  /** pcap_stats: frames the kernel dropped because the ring was full, and the interface's own drops. */
  kernelDrops: number;
  ifDrops: number;
}

const BATCH_BYTES = 4 * 1024 * 1024;

export function netnsPath(ns: string | undefined): string {
  if (!ns) return '';
  return ns.includes('/') ? ns : `/run/netns/${ns}`;
}

export class LiveCapture {
  private readonly native: Native;
  private handle: unknown;
  readonly linkType: number;
  readonly snaplen: number;
  private frames = 0;
  private lastStats: [number, number, number] = [0, 0, 0];

  /** Opens the capture (throws with a clear message: no such device, bad filter, no permission). */
  constructor(private readonly opts: LiveCaptureOptions) {
    const n = loadPcapBatch();
    if (!n) throw new Error(`port-mirror capture unavailable: ${addon.error()}`);
    this.native = n;
    try {
      this.handle = n.open(opts.interface, opts.snaplen, opts.bufferBytes, opts.filter, netnsPath(opts.netns), opts.promisc);
    } catch (err) {
      throw new Error(`capture on ${this.name}: ${(err as Error).message}`, { cause: err });
    }
    [this.linkType, this.snaplen] = n.info(this.handle);
  }

  /**
   * Starts delivering frames. `afterBatch` runs once per burst (metrics, table upkeep). The
   * handler runs synchronously inside the native callback; while it is busy the kernel ring fills
   * and, once full, drops (counted by `counters()`).
   */
  start(handle: FrameHandler, afterBatch?: () => void): void {
    const buf = Buffer.allocUnsafe(Math.max(BATCH_BYTES, this.snaplen * 4 + 64));
    const hdr = this.native.REC_HDR;
    const linkType = this.linkType;
    this.native.start(this.handle, buf, (count, bytes) => {
      let o = 0;
      for (let i = 0; i < count && o + hdr <= bytes; i++) {
        const sec = buf.readUInt32LE(o);
        const usec = buf.readUInt32LE(o + 4);
        const cap = buf.readUInt32LE(o + 8);
        const wire = buf.readUInt32LE(o + 12);
        const data = buf.subarray(o + hdr, o + hdr + cap);
        o += hdr + ((cap + 3) & ~3);
        this.frames++;
        handle(linkType, data, wire, sec * 1000 + usec / 1000);
      }
      afterBatch?.();
    });
  }

  counters(): CaptureCounters {
    if (this.handle !== undefined) {
      try {
        this.lastStats = this.native.stats(this.handle);
      } catch {
        // Closed meanwhile: the last reading stands.
      }
    }
    return { frames: this.frames, kernelDrops: this.lastStats[1], ifDrops: this.lastStats[2] };
  }

  close(): void {
    if (this.handle === undefined) return;
    this.counters();
    this.native.close(this.handle);
    this.handle = undefined;
  }

  get name(): string {
    return this.opts.netns ? `${this.opts.netns}/${this.opts.interface}` : this.opts.interface;
  }
}
