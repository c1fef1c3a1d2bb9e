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
  /** tcpdump filter of a port-mirror capture (a host agent's engine); sFlow ignores it. */
  BPFFilter?: string;
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
    }
  /** A host interface an agent captures on itself (no OVSDB involved). */
  | { kind: 'host'; node: string; hostId: string; interface: string; netns?: string };

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

/** Which hosts run a port-mirror capture reader (a host agent's capture engine). */
export interface CaptureReaders {
  /** `hostId`: the host node's ID. */
  hasReader(hostId: string): boolean;
  /** A host interface node a reader captures on itself: its host node, name and namespace; else undefined. */
  hostInterface?(node: GraphNode): { hostId: string; interface: string; netns?: string } | undefined;
  /** What the readers should capture now: called with every capture after each change (and at start). */
  sync?(captures: readonly Capture[]): void;
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
    private readonly defaults: {
      sampling: number;
      polling: number;
      onCreated?: () => void;
      /** Evaluates a capture's GremlinQuery on the live graph (reconcile follows it). */
      select?: (query: string) => GraphNode[];
      /** Rate-limited: a capture that cannot follow its query now (OVSDB down, a refused transaction). */
      onFollowError?: (captureId: string, err: unknown) => void;
    },
  ) {
    for (const r of store.all()) {
      const c = r.body as Capture;
      if (c && typeof c === 'object' && typeof c.GremlinQuery === 'string') this.captures.set(r.id, { ...c, UUID: r.id });
    }
    // After a restart: the readers resume what the stored captures read (each agent when it connects).
    this.syncReaders();
  }

  list(): Capture[] {
    return [...this.captures.values()];
  }

  get(id: string): Capture | undefined {
    return this.captures.get(id);
  }

  create(input: CaptureInput, nodes: GraphNode[]): Promise<Capture> {
    return this.serial(() => this.createNow(input, nodes));
  }

  private async createNow(input: CaptureInput, nodes: GraphNode[]): Promise<Capture> {
    const id = randomUUID();
    // Decide everything before touching any switch: a refused capture leaves nothing behind.
    const plan: { node: GraphNode; target: CaptureTarget | undefined }[] = [];
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
      } else if (this.hostIface(n)) {
        plan.push({ node: n, target: undefined });
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
        await this.applyOne(cap, node, target);
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
    this.syncReaders();
    return cap;
  }

  /** A host interface a reader on its host captures itself (undefined: none, or no reader runs there). */
  private hostIface(n: GraphNode) {
    const h = this.readers?.hostInterface?.(n);
    return h && this.readers?.hasReader(h.hostId) ? h : undefined;
  }

  /** Tells the readers what to capture now. */
  syncReaders(): void {
    this.readers?.sync?.(this.list());
  }

  /** sFlow on a bridge node, a mirror on a port node or a host interface's capture, recorded in cap.Applied (not yet persisted). */
  private async applyOne(cap: Capture, node: GraphNode, target: CaptureTarget | undefined): Promise<void> {
    const id = cap.UUID;
    if (!target) {
      const h = this.hostIface(node);
      if (!h) throw new CaptureConflict(`node ${node.ID}: no capture reader on its host`);
      cap.Applied.push({ kind: 'host', node: node.ID, hostId: h.hostId, interface: h.interface, ...(h.netns ? { netns: h.netns } : {}) });
      return;
    }
    const hostId = target.hostId() ?? '';
    if (node.Metadata.Type === 'ovsbridge') {
      const bridgeUuid = String(node.Metadata.UUID);
      const r = await target.addSflow(bridgeUuid, id, cap.SamplingRate!, cap.PollingInterval!, cap.HeaderSize ?? 128);
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
  }

  /**
   * What a capture's query selects now that it can be applied to: like create(), but a node it
   * cannot serve yet (OVSDB not connected, a bridge with someone else's sFlow, a port with no
   * capture reader, a node OVS does not own) is left out instead of refusing the capture.
   */
  private wanted(nodes: GraphNode[]): Map<string, { node: GraphNode; target: CaptureTarget | undefined }> {
    const out = new Map<string, { node: GraphNode; target: CaptureTarget | undefined }>();
    const owner = (n: GraphNode) => this.targets().find((t) => t.owns(n.ID));
    const sampled = new Set<string>();
    for (const n of nodes) {
      const t = owner(n);
      if (t && n.Metadata.Type === 'ovsbridge') sampled.add(`${t.text}|${String(n.Metadata.UUID)}`);
    }
    for (const n of nodes) {
      const type = n.Metadata.Type;
      const target = owner(n);
      // A host interface (OVS may own its node too: an agent reads it all the same).
      if (type !== 'ovsbridge' && type !== 'ovsport' && this.hostIface(n)) {
        out.set(n.ID, { node: n, target: undefined });
        continue;
      }
      if (!target || (type !== 'ovsbridge' && type !== 'ovsport')) continue;
      const bridge = target.bridgeOf(n.ID);
      if (type !== 'ovsbridge' && bridge && sampled.has(`${target.text}|${bridge}`)) continue;
      if (type === 'ovsport') {
        const hostId = target.hostId();
        if (!hostId || !this.readers?.hasReader(hostId)) continue;
      }
      out.set(n.ID, { node: n, target });
    }
    return out;
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Runs changes to captures one at a time (API calls and reconcile passes never interleave). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves when the change under way (API call or reconcile pass) is done. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /**
   * Makes every capture follow its query (Skydive's behaviour): applied to nodes that came to match
   * since, removed from nodes that no longer match or are gone. Called, debounced, from the graph's
   * change feed, so it also resumes after a restart once the OVSDB endpoints have synced.
   */
  reconcile(): Promise<void> {
    return this.serial(async () => {
      const select = this.defaults.select;
      if (!select) return;
      for (const cap of [...this.captures.values()]) {
        if (!this.captures.has(cap.UUID)) continue;
        try {
          await this.follow(cap, select);
        } catch (err) {
          this.defaults.onFollowError?.(cap.UUID, err);
        }
      }
    });
  }

  private async follow(cap: Capture, select: (q: string) => GraphNode[]): Promise<void> {
    const want = this.wanted(select(cap.GremlinQuery));
    const save = () => {
      cap.Count = cap.Applied.length;
      this.store.put(cap.UUID, cap);
    };
    let changed = false;
    // Nodes that stopped matching (or are gone): take back exactly what was configured there.
    for (const a of [...cap.Applied].reverse()) {
      if (want.has(a.node)) continue;
      if (a.kind !== 'host') {
        const target = this.targets().find((t) => t.text === a.endpoint);
        if (!target?.connected()) continue;
        if (a.kind === 'sflow') await target.removeSflow(a.bridgeUuid, a.sflowUuid);
        else await target.removeMirror(a.bridgeUuid, a.mirrorUuid, a.portUuid);
      }
      cap.Applied = cap.Applied.filter((x) => x !== a);
      changed = true;
      save();
    }
    const have = new Set(cap.Applied.map((a) => a.node));
    for (const [id, { node, target }] of want) {
      if (have.has(id) || (target && !target.connected())) continue;
      // Someone else's sFlow on the bridge (or another capture's): not ours to replace.
      if (node.Metadata.Type === 'ovsbridge' && node.Metadata.SFlow) continue;
      await this.applyOne(cap, node, target);
      changed = true;
      // Persisted after each step, so a crash half-way still knows what to undo.
      save();
    }
    if (changed) {
      this.defaults.onCreated?.();
      this.syncReaders();
    }
  }

  delete(id: string): Promise<boolean> {
    return this.serial(() => this.deleteNow(id));
  }

  private async deleteNow(id: string): Promise<boolean> {
    const cap = this.captures.get(id);
    if (!cap) return false;
    await this.undo(cap);
    this.captures.delete(id);
    this.store.delete(id);
    this.syncReaders();
    return true;
  }

  private async undo(cap: Capture): Promise<void> {
    for (const a of [...cap.Applied].reverse()) {
      if (a.kind !== 'host') {
        const target = this.targets().find((t) => t.text === a.endpoint);
        if (!target || !target.connected())
          throw new CaptureUnavailable(`OVSDB ${a.endpoint} is not connected; the capture stays until it is`);
        if (a.kind === 'sflow') await target.removeSflow(a.bridgeUuid, a.sflowUuid);
        else await target.removeMirror(a.bridgeUuid, a.mirrorUuid, a.portUuid);
      }
      cap.Applied = cap.Applied.filter((x) => x !== a);
      this.store.put(cap.UUID, cap);
    }
  }
}
