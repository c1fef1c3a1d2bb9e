// Captures in Skydive's shape (docs/architecture.md#ovsdb): on an ovsbridge a capture is an sFlow
// row pointed at our sFlow listener, on an ovsport a Mirror whose output is a new internal port
// cnp-mir-<id> read by the port-mirror capture on that host. Each record keeps the OVSDB _uuids of
// what it created (persisted through the storage seam), and deleting it removes exactly those —
// guarded so that a row someone else replaced meanwhile is left alone.
import { randomUUID } from 'node:crypto';
import type { CaptureStore } from '../topology/store/captures.ts';
import type { GraphNode } from '../topology/types.ts';
import { RpcCallError } from './rpc.ts';

export interface CaptureInput {
  GremlinQuery: string;
  Name?: string;
  Description?: string;
  Type?: string;
  SamplingRate?: number;
  PollingInterval?: number;
  LayerKeyMode?: string;
  HeaderSize?: number;
}

export type Applied =
  | { kind: 'sflow'; endpoint: string; node: string; hostId: string; bridgeUuid: string; sflowUuid: string; agent?: string }
  | {
      kind: 'mirror';
      endpoint: string;
      node: string;
      hostId: string;
      bridgeUuid: string;
      mirrorUuid: string;
      portUuid: string;
      portName: string;
    };

export interface Capture extends CaptureInput {
  UUID: string;
  Count: number;
  CreatedAt: number;
  Applied: Applied[];
}

/** A request the current state cannot honour (HTTP 409), with the reason for the user. */
export class CaptureConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureConflict';
  }
}

/** An OVSDB endpoint the capture needs is not connected (HTTP 503). */
export class CaptureUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureUnavailable';
  }
}

/** Which hosts run a port-mirror capture reader (an agent's pcap capture); none today unless provided. */
export interface CaptureReaders {
  hasReader(hostId: string): boolean;
}

/** What an OVSDB endpoint offers the capture service. */
export interface CaptureTarget {
  readonly text: string;
  /** Does this endpoint's graph own the node? */
  owns(nodeId: string): boolean;
  /** The OVSDB _uuid of the bridge a bridge, port or interface node belongs to. */
  bridgeOf(nodeId: string): string | undefined;
  hostId(): string | undefined;
  addSflow(
    bridgeUuid: string,
    captureId: string,
    sampling: number,
    polling: number,
    header: number,
  ): Promise<{ sflowUuid: string; agent?: string }>;
  removeSflow(bridgeUuid: string, sflowUuid: string): Promise<void>;
  addMirror(bridgeUuid: string, portUuid: string, name: string, captureId: string): Promise<{ mirrorUuid: string; portUuid: string }>;
  removeMirror(bridgeUuid: string, mirrorUuid: string, portUuid: string): Promise<void>;
  connected(): boolean;
}

/** /api/capture as the API sees it. */
export interface CaptureAdmin {
  list(): Capture[];
  get(id: string): Capture | undefined;
  /** `nodes`: what GremlinQuery selects now (the API evaluates it). */
  create(input: CaptureInput, nodes: GraphNode[]): Promise<Capture>;
  delete(id: string): Promise<boolean>;
}

/** Interface names are at most 15 bytes (IFNAMSIZ): "cnp-mir-" and 7 hex digits of the capture UUID. */
export const mirrorPortName = (captureId: string) => `cnp-mir-${captureId.replace(/-/g, '').slice(0, 7)}`;

export class CaptureService implements CaptureAdmin {
  private readonly captures = new Map<string, Capture>();

  constructor(
    private readonly store: CaptureStore,
    private readonly targets: () => CaptureTarget[],
    readonly readers: CaptureReaders | undefined,
    private readonly defaults: { sampling: number; polling: number; onCreated?: () => void },
  ) {
    for (const r of store.all()) {
      const c = r.body as Capture;
      if (c && typeof c === 'object' && typeof c.GremlinQuery === 'string') this.captures.set(r.id, { ...c, UUID: r.id });
    }
  }

  list(): Capture[] {
    return [...this.captures.values()];
  }

  get(id: string): Capture | undefined {
    return this.captures.get(id);
  }

