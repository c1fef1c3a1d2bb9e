// Skydive's Sockets() step: after V() the Sockets metadata of each node; after Flows() the sockets
// of every host/namespace whose connection has that flow's 5-tuple (either direction), keyed by the
// flow's UUID. One map either way, as Skydive answers ([{}] when nothing matches).
import type { GraphNode } from '../types.ts';
import { endpointsKey, socketsOf, type Socket } from '../sockets.ts';
import type { EvalContext } from './context.ts';

export type SocketMap = Record<string, Socket[]>;

export function socketsOfNodes(ctx: EvalContext, nodes: GraphNode[]): SocketMap {
  const out: SocketMap = {};
  for (const n of nodes) {
    const s = socketsOf(n);
    if (s.length > 0) out[n.ID] = s;
  }
  return out;
}

interface FlowEnds {
  Network?: { A?: unknown; B?: unknown };
  Transport?: { Protocol?: unknown; A?: unknown; B?: unknown };
  UUID?: unknown;
}

export function socketsOfFlows(ctx: EvalContext, flows: GraphNode[]): SocketMap {
  const out: SocketMap = {};
  if (flows.length === 0) return out;
  // Every socket holder's connections, by their endpoints, read once per query.
  const byEnds = new Map<string, Socket[]>();
  for (const n of ctx.reader.allNodes()) {
    ctx.tick();
    if (n.Metadata.Sockets === undefined) continue;
    for (const s of socketsOf(n)) {
      const k = endpointsKey(s.Protocol, s.LocalAddress, s.LocalPort, s.RemoteAddress, s.RemotePort);
      const l = byEnds.get(k);
      if (l) l.push(s);
      else byEnds.set(k, [s]);
    }
  }
  for (const f of flows) {
    const md = f.Metadata as FlowEnds;
    const a = md.Network?.A;
    const b = md.Network?.B;
    const t = md.Transport;
    if (typeof a !== 'string' || typeof b !== 'string' || !t || typeof t.A !== 'number' || typeof t.B !== 'number') continue;
    const proto = String(t.Protocol);
    const found = [...(byEnds.get(endpointsKey(proto, a, t.A, b, t.B)) ?? []), ...(byEnds.get(endpointsKey(proto, b, t.B, a, t.A)) ?? [])];
    if (found.length === 0) continue;
    const id = String(md.UUID ?? f.ID);
    out[id] = [...(out[id] ?? []), ...found];
  }
  return out;
}
