// What the flow pipeline lets readers see (docs/architecture.md, "Components"): the HTTP API's
// /api/flows and the query language's Flows() step read flows through this, never the pipeline.
import type { FlowPipeline } from './pipeline.ts';
import type { FlowQuery, FlowRow, HostScope } from './flow-store.ts';
import { hostScope, isFlowNode } from './host-scope.ts';

export interface FlowsReader {
  /**
   * Flow rows in the flow window (and rollups past it) matching q; flows still in the table count.
   * `now`: the instant q's relative times were read at, so a range starting exactly at the window's
   * start ("since=-1h" with a one-hour window) is answered from the window.
   */
  query(q: FlowQuery, now?: number): FlowRow[];
  /**
   * Like query, without flushing the table or waiting for the writer first: the rows stored so
   * far, which hold every flow before storedThrough(). For periodic readers on the receive thread.
   */
  stored(q: FlowQuery, now?: number): FlowRow[];
  storedThrough(): number;
  /** Flows of graph nodes: hosts by their scope, devices and ports directly; all flows without ids. */
  ofNodes(ids: string[] | undefined, top: number): FlowRow[];
}

export function flowsReader(pipeline: FlowPipeline): FlowsReader {
  return {
    query(q, now = Date.now()) {
      // Flows still in the table are part of the answer.
      pipeline.flush();
      return pipeline.store.query(q, pipeline.windowStart(now));
    },
    stored: (q, now = Date.now()) => pipeline.store.query(q, pipeline.windowStart(now)),
    storedThrough: () => pipeline.storedThrough(),
    ofNodes: (ids, top) => flowsOfNodes(pipeline, ids, top),
  };
}

/** Flows of graph nodes for the Flows() query step: hosts by their scope, devices and ports directly. */
function flowsOfNodes(pipeline: FlowPipeline, ids: string[] | undefined, top: number): FlowRow[] {
  pipeline.flush();
  if (!ids) return pipeline.store.query({ top }, pipeline.windowStart());
  const nodes: string[] = [];
  const hosts: HostScope[] = [];
  for (const id of new Set(ids)) {
    const n = pipeline.graph.getNode(id);
    if (n && !isFlowNode(n)) hosts.push(hostScope(pipeline.graph, n));
    else nodes.push(id);
  }
  // Long lists would make one huge statement: the window's flows are filtered here instead.
  if (nodes.length + hosts.length <= 200) return pipeline.store.query({ nodes, hosts, top }, pipeline.windowStart());
  const match = rowMatcher(nodes, hosts);
  return pipeline.store.query({ top }, pipeline.windowStart()).filter(match);
}

/** The SQL conditions of FlowStore.query for nodes and hosts, as a function of a row (indexed: O(1) per row). */
function rowMatcher(nodes: string[], hosts: HostScope[]): (r: FlowRow) => boolean {
  const nodeSet = new Set(nodes);
  const byPort = new Map<string, { macs: Set<string>; addrs: Set<string> }[]>();
  const anywhere = new Set<string>();
  for (const h of hosts) {
    if (h.ports.length === 0) {
      for (const a of h.addrs) anywhere.add(a);
      continue;
    }
    const who = { macs: new Set(h.macs), addrs: new Set(h.addrs) };
    for (const p of h.ports) {
      let l = byPort.get(p);
      if (!l) byPort.set(p, (l = []));
      l.push(who);
    }
  }
  const onPort = (port: string | null, r: FlowRow) =>
    port !== null &&
    (byPort.get(port)?.some((w) => w.macs.has(r.srcMac) || w.macs.has(r.dstMac) || w.addrs.has(r.srcAddr) || w.addrs.has(r.dstAddr)) ??
      false);
  return (r) =>
    nodeSet.has(r.deviceId) ||
    (r.inPortId !== null && nodeSet.has(r.inPortId)) ||
    (r.outPortId !== null && nodeSet.has(r.outPortId)) ||
    onPort(r.inPortId, r) ||
    onPort(r.outPortId, r) ||
    anywhere.has(r.srcAddr) ||
    anywhere.has(r.dstAddr);
}
