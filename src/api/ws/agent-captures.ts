// Host agents as port-mirror capture readers (docs/architecture.md#port-mirror-capture): a capture
// on an `ovsport` (the OVS Mirror's output port cnp-mir-<id>) or on a host interface is read by the
// agent of that host. After every change of captures the agent gets the whole list of what it
// should read (`CaptureSet`, also on each reconnection, so it is idempotent); its engines' flows
// come back as `CaptureFlows` and go into the flow pipeline (`Source: mirror`) attributed to the
// ovsport / host interface — and only to a node that is that agent's to report.
import type { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { PipelineSink } from '../../collectors/mirror/sink.ts';
import type { MirrorFlow } from '../../collectors/mirror/conversations.ts';
import type { FlowPipeline } from '../../collectors/flows/pipeline.ts';
import type { Capture, CaptureReaders } from '../../ovs/captures.ts';
import type { GraphReader } from '../../topology/store/graph-store.ts';
import type { GraphNode } from '../../topology/types.ts';
import type { Logger } from '../../util/log.ts';
import { RateLimitedLog } from '../../util/log.ts';
import { counter, preset } from '../../util/metrics.ts';
import { agentOrigin, type AgentHub } from './agents.ts';

/** One capture an agent runs, as sent in `CaptureSet`. */
export interface AgentCaptureSpec {
  UUID: string;
  Interface: string;
  Netns?: string;
  Filter?: string;
  Snaplen?: number;
  /** An OVS mirror port: created down by OVS, the agent brings it up before reading it. */
  BringUp?: boolean;
  /** The node its flows are attributed to (the ovsport, the host interface). */
  NodeId: string;
}

/** Node types of an agent's that are not interfaces. */
const NOT_INTERFACES = new Set(['host', 'netns', 'container']);
/** How long a removed capture's last export is still accepted (the agent stops it on CaptureSet). */
const RETIRED_MS = 30_000;
const DROP_REASONS = ['unknown_capture', 'foreign_node', 'bad_flow'] as const;

const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const str = (v: unknown) => typeof v === 'string' && v.length <= 64;

/** A flow as the agent's engine exports it; anything else is dropped (counted). */
function isFlow(f: unknown): f is MirrorFlow {
  const o = f as Record<string, unknown> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    str(o.srcAddr) &&
    str(o.dstAddr) &&
    str(o.srcMac) &&
    str(o.dstMac) &&
    ['proto', 'srcPort', 'dstPort', 'etherType', 'vlan', 'packets', 'bytes', 'first', 'last', 'tcpFlags'].every((k) => num(o[k]))
  );
}

export class AgentCaptureReaders implements CaptureReaders {
  /** host → what its agent should run, as last computed. */
  private desired = new Map<string, AgentCaptureSpec[]>();
  /** Specs just removed, by `host|UUID|Interface`: a stopped engine's last export still counts. */
  private readonly retired = new Map<string, { nodeId: string; until: number }>();
  private readonly sink: PipelineSink | undefined;
  private readonly dropped: Counter<'reason'>;
  private readonly warn: RateLimitedLog;
  readonly stats = { flows: 0, sets: 0, errors: 0 };
  readonly lastErrors = new Map<string, string>();

  constructor(
    private readonly hub: AgentHub,
    private readonly graph: GraphReader,
    private readonly pipeline: FlowPipeline | undefined,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.warn = new RateLimitedLog(log);
    this.dropped = counter(registry, 'canopy_agent_capture_flows_dropped_total', 'Flows from agents dropped, by reason', ['reason']);
    preset(this.dropped, { reason: DROP_REASONS });
    if (pipeline) {
      this.sink = PipelineSink.shared(pipeline);
      pipeline.presetFailures(['mirror']);
    }
    hub.onConnect((host) => this.push(host));
    hub.onMessage('CaptureFlows', (host, _t, obj) => this.onFlows(host, obj));
    hub.onMessage('CaptureError', (host, _t, obj) => {
      const o = (obj ?? {}) as { UUID?: unknown; Interface?: unknown; Error?: unknown };
      this.stats.errors++;
      const key = `${host}/${String(o.Interface)}`;
      this.lastErrors.set(key, String(o.Error).slice(0, 300));
      this.warn.warn(`err:${key}`, { host, capture: o.UUID, interface: o.Interface, err: o.Error }, 'an agent could not start a capture');
    });
  }

  /** The agent host a host node ID belongs to (its node's origin is `agent.<host>`). */
  private agentOf(hostId: string): string | undefined {
    const n = this.graph.getNode(hostId);
    return n?.Origin.startsWith('agent.') ? n.Origin.slice('agent.'.length) : undefined;
  }

  hasReader(hostId: string): boolean {
    const host = this.agentOf(hostId);
    return host !== undefined && this.hub.isConnected(host);
  }

  hostInterface(node: GraphNode): { hostId: string; interface: string; netns?: string } | undefined {
    const type = String(node.Metadata.Type);
    if (NOT_INTERFACES.has(type) || type === 'ovsbridge' || type === 'ovsport' || typeof node.Metadata.Name !== 'string') return undefined;
    // An interface both the agent and OVSDB write (same ID) may carry either origin: its host decides.
    const host = this.hostAbove(node.ID);
    if (!host?.Origin.startsWith('agent.')) return undefined;
    const netns = node.Metadata.Netns;
    return { hostId: host.ID, interface: node.Metadata.Name, ...(typeof netns === 'string' && netns ? { netns } : {}) };
  }