  async create(input: CaptureInput, nodes: GraphNode[]): Promise<Capture> {
    const id = randomUUID();
    // Decide everything before touching any switch: a refused capture leaves nothing behind.
    const plan: { node: GraphNode; target: CaptureTarget }[] = [];
    const owner = (n: GraphNode) => this.targets().find((t) => t.owns(n.ID));
    // A selected bridge's sFlow covers its own ports and interfaces the query also selected.
    const sampled = new Set<string>();
    for (const n of nodes) {
      const t = owner(n);
      if (t && n.Metadata.Type === 'ovsbridge') sampled.add(`${t.text}|${String(n.Metadata.UUID)}`);
    }
    for (const n of nodes) {
      const type = n.Metadata.Type;
      const target = owner(n);
      const bridge = target?.bridgeOf(n.ID);
      if (target && type !== 'ovsbridge' && bridge && sampled.has(`${target.text}|${bridge}`)) continue;
      if ((type === 'ovsbridge' || type === 'ovsport') && target) {
        if (!target.connected()) throw new CaptureUnavailable(`OVSDB ${target.text} is not connected; retry when it is`);
        if (type === 'ovsbridge' && n.Metadata.SFlow)
          throw new CaptureConflict(
            `bridge ${String(n.Metadata.Name)} already sends sFlow (${JSON.stringify(n.Metadata.SFlow)}); a capture would replace it`,
          );
        if (type === 'ovsport') {
          const hostId = target.hostId();
          if (!hostId || !this.readers?.hasReader(hostId))
            throw new CaptureConflict(
              `port ${String(n.Metadata.Name)}: a mirror capture needs a port-mirror capture reader on its host (${hostId ?? 'unknown'}), and none runs there`,
            );
        }
        plan.push({ node: n, target });
      } else {
        throw new CaptureConflict(
          `node ${n.ID} (${String(n.Metadata.Type)} ${String(n.Metadata.Name)}): no capture reader on its host; only ovsbridge (sFlow) and ovsport (mirror) nodes of a connected OVSDB can be captured`,
        );
      }
    }
    const cap: Capture = {
      ...input,
      UUID: id,
      SamplingRate: input.SamplingRate ?? this.defaults.sampling,
      PollingInterval: input.PollingInterval ?? this.defaults.polling,
      Count: 0,
      CreatedAt: Date.now(),
      Applied: [],
    };
    try {
      for (const { node, target } of plan) {
        const hostId = target.hostId() ?? '';
        const bridgeUuid = String(node.Metadata.UUID);
        if (node.Metadata.Type === 'ovsbridge') {
          const r = await target.addSflow(bridgeUuid, id, cap.SamplingRate!, cap.PollingInterval!, input.HeaderSize ?? 128);
          cap.Applied.push({
            kind: 'sflow',
            endpoint: target.text,
            node: node.ID,
            hostId,
            bridgeUuid,
            sflowUuid: r.sflowUuid,
            ...(r.agent ? { agent: r.agent } : {}),
          });
        } else {
          const bridge = target.bridgeOf(node.ID) ?? '';
          const name = mirrorPortName(id);
          const r = await target.addMirror(bridge, String(node.Metadata.UUID), name, id);
          cap.Applied.push({
            kind: 'mirror',
            endpoint: target.text,
            node: node.ID,
            hostId,
            bridgeUuid: bridge,
            mirrorUuid: r.mirrorUuid,
            portUuid: r.portUuid,
            portName: name,
          });
        }
        // Persist after each step, so a crash half-way still knows what to undo.
        this.store.put(id, cap);
      }
    } catch (e) {
      await this.undo(cap).catch(() => undefined);
      this.store.delete(id);
      if (e instanceof CaptureConflict || e instanceof CaptureUnavailable) throw e;
      // OVSDB refused the transaction (a bridge changed meanwhile): the user's to resolve.
      if (e instanceof RpcCallError) throw new CaptureConflict(`OVSDB refused the change: ${e.message}`);
      throw new CaptureUnavailable(`OVSDB: ${(e as Error).message}`);
    }
    cap.Count = cap.Applied.length;
    this.captures.set(id, cap);
    this.store.put(id, cap);
    this.defaults.onCreated?.();
    return cap;
  }

  async delete(id: string): Promise<boolean> {
    const cap = this.captures.get(id);
    if (!cap) return false;
    await this.undo(cap);
    this.captures.delete(id);
    this.store.delete(id);
    return true;
  }

  private async undo(cap: Capture): Promise<void> {
    for (const a of [...cap.Applied].reverse()) {
      const target = this.targets().find((t) => t.text === a.endpoint);
      if (!target || !target.connected())
        throw new CaptureUnavailable(`OVSDB ${a.endpoint} is not connected; the capture stays until it is`);
      if (a.kind === 'sflow') await target.removeSflow(a.bridgeUuid, a.sflowUuid);
      else await target.removeMirror(a.bridgeUuid, a.mirrorUuid, a.portUuid);
      cap.Applied = cap.Applied.filter((x) => x !== a);
      this.store.put(cap.UUID, cap);
    }
  }
}
