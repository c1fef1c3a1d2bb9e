// Per-port counter deltas over time, one row per reading interval and source.

/** A port's counters as every source reports them (sFlow generic counters, IF-MIB, NetFlow totals). */
export interface InterfaceCounters {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
}

export interface PortSeriesRow extends InterfaceCounters {
  nodeId: string;
  source: string;
  start: number;
  last: number;
}

export interface PortSeriesStore {
  /** Appends rows in one transaction (callers buffer and flush on a timer). */
  append(rows: readonly PortSeriesRow[]): void;
  /** Rows of a port merged away (old ID → canonical ID) follow it. */
  repoint(moved: ReadonlyMap<string, string>): void;
  /** One port's rows, oldest first. */
  rows(nodeId: string): PortSeriesRow[];
}
