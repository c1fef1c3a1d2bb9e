// Applies the static fabric (docs/architecture.md#static-fabric) to the graph under origin "fabric": on start, on reload
// (changes applied, removed lines deleted) and whenever a host matching a wildcard appears.
import type { GraphStore, GraphTx } from './store/graph-store.ts';
import type { GraphEvent, GraphNode, Metadata } from './types.ts';
import { idFor } from './ids.ts';
import { valueMatches, getPath } from './metadata.ts';
import { parseFabricLine, type FabricLine, type FabricWildcardRef } from './fabric-dsl.ts';
import type { Logger } from '../util/log.ts';

export const FABRIC_ORIGIN = 'fabric';

interface Desired {
  nodes: Map<string, { id: string; md: Metadata }>;
  links: { parent: string; child: string; ownership: boolean }[];
  wildcards: { parent: string; ref: FabricWildcardRef }[];
}

export function fabricNodeId(label: string): string {
  return idFor('fabric', label);
}

function plan(lines: FabricLine[]): Desired {
  const d: Desired = { nodes: new Map(), links: [], wildcards: [] };
  const owners = new Set<string>();
  const owned = new Set<string>();
  for (const l of lines) {
    if (l.to?.kind === 'node' && l.arrow === '->') {
      owners.add(l.from.kind === 'node' ? l.from.label : '');
      owned.add(l.to.label);
    }
  }
  const addNode = (label: string, props: Metadata) => {
    const prev = d.nodes.get(label);
    const md: Metadata = { ...(prev?.md ?? {}), ...props };
    d.nodes.set(label, { id: fabricNodeId(label), md });
  };
  for (const l of lines) {
    if (l.from.kind !== 'node') continue;
    addNode(l.from.label, l.from.props);
    if (l.to?.kind === 'node') {
      addNode(l.to.label, l.to.props);
      d.links.push({ parent: fabricNodeId(l.from.label), child: fabricNodeId(l.to.label), ownership: l.arrow === '->' });
    } else if (l.to?.kind === 'wildcard') {
      d.wildcards.push({ parent: fabricNodeId(l.from.label), ref: l.to });
    }
  }
  for (const [label, n] of d.nodes) {
    n.md = {
      Name: label,
      Type: owners.has(label) ? 'switch' : owned.has(label) ? 'port' : 'device',
      ...n.md,
      Probe: 'fabric',
    };
  }
  return d;
}

export class Fabric {
  private desired: Desired = { nodes: new Map(), links: [], wildcards: [] };
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: GraphStore,
    private readonly log: Logger,
  ) {}

  /** Parses and applies the lines; throws (changing nothing) on a syntax error. */
  apply(lines: string[]): { nodes: number; links: number; wildcardLinks: number } {
    const parsed = lines.map((l, i) => {
      try {
        return parseFabricLine(l);
      } catch (e) {
        throw new Error(`topology.fabric.${i}: ${(e as Error).message}`, { cause: e });
      }
    });
    const d = plan(parsed);
    this.desired = d;
    let wildcardLinks = 0;
    this.store.write((tx) => {
      const keepNodes = new Set<string>();
      const keepEdges = new Set<string>();
      for (const n of d.nodes.values()) {
        const existing = tx.getNode(n.id);
        tx.upsertNode({ ID: n.id, Metadata: { ...(existing?.Metadata ?? {}), ...n.md }, Origin: FABRIC_ORIGIN, Host: 'fabric' });
        keepNodes.add(n.id);
      }
      for (const l of d.links) {
        if (l.ownership) keepEdges.add(this.link(tx, l.parent, l.child, 'ownership'));
        keepEdges.add(this.link(tx, l.parent, l.child, 'layer2'));
      }
      for (const w of d.wildcards) {
        for (const iface of this.wildcardTargets(tx, w.ref)) {
          keepEdges.add(this.link(tx, w.parent, iface.ID, 'layer2'));
          wildcardLinks++;
        }
      }
      const mine = this.store.idsByOrigin(FABRIC_ORIGIN);
      for (const id of mine.edges) if (!keepEdges.has(id)) tx.deleteEdge(id);
      for (const id of mine.nodes) if (!keepNodes.has(id)) tx.deleteNode(id);
    });
    if (!this.unsubscribe) this.unsubscribe = this.store.subscribe((evs) => this.onEvents(evs));
    this.log.info({ nodes: d.nodes.size, links: d.links.length, wildcardLinks }, 'fabric applied');
    return { nodes: d.nodes.size, links: d.links.length, wildcardLinks };
  }

  private link(tx: GraphTx, parent: string, child: string, rel: 'ownership' | 'layer2'): string {
    const id = idFor('fabric-edge', parent, child, rel);
    const existing = tx.getEdge(id);
    const md: Metadata =
      rel === 'layer2'
        ? { RelationType: rel, Evidence: existing?.Metadata.Evidence ?? { fabric: { FirstSeen: Date.now() } } }
        : { RelationType: rel };
    tx.upsertEdge({ ID: id, Parent: parent, Child: child, Metadata: md, Origin: FABRIC_ORIGIN, Host: 'fabric' });
    return id;
  }

  /** Interfaces named ref.iface owned by nodes matching ref.match. */
  private wildcardTargets(tx: GraphTx, ref: FabricWildcardRef): GraphNode[] {
    const entries = Object.entries(ref.match);
    const [k0, v0] = entries.find(([k]) => k === 'Name' || k === 'Type') ?? entries[0]!;
    const hosts = tx.findNodes(k0, v0).filter((n) => entries.every(([k, v]) => valueMatches(getPath(n.Metadata, k), v)));
    const out: GraphNode[] = [];
    for (const h of hosts) {
      for (const e of tx.edgesOf(h.ID, 'out')) {
        if (e.Metadata.RelationType !== 'ownership') continue;
        const c = tx.getNode(e.Child);
        if (c && c.Metadata.Name === ref.iface) out.push(c);
      }
    }
    return out;
  }

  /** A host or interface appearing later completes a wildcard link. */
  private onEvents(evs: readonly GraphEvent[]): void {
    if (this.desired.wildcards.length === 0) return;
    const relevant = evs.some(
      (e) =>
        (e.type === 'NodeAdded' && e.node.Origin !== FABRIC_ORIGIN) ||
        (e.type === 'EdgeAdded' && e.edge.Metadata.RelationType === 'ownership' && e.edge.Origin !== FABRIC_ORIGIN),
    );
    if (!relevant) return;
    // Deferred: we are inside another writer's change notification.
    queueMicrotask(() => {
      this.store.write((tx) => {
        for (const w of this.desired.wildcards) {
          for (const iface of this.wildcardTargets(tx, w.ref)) {
            const id = idFor('fabric-edge', w.parent, iface.ID, 'layer2');
            if (!tx.getEdge(id) && tx.getNode(w.parent)) this.link(tx, w.parent, iface.ID, 'layer2');
          }
        }
      });
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
