// The port-mirror capture engine (docs/architecture.md#port-mirror-capture): one interface that
// receives mirrored traffic (a SPAN/RSPAN port on the collector's NIC, an OVS mirror's output port,
// a host interface) → libpcap → the shared L2–L4 parser → a bounded conversation table → every
// `exportInterval`, what each direction gained, handed to `onFlows` with the attribution target.
//
// It knows nothing of the graph or the flow store, so the collector (./component.ts, through
// ./sink.ts) and the host agent run the same engine:
//
//   const engine = new CaptureEngine({ interface: 'cnp-mir-1', target: { nodeId: ovsPortId } }, (flows, target) => …);
//   engine.start(); … engine.status(); … engine.stop();
import type { MirrorFlow } from './conversations.ts';
import { ConversationTable } from './conversations.ts';
import { LiveCapture, type LiveCaptureOptions } from './pcap-batch.ts';

/** Which side of the mirrored port the captured frames crossed (SPAN source direction). */
export type MirrorDirection = 'ingress' | 'egress' | 'both';

/**
 * What the flows of one capture are attributed to. Either a switch port by the names an operator
 * knows (`device`: the switch's Name, management address or node ID; `port`: the port's Name or
 * ifIndex), or a graph node ID the caller already holds (`nodeId`: a host interface or an OVS port
 * node; its device is its owner). `exporter` labels the rows (default: the capture interface).
 */
export interface MirrorTarget {
  device?: string;
  port?: string | number;
  nodeId?: string;
  direction?: MirrorDirection;
  exporter?: string;
}

export interface CaptureEngineOptions extends Partial<Omit<LiveCaptureOptions, 'interface'>> {
  interface: string;
  target: MirrorTarget;
  /** Conversations held at once (default 65,536); a full table evicts its oldest entry. */
  tableSize?: number;
  /** Seconds between exports (default 5). */
  exportInterval?: number;
  /** Seconds without a frame after which a conversation is forgotten (default 30). */
  idleTimeout?: number;
}

export interface CaptureStatus {
  interface: string;
  netns?: string;
  target: MirrorTarget;
  linkType?: number;
  frames: number;
  bytes: number;
  conversations: number;
  flowsExported: number;
  /** Frames the kernel dropped (ring full: we were too slow) and the NIC's own drops (pcap_stats). */
  kernelDrops: number;
  ifDrops: number;
  /** Conversations pushed out of a full table before they went idle (counted, not lost). */
  evictions: number;
  unreadable: number;
  running: boolean;
}

export type FlowsHandler = (flows: MirrorFlow[], target: MirrorTarget) => void;

/** Per-burst hook: counts since the last call, for metrics (plain numbers, registry once per burst). */
export interface CaptureDeltas {
  frames: number;
  bytes: number;
  kernelDrops: number;
  ifDrops: number;
  evictions: number;
}

export class CaptureEngine {
  readonly table: ConversationTable;
  private capture: LiveCapture | undefined;
  private timer: NodeJS.Timeout | undefined;
  private bytes = 0;
  private flowsExported = 0;
  private readonly reported: CaptureDeltas = { frames: 0, bytes: 0, kernelDrops: 0, ifDrops: 0, evictions: 0 };
  /** Called after each export with what changed since the previous one (metrics). */
  onDeltas: ((d: CaptureDeltas) => void) | undefined;

  constructor(
    readonly opts: CaptureEngineOptions,
    private readonly onFlows: FlowsHandler,
  ) {
    this.table = new ConversationTable(opts.tableSize ?? 65_536, (flows) => this.emit(flows));
  }

  /** Opens the interface and starts counting; throws when it cannot (no such device, bad filter …). */
  start(): void {
    if (this.capture) return;
    const o = this.opts;
    this.capture = new LiveCapture({
      interface: o.interface,
      netns: o.netns,
      filter: o.filter ?? '',
      snaplen: o.snaplen ?? 256,
      bufferBytes: o.bufferBytes ?? 8 * 1024 * 1024,
      promisc: o.promisc ?? true,
    });
    const table = this.table;
    this.capture.start((linkType, data, wireLen, tsMs) => {
      this.bytes += wireLen;
      table.add(linkType, data, wireLen, tsMs);
    });
    this.timer = setInterval(() => this.export(), (o.exportInterval ?? 5) * 1000);
    this.timer.unref();
  }

  /** Hands out what every conversation gained since the last export and forgets idle ones. */
  export(now = Date.now()): void {
    const flows = this.table.collect(now - (this.opts.idleTimeout ?? 30) * 1000);
    this.emit(flows);
    if (this.onDeltas) {
      const s = this.status();
      const r = this.reported;
      const d: CaptureDeltas = {
        frames: s.frames - r.frames,
        bytes: s.bytes - r.bytes,
        kernelDrops: s.kernelDrops - r.kernelDrops,
        ifDrops: s.ifDrops - r.ifDrops,
        evictions: s.evictions - r.evictions,
      };
      Object.assign(r, { frames: s.frames, bytes: s.bytes, kernelDrops: s.kernelDrops, ifDrops: s.ifDrops, evictions: s.evictions });
      this.onDeltas(d);
    }
  }

  private emit(flows: MirrorFlow[]): void {
    if (flows.length === 0) return;
    this.flowsExported += flows.length;
    this.onFlows(flows, this.opts.target);
  }

  /** Stops capturing and exports what the table still holds. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.capture) return;
    this.export(Infinity);
    this.capture.close();
  }

  status(): CaptureStatus {
    const c = this.capture?.counters();
    const t = this.table.stats;
    return {
      interface: this.opts.interface,
      ...(this.opts.netns ? { netns: this.opts.netns } : {}),
      target: this.opts.target,
      ...(this.capture ? { linkType: this.capture.linkType } : {}),
      frames: t.frames + t.unreadable,
      bytes: this.bytes,
      conversations: this.table.size,
      flowsExported: this.flowsExported,
      kernelDrops: c?.kernelDrops ?? this.reported.kernelDrops,
      ifDrops: c?.ifDrops ?? this.reported.ifDrops,
      evictions: t.evictions,
      unreadable: t.unreadable,
      running: this.timer !== undefined,
    };
  }
}
