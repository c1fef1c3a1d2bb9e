// Flow rows as stored: the flow table's flushes for a short window and 1-minute rollups beyond it.
// The flow pipeline (collectors/flows) owns what goes in; this is only the storage contract.

export interface FlowKey {
  protocol: string;
  exporter: string;
  deviceId: string;
  inIf: number;
  outIf: number;
  inPortId: string | null;
  outPortId: string | null;
  vlan: number;
  srcAddr: string;
  dstAddr: string;
  proto: number;
  srcPort: number;
  dstPort: number;
  /** L2 header of the sampled frame ('' / 0 when the source does not report it, e.g. most NetFlow). */
  srcMac: string;
  dstMac: string;
  etherType: number;
}

export interface FlowEntry extends FlowKey {
  first: number;
  last: number;
  /** Scaled by the sampling rate. */
  bytes: number;
  packets: number;
  /** Records aggregated (not scaled). */
  flows: number;
  samplingRate: number;
  samplingMissing: boolean;
}

/**
 * What makes a flow a host's (or a host interface's): seen on one of its TOR ports with one of its
 * MACs or addresses; with no TOR port known, any flow with one of its addresses.
 */
export interface HostScope {
  ports: string[];
  macs: string[];
  addrs: string[];
}

export interface FlowQuery {
  exporter?: string;
  /** A port, switch or exporter node: flows whose device or in/out port is it. */
  node?: string;
  /** Several such nodes (the Flows() query step); OR-ed with `hosts`. */
  nodes?: string[];
  /** Hosts (or host interfaces) by their scope; OR-ed with `nodes`. */
  hosts?: HostScope[];
  /** An IP address or MAC as source or destination. */
  addr?: string;
  /** An IP address or MAC as source. */
  src?: string;
  /** An IP address or MAC as destination. */
  dst?: string;
  port?: number;
  proto?: number;
  from?: number;
  to?: number;
  top?: number;
}

/** Flows summed over their key (first/last span the merged rows). */
export interface FlowAggregate extends FlowKey {
  bytes: number;
  packets: number;
  flows: number;
  first: number;
  last: number;
}

export interface FlowRecordStore {
  /**
   * Writes entries from `start` in one transaction until they run out or `deadline`
   * (performance.now()) passes, folding them into the rollup; returns the index after the last row
   * written. The deadline is what paces flow-table flushes: the receive path must not stall.
   */
  writeSome(entries: readonly FlowEntry[], start: number, deadline: number): number;
  /** Flows recorded against merged-away node IDs move to the canonical ones (old ID → canonical ID). */
  repointNodes(moved: ReadonlyMap<string, string>): void;
  /** Deletes up to `limit` rows older than the cuts (window rows by `last`, rollups by minute); returns how many went. */
  prune(windowCut: number, rollupCut: number, limit?: number): number;
  /**
   * Flows aggregated over the key, biggest first. Ranges starting before `windowStart` are answered
   * from the 1-minute rollups (first/last then are minute starts).
   */
  query(q: FlowQuery, windowStart: number): FlowAggregate[];
}
