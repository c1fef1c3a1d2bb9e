// /ws/publisher and /ws/agent: an external process pushes its sub-graph under its own origin.
// `Sync` replaces that origin's sub-graph; invalid elements are dropped and counted.
import type { WebSocket } from 'ws';
import type { Counter } from 'prom-client';
import type { GraphStore, GraphTx } from '../../topology/store/graph-store.ts';
import type { Logger } from '../../util/log.ts';
import { RateLimitedLog } from '../../util/log.ts';
import type { WriteFailures } from '../../util/write-failures.ts';
import { ElementError, validateEdge, validateNode } from '../elements.ts';
import { envelope, parseEnvelope } from './envelope.ts';

/** Why a publisher's element or message is dropped (the `reason` of canopy_ws_invalid_elements_total). */
export const PUBLISHER_DROP_REASONS = [
  'invalid_node',
  'invalid_edge',
  'foreign_node',
  'foreign_edge',
  'foreign_delete',
  'bad_message',
  'unknown_type',
] as const;
/** Origins of what clients push: publishers and host agents (`publisher.<host>`, `agent.<host>`) and the REST API (`api`). */
const PUBLISHED_ORIGIN = /^((agent|publisher)\.|api$)/;

export type PublisherDropReason = (typeof PUBLISHER_DROP_REASONS)[number];

export interface PublisherOptions {
  origin: string;
  host: string;
  deleteOnDisconnect: boolean;
  invalid: Counter<'reason'>;
  /** Answer an unusable message with an `Error` frame (agents; Skydive publishers never expect one). */
  errorFrames?: boolean;
  /** Counts graph writes that failed outside a message (the removal on disconnect). */
  writeFailures?: WriteFailures;
}

export class Publisher {
  private readonly warn: RateLimitedLog;

  constructor(
    private readonly ws: WebSocket,
    private readonly store: GraphStore,
    private readonly opts: PublisherOptions,
    private readonly log: Logger,
    onClose: () => void,
  ) {
    this.warn = new RateLimitedLog(log);
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('close', () => {
      if (opts.deleteOnDisconnect) this.removeOrigin();
      onClose();
    });
  }

  private drop(reason: PublisherDropReason, detail: string): void {
    this.opts.invalid.inc({ reason });
    this.warn.warn(reason, { origin: this.opts.origin, detail }, 'publisher element dropped');
    if (this.opts.errorFrames && (reason === 'bad_message' || reason === 'unknown_type') && this.ws.readyState === this.ws.OPEN)
      this.ws.send(JSON.stringify(envelope('Error', { Reason: reason, Detail: detail }, { Status: 400 })));
  }

  private node(tx: GraphTx, obj: unknown): string | undefined {
    try {
      const n = validateNode(obj, this.opts.origin, this.opts.host);
      // Never another publisher's, another host's agent's or the REST API's node. IDs shared with the collector's
      // own sources are by design (an OVS interface its host's agent also reports), so those stay writable.
      const existing = tx.getNode(n.ID);
      if (existing && existing.Origin !== this.opts.origin && PUBLISHED_ORIGIN.test(existing.Origin)) {
        this.drop('foreign_node', `node ${n.ID} belongs to ${existing.Origin}`);
        return undefined;
      }
      tx.upsertNode(n);
      return n.ID;
    } catch (e) {
      if (e instanceof ElementError) this.drop('invalid_node', e.message);
      else throw e;
      return undefined;
    }
  }

  private edge(tx: GraphTx, obj: unknown): string | undefined {
    try {
      const e = validateEdge(obj, this.opts.origin, tx, this.opts.host);
      const existing = tx.getEdge(e.ID);
      if (existing && existing.Origin !== this.opts.origin) {
        this.drop('foreign_edge', `edge ${e.ID} belongs to ${existing.Origin}`);
        return undefined;
      }
      tx.upsertEdge(e);
      return e.ID;
    } catch (err) {
      if (err instanceof ElementError) this.drop('invalid_edge', err.message);
      else throw err;
      return undefined;
    }
  }

  private onMessage(text: string): void {
    const msg = parseEnvelope(text);
    if (!msg) {
      this.drop('bad_message', 'not a JSON envelope');
      return;
    }
    // Skydive's publisher endpoint answers a SyncRequest with the whole graph, same UUID.
    if (msg.Type === 'SyncRequest') {
      const graph = { Nodes: [...this.store.allNodes()], Edges: [...this.store.allEdges()] };
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(envelope('SyncReply', graph, { UUID: msg.UUID, Status: 200 })));
      return;
    }
    const obj = msg.Obj as Record<string, unknown> | undefined;
    try {
      this.store.write((tx) => {
        switch (msg.Type) {
          case 'Sync':
          case 'SyncReply': {
            const nodes = Array.isArray(obj?.Nodes) ? obj.Nodes : [];
            const edges = Array.isArray(obj?.Edges) ? obj.Edges : [];
            const keepNodes = new Set(nodes.map((n) => this.node(tx, n)).filter(Boolean));
            const keepEdges = new Set(edges.map((e) => this.edge(tx, e)).filter(Boolean));
            const mine = this.store.idsByOrigin(this.opts.origin);
            for (const id of mine.edges) if (!keepEdges.has(id)) tx.deleteEdge(id);
            for (const id of mine.nodes) if (!keepNodes.has(id)) tx.deleteNode(id);
            break;
          }
          case 'NodeAdded':
          case 'NodeUpdated':
            this.node(tx, obj);
            break;
          case 'EdgeAdded':
          case 'EdgeUpdated':
            this.edge(tx, obj);
            break;
          case 'NodeDeleted':
          case 'EdgeDeleted': {
            const id = typeof obj?.ID === 'string' ? obj.ID : '';
            const el = msg.Type === 'NodeDeleted' ? tx.getNode(id) : tx.getEdge(id);
            if (!el) break;
            if (el.Origin !== this.opts.origin) {
              this.drop('foreign_delete', `${id} belongs to ${el.Origin}`);
              break;
            }
            if (msg.Type === 'NodeDeleted') tx.deleteNode(id);
            else tx.deleteEdge(id);
            break;
          }
          // Relay and capture frames are the AgentHub's (./agents.ts, ./agent-captures.ts).
          case 'OvsdbRelayError':
          case 'CaptureFlows':
          case 'CaptureError':
            break;
          default:
            this.drop('unknown_type', msg.Type);
        }
      });
    } catch (e) {
      // Rate-limited: a full disk fails every message of every agent until space returns.
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_') && this.opts.writeFailures) this.opts.writeFailures.record('graph', e, 0);
      else this.warn.error('message-failed', { err: e, origin: this.opts.origin }, 'publisher message failed');
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(envelope('Error', (e as Error).message, { Status: 500 })));
    }
  }

  private removeOrigin(): void {
    const mine = this.store.idsByOrigin(this.opts.origin);
    try {
      this.store.write((tx) => {
        for (const id of mine.edges) tx.deleteEdge(id);
        for (const id of mine.nodes) tx.deleteNode(id);
      });
    } catch (err) {
      // Runs in the socket's close event: a failed write (disk full) must not take the process down.
      if (this.opts.writeFailures) this.opts.writeFailures.record('graph', err, mine.nodes.length + mine.edges.length);
      else this.log.error({ err, origin: this.opts.origin }, 'removing a disconnected publisher failed');
    }
  }
}
