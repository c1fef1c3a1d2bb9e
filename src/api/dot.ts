// Graphviz DOT rendering of a (sub)graph, for `Accept: text/vnd.graphviz`.
import type { GraphEdge, GraphNode } from '../topology/types.ts';
import { isEdge } from '../topology/types.ts';

/** Text inside a DOT quoted string: backslash and quote escaped, line breaks as DOT's \n escape. */
const esc = (s: unknown) => String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n');
const q = (s: unknown) => `"${esc(s)}"`;

export function toDot(nodes: GraphNode[], edges: GraphEdge[]): string {
  const lines = ['digraph canopy {', '  node [shape=box];'];
  const ids = new Set(nodes.map((n) => n.ID));
  for (const n of nodes) {
    const md = n.Metadata;
    // Name and type on two lines: the \n escape goes in after escaping, or it would be doubled.
    lines.push(`  ${q(n.ID)} [label="${esc(md.Name ?? n.ID)}\\n${esc(md.Type ?? '')}"];`);
  }
  for (const e of edges) {
    if (!ids.has(e.Parent) || !ids.has(e.Child)) continue;
    const rel = String(e.Metadata.RelationType ?? '');
    const style = rel === 'ownership' ? ' style=dashed' : rel === 'layer2' ? ' dir=none' : '';
    lines.push(`  ${q(e.Parent)} -> ${q(e.Child)} [label=${q(rel)}${style}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Splits a query result into nodes and edges when it is made of graph elements. */
export function elementsOf(result: unknown): { nodes: GraphNode[]; edges: GraphEdge[] } | undefined {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const visit = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.every(visit);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.Nodes) && Array.isArray(o.Edges)) {
        nodes.push(...(o.Nodes as GraphNode[]));
        edges.push(...(o.Edges as GraphEdge[]));
        return true;
      }
      if (typeof o.ID === 'string' && o.Metadata) {
        if (isEdge(o as unknown as GraphEdge)) edges.push(o as unknown as GraphEdge);
        else nodes.push(o as unknown as GraphNode);
        return true;
      }
    }
    return false;
  };
  return visit(result) ? { nodes, edges } : undefined;
}
