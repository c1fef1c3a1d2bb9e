// The raw graph as the subscriber feed delivers it, plus the few indices the display needs:
// ownership (child → owner) and the wire-like edges (layer2/fabric) at each node.
import type { GEdge, GNode } from './types.ts';

/** Edges drawn as links between devices; ownership is containment, not a wire. */
export const WIRE_RELATIONS = new Set(['layer2', 'fabric']);

export interface ChangeSummary {
  /** Nodes/edges appeared or went, or a node's Type/Name/Role changed: derived structure is stale. */
  structural: boolean;
  /** Graph node IDs whose metadata changed (state, counters …). */
  touched: Set<string>;
}

export class GraphModel {
  readonly nodes = new Map<string, GNode>();
  readonly edges = new Map<string, GEdge>();
  readonly owner = new Map<string, string>();
  readonly children = new Map<string, Set<string>>();
  readonly wires = new Map<string, Set<string>>();
  /** Every ownership edge naming a child: an identity merge briefly gives a child two owners. */
  private readonly ownerEdges = new Map<string, Set<string>>();

  reset(nodes: GNode[], edges: GEdge[]): void {
    this.nodes.clear();
    this.edges.clear();
    this.owner.clear();
    this.children.clear();
    this.wires.clear();
    this.ownerEdges.clear();
    for (const n of nodes) this.nodes.set(n.ID, n);
    for (const e of edges) this.addEdge(e);
  }

  private static addTo(m: Map<string, Set<string>>, k: string, v: string): void {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(v);
  }

  private addEdge(e: GEdge): void {
    this.edges.set(e.ID, e);
    const rel = e.Metadata.RelationType;
    if (rel === 'ownership') {
      this.owner.set(e.Child, e.Parent);
      GraphModel.addTo(this.children, e.Parent, e.Child);
      GraphModel.addTo(this.ownerEdges, e.Child, e.ID);
    } else if (typeof rel === 'string' && WIRE_RELATIONS.has(rel)) {
      GraphModel.addTo(this.wires, e.Parent, e.ID);
      GraphModel.addTo(this.wires, e.Child, e.ID);
    }
  }

  /** The child's owner after its current one went away: another ownership edge still naming it, if any. */
  private reown(child: string, gone?: string): void {
    this.owner.delete(child);
    for (const eid of this.ownerEdges.get(child) ?? []) {
      const e = this.edges.get(eid);
      if (e && e.Parent !== gone && this.nodes.has(e.Parent)) {
        this.owner.set(child, e.Parent);
        return;
      }
    }
  }

  private removeEdge(id: string): GEdge | undefined {
    const e = this.edges.get(id);
    if (!e) return undefined;
    this.edges.delete(id);
    if (e.Metadata.RelationType === 'ownership') {
      this.ownerEdges.get(e.Child)?.delete(id);
      this.children.get(e.Parent)?.delete(e.Child);
      if (this.owner.get(e.Child) === e.Parent) this.reown(e.Child);
    } else {
      this.wires.get(e.Parent)?.delete(id);
      this.wires.get(e.Child)?.delete(id);
    }
    return e;
  }

  /** Applies one change-feed event; returns what it invalidated. */
  apply(type: string, obj: GNode | GEdge, out: ChangeSummary): void {
    switch (type) {
      case 'NodeAdded':
      case 'NodeUpdated': {
        const old = this.nodes.get(obj.ID);
        this.nodes.set(obj.ID, obj);
        const m = obj.Metadata;
        const o = old?.Metadata;
        if (!o || o.Type !== m.Type || o.Name !== m.Name || o.Role !== m.Role) out.structural = true;
        out.touched.add(obj.ID);
        break;
      }
      case 'NodeDeleted': {
        if (!this.nodes.delete(obj.ID)) break;
        // The collector deletes a node's edges with it and sends those events too; drop ours now
        // so the indices never point at a missing node.
        for (const id of [...(this.wires.get(obj.ID) ?? [])]) this.removeEdge(id);
        for (const c of [...(this.children.get(obj.ID) ?? [])]) if (this.owner.get(c) === obj.ID) this.reown(c, obj.ID);
        const p = this.owner.get(obj.ID);
        if (p) this.children.get(p)?.delete(obj.ID);
        this.owner.delete(obj.ID);
        this.children.delete(obj.ID);
        this.wires.delete(obj.ID);
        this.ownerEdges.delete(obj.ID);
        out.structural = true;
        break;
      }
      case 'EdgeAdded':
      case 'EdgeUpdated': {
        const e = obj as GEdge;
        const old = this.edges.get(e.ID);
        if (old && old.Metadata.RelationType === e.Metadata.RelationType && old.Parent === e.Parent && old.Child === e.Child) {
          this.edges.set(e.ID, e);
          out.touched.add(e.Parent);
          out.touched.add(e.Child);
          break;
        }
        if (old) this.removeEdge(e.ID);
        this.addEdge(e);
        out.structural = true;
        break;
      }
      case 'EdgeDeleted':
        if (this.removeEdge(obj.ID)) out.structural = true;
        break;
    }
  }

  /** The top-level owner (switch, host …) and, on the way up, the first container/pod. */
  climb(id: string): { top: string; container: string | undefined } {
    let cur = id;
    let container: string | undefined;
    for (let i = 0; i < 16; i++) {
      const t = this.nodes.get(cur)?.Metadata.Type;
      if (container === undefined && (t === 'container' || t === 'pod')) container = cur;
      const p = this.owner.get(cur);
      if (p === undefined || !this.nodes.has(p)) break;
      cur = p;
    }
    return { top: cur, container: container === cur ? undefined : container };
  }
}
