// Mirror flows into the collector's flow pipeline (docs/architecture.md#port-mirror-capture): each
// direction becomes one FlowRecord of protocol `mirror` (unsampled: rate 1), attributed to the
// mirrored port found in the graph — not to an exporter node, since no device sent these.
import type { GraphReader } from '../../topology/store/graph-store.ts';
import type { GraphNode } from '../../topology/types.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import type { Attributed } from '../flows/flow-table.ts';
import type { MirrorFlow } from './conversations.ts';
import type { MirrorTarget } from './engine.ts';

export const MIRROR_ORIGIN = 'mirror';
/** An unresolved target is looked up again after this long (the switch may be polled later). */
const RETRY_MS = 5_000;

export interface ResolvedTarget {
  deviceId: string;
  portId: string | null;
  ifIndex: number;
}

/** The switch a target's `device` names: by node ID, management address or Name (in that order). */
function findDevice(g: GraphReader, device: string): GraphNode | undefined {
  const byId = g.getNode(device);
  if (byId) return byId;
  const isDevice = (n: GraphNode) => n.Metadata.Type === 'switch' || n.Metadata.Type === 'exporter' || n.Metadata.Type === 'host';
  const byAddr = g.findNodes('MgmtAddress', device).filter(isDevice);
  if (byAddr.length === 1) return byAddr[0];
  const byName = g.findNodes('Name', device).filter(isDevice);
  return byName.length === 1 ? byName[0] : undefined;
}

/** The device's port a target's `port` names: by Name, else by ifIndex. */
function findPort(g: GraphReader, deviceId: string, port: string | number): GraphNode | undefined {
  const ports: GraphNode[] = [];
  for (const e of g.edgesOf(deviceId, 'out')) {
    if (e.Metadata.RelationType !== 'ownership') continue;
    const n = g.getNode(e.Child);
    if (n && (n.Metadata.Type === 'port' || n.Metadata.Type === 'interface')) ports.push(n);
  }
  const byName = ports.find((n) => n.Metadata.Name === String(port));
  if (byName) return byName;
  const idx = typeof port === 'number' ? port : /^\d+$/.test(port) ? Number(port) : undefined;
  return idx === undefined ? undefined : ports.find((n) => n.Metadata.IfIndex === idx);
}

/** The graph nodes a target names, or undefined while they are not in the graph. */
export function resolveTarget(g: GraphReader, t: MirrorTarget): ResolvedTarget | undefined {
  if (t.nodeId) {
    const n = g.getNode(t.nodeId);
    if (!n) return undefined;
    const owner = g.edgesOf(n.ID, 'in').find((e) => e.Metadata.RelationType === 'ownership');
    return { deviceId: owner?.Parent ?? n.ID, portId: n.ID, ifIndex: typeof n.Metadata.IfIndex === 'number' ? n.Metadata.IfIndex : 0 };
  }
  if (!t.device) return undefined;
  const dev = findDevice(g, t.device);
  if (!dev) return undefined;
  if (t.port === undefined || t.port === '') return { deviceId: dev.ID, portId: null, ifIndex: 0 };
  const p = findPort(g, dev.ID, t.port);
  return { deviceId: dev.ID, portId: p?.ID ?? null, ifIndex: p && typeof p.Metadata.IfIndex === 'number' ? p.Metadata.IfIndex : 0 };
}

/** The exporter label of a target's rows. */
export function exporterOf(t: MirrorTarget, iface: string): string {
  return t.exporter ?? iface;
}

const shared = new WeakMap<FlowPipeline, PipelineSink>();

/**
 * Feeds engines' flows into the pipeline. Targets are registered by exporter label; the pipeline
 * asks `attribute` once per new flow-table entry.
 */
export class PipelineSink {
  private readonly targets = new Map<string, { target: MirrorTarget; resolved: ResolvedTarget | undefined; at: number }>();
  records = 0;

  constructor(
    private readonly pipeline: FlowPipeline,
    /** How long an unresolved target waits before the graph is asked again. */
    private readonly retryMs = RETRY_MS,
  ) {
    pipeline.setAttributor(MIRROR_ORIGIN, (r, now) => this.attribute(r, now));
  }

  add(exporter: string, target: MirrorTarget): void {
    this.targets.set(exporter, { target, resolved: undefined, at: -Infinity });
  }

  remove(exporter: string): void {
    this.targets.delete(exporter);
  }

  close(): void {
    this.pipeline.setAttributor(MIRROR_ORIGIN, undefined);
  }

  private users = 0;

  /**
   * The pipeline has one `mirror` attributor: the collector's own mirror interfaces and the flows
   * host agents capture share one sink, closed when its last user releases it.
   */
  static shared(pipeline: FlowPipeline): PipelineSink {
    let s = shared.get(pipeline);
    if (!s) shared.set(pipeline, (s = new PipelineSink(pipeline)));
    s.users++;
    return s;
  }

  release(): void {
    if (--this.users > 0) return;
    shared.delete(this.pipeline);
    this.close();
  }

  private lookup(exporter: string, now: number): ResolvedTarget | undefined {
    const t = this.targets.get(exporter);
    if (!t) return undefined;
    if (!t.resolved && now - t.at >= this.retryMs) {
      t.at = now;
      t.resolved = resolveTarget(this.pipeline.graph, t.target);
    }
    return t.resolved;
  }

  private attribute(r: FlowRecord, now: number): Attributed {
    const res = this.lookup(r.exporter, now);
    const dir = this.targets.get(r.exporter)?.target.direction ?? 'both';
    if (!res) return { deviceId: '', inPortId: null, outPortId: null };
    // Frames of a one-sided mirror crossed the port in that direction; a both-ways mirror names the
    // port as the in-port of every row (which side of the port a frame came from is not in it).
    return {
      deviceId: res.deviceId,
      inPortId: dir === 'egress' ? null : res.portId,
      outPortId: dir === 'egress' ? res.portId : null,
    };
  }

  /** One export of an engine: each direction as a FlowRecord. */
  write(exporter: string, flows: readonly MirrorFlow[], now = Date.now()): void {
    const res = this.lookup(exporter, now);
    const dir = this.targets.get(exporter)?.target.direction ?? 'both';
    const ifIndex = res?.ifIndex ?? 0;
    for (const f of flows) {
      const r: FlowRecord = {
        type: 'flow',
        protocol: 'mirror',
        exporter,
        inIf: dir === 'egress' ? 0 : ifIndex,
        outIf: dir === 'egress' ? ifIndex : 0,
        srcMac: f.srcMac,
        dstMac: f.dstMac,
        etherType: f.etherType,
        srcAddr: f.srcAddr,
        dstAddr: f.dstAddr,
        proto: f.proto,
        srcPort: f.srcPort,
        dstPort: f.dstPort,
        bytes: f.bytes,
        packets: f.packets,
      };
      if (f.vlan) r.srcVlan = r.dstVlan = f.vlan;
      this.pipeline.addFlow(MIRROR_ORIGIN, r, 1, false, f.last, f.first);
    }
    this.records += flows.length;
  }
}