  sync(captures: readonly Capture[]): void {
    const next = new Map<string, AgentCaptureSpec[]>();
    for (const c of captures)
      for (const a of c.Applied) {
        if (a.kind === 'sflow') continue;
        const host = this.agentOf(a.hostId);
        if (!host) continue;
        const spec: AgentCaptureSpec =
          a.kind === 'mirror'
            ? { UUID: c.UUID, Interface: a.portName, NodeId: a.node, BringUp: true }
            : { UUID: c.UUID, Interface: a.interface, NodeId: a.node, ...(a.netns ? { Netns: a.netns } : {}) };
        if (c.HeaderSize) spec.Snaplen = Math.max(64, c.HeaderSize);
        if (c.BPFFilter) spec.Filter = c.BPFFilter;
        const l = next.get(host) ?? [];
        l.push(spec);
        next.set(host, l);
      }
    const hosts = new Set([...this.desired.keys(), ...next.keys()]);
    const prev = this.desired;
    const now = Date.now();
    for (const [k, r] of this.retired) if (r.until < now) this.retired.delete(k);
    for (const [h, l] of prev)
      for (const s of l)
        if (!next.get(h)?.some((x) => x.UUID === s.UUID && x.Interface === s.Interface))
          this.retired.set(`${h}|${s.UUID}|${s.Interface}`, { nodeId: s.NodeId, until: now + RETIRED_MS });
    this.desired = next;
    for (const h of hosts) {
      const before = JSON.stringify(prev.get(h) ?? []);
      const after = JSON.stringify(next.get(h) ?? []);
      if (before !== after) this.push(h);
    }
    if (this.sink)
      for (const [h, l] of next) for (const s of l) this.sink.add(this.exporter(h, s.Interface), { nodeId: s.NodeId, direction: 'both' });
  }

  private exporter(host: string, iface: string): string {
    return `${host}/${iface}`;
  }

  /** The whole list to one agent (idempotent: it starts what is missing and stops the rest). */
  private push(host: string): void {
    if (this.hub.send(host, 'CaptureSet', { Captures: this.desired.get(host) ?? [] })) this.stats.sets++;
  }

  private onFlows(host: string, obj: unknown): void {
    const o = (obj ?? {}) as { UUID?: unknown; Interface?: unknown; NodeId?: unknown; Flows?: unknown };
    const flows = Array.isArray(o.Flows) ? o.Flows : [];
    const iface = typeof o.Interface === 'string' ? o.Interface : '';
    let nodeId: string | undefined;
    if (typeof o.UUID === 'string' && o.UUID) {
      // A capture from /api/capture: only one this host was asked to run, attributed as we said.
      nodeId =
        this.desired.get(host)?.find((s) => s.UUID === o.UUID && s.Interface === iface)?.NodeId ??
        this.retired.get(`${host}|${o.UUID}|${iface}`)?.nodeId;
      if (!nodeId) return this.drop('unknown_capture', flows.length, host);
    } else {
      // The agent's own configured capture: a node that agent reports itself.
      const n = typeof o.NodeId === 'string' ? this.graph.getNode(o.NodeId) : undefined;
      if (!n || n.DeletedAt !== undefined || !this.underAgentHost(n.ID, host)) return this.drop('foreign_node', flows.length, host);
      nodeId = n.ID;
    }
    if (!this.sink || !this.pipeline) return;
    const good = flows.filter(isFlow);
    if (good.length < flows.length) this.drop('bad_flow', flows.length - good.length, host);
    const exporter = this.exporter(host, iface);
    this.sink.add(exporter, { nodeId, direction: 'both' });
    this.sink.write(exporter, good);
    this.pipeline.metrics.records.inc({ protocol: 'mirror' }, good.length);
    this.stats.flows += good.length;
  }

  /**
   * Is the node (an interface, owned by the host, its netns or an OVS port) under this agent's host
   * node? The same interface may be written by the agent and by OVSDB: ownership, not origin, says.
   */
  private underAgentHost(id: string, host: string): boolean {
    return this.hostAbove(id)?.Origin === agentOrigin(host);
  }

  /** The host node above a node by ownership (host, netns or ovsport → bridge → host). */
  private hostAbove(id: string): GraphNode | undefined {
    let cur = id;
    for (let i = 0; i < 5; i++) {
      const n = this.graph.getNode(cur);
      if (!n) return undefined;
      if (n.Metadata.Type === 'host') return n;
      const up = this.graph.edgesOf(cur, 'in').find((e) => e.Metadata.RelationType === 'ownership');
      if (!up) return undefined;
      cur = up.Parent;
    }
    return undefined;
  }

  private drop(reason: (typeof DROP_REASONS)[number], n: number, host: string): void {
    this.dropped.inc({ reason }, Math.max(1, n));
    this.warn.warn(`drop:${host}:${reason}`, { host, reason }, 'flows from an agent dropped');
  }

  close(): void {
    this.sink?.release();
  }

  status(): Record<string, unknown> {
    return {
      hosts: Object.fromEntries([...this.desired].map(([h, l]) => [h, l.map((s) => s.Interface)])),
      ...this.stats,
      lastErrors: Object.fromEntries(this.lastErrors),
    };
  }
}
