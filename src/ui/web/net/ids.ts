// Graph node IDs in answers the wall highlights (no DOM: the model tests read it too).

/** Graph node IDs in a query result (node lists, edge lists, SubGraph objects, FlowPath() paths). */
export function idsIn(result: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 4 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.ID === 'string' && typeof o.Parent === 'string' && typeof o.Child === 'string') out.push(o.Parent, o.Child);
    else if (typeof o.ID === 'string') out.push(o.ID);
    else if (Array.isArray(o.hops)) {
      // An observed path (FlowPath(), /api/flows/path): its devices and the ports it crossed.
      for (const hop of o.hops as Record<string, unknown>[]) {
        for (const k of ['deviceId', 'inPortId', 'outPortId']) if (typeof hop[k] === 'string') out.push(hop[k]);
      }
    } else for (const k of ['Nodes', 'Edges']) if (k in o) visit(o[k], depth + 1);
  };
  visit(result, 0);
  return out;
}
