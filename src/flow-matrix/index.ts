// The flow matrix as the API and the CLI ask for it: which instants of the graph to read (`at`,
// `duration`), whether to join flows, which host to keep. Reads only through the graph reader
// (GraphStore.at for history) and a flows function the caller passes (the flows reader).
import type { GraphReader } from '../topology/store/graph-store.ts';
import { readGraph } from './holders.ts';
import { computeMatrix, rowsOfHost, type FlowTuple, type MatrixRow } from './matrix.ts';

export { CSV_COLUMNS, computeMatrix, type FlowTuple, type MatrixRow } from './matrix.ts';
export { toCsv, toDot, toJson } from './render.ts';
export { dotToSvg } from './svg.ts';

export interface MatrixRequest {
  /** The instant to read (epoch ms); undefined = now (the live graph). */
  at?: number;
  /** Also read the graph this long before `at`, and flows seen over the window (ms). */
  durationMs: number;
  useFlows: boolean;
  listNoPeers: boolean;
  /** Keep the rows with this host (node ID or name) at either end. */
  host?: string;
}

export interface MatrixSources {
  graph: GraphReader & { at(t: number): GraphReader };
  /** Flows (both TCP and UDP) seen between from and to; absent when no flow collection runs. */
  flows?: (from: number, to: number) => FlowTuple[];
}

/** Flows looked at when no duration is given: the last minute before the instant. */
export const DEFAULT_FLOW_WINDOW_MS = 60_000;

export class NoFlowsError extends Error {}

export function buildMatrix(src: MatrixSources, req: MatrixRequest, now = Date.now()): MatrixRow[] {
  const t = req.at ?? now;
  const readerAt = (x: number): GraphReader => (x >= now ? src.graph : src.graph.at(x));
  const readers = [readerAt(t)];
  if (req.durationMs > 0) readers.push(readerAt(t - req.durationMs));
  let flows: FlowTuple[] | undefined;
  if (req.useFlows) {
    if (!src.flows) throw new NoFlowsError('useFlows needs flow collection (sFlow, NetFlow/IPFIX or mirror captures) in this collector');
    flows = src.flows(t - Math.max(req.durationMs, DEFAULT_FLOW_WINDOW_MS), t);
  }
  const rows = computeMatrix(readGraph(readers), { listNoPeers: req.listNoPeers, flows });
  return req.host ? rowsOfHost(rows, req.host) : rows;
}
