// Per-port counter deltas over time, one row per reading interval and source, and their rollups
// (docs/architecture.md#port-metrics): raw rows for `storage.metricsWindow`, then 1-minute,
// 5-minute and 1-hour buckets, each kept for its own retention.

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
  /** ifOperStatus at the end of the interval (1 up, 2 down …), when the source says. */
  oper?: number | null;
}

/** Resolutions a series is kept at: 0 = raw rows, then rollup bucket lengths (ms). */
export const ROLLUP_STEPS = [60_000, 300_000, 3_600_000] as const;
export type SeriesStep = 0 | (typeof ROLLUP_STEPS)[number];

/**
 * One raw row or rollup bucket. `t` is a raw row's end (`last`) or a bucket's start; `span` is the
 * time (ms) its deltas cover, so a rate is delta / span whatever gaps the bucket had.
 */
export interface SeriesBucket extends InterfaceCounters {
  nodeId: string;
  source: string;
  t: number;
  span: number;
  /** Worst ifOperStatus seen (2 down over 1 up), null when no source said. */
  oper: number | null;
}

/** Oldest time kept per resolution (epoch ms); rows before it are deleted. */
export type SeriesCutoffs = Record<SeriesStep, number>;

export interface PortSeriesStore {
  /** Appends rows and adds them to every rollup, in one transaction (callers buffer and flush on a timer). */
  append(rows: readonly PortSeriesRow[]): void;
  /** Rows of a port merged away (old ID → canonical ID) follow it, rollups too. */
  repoint(moved: ReadonlyMap<string, string>): void;
  /** One port's raw rows, oldest first. */
  rows(nodeId: string): PortSeriesRow[];
  /** These ports' rows at one resolution with from ≤ t < to, oldest first. */
  read(nodeIds: readonly string[], step: SeriesStep, from: number, to: number): SeriesBucket[];
  /** Deletes what is older than each resolution's cutoff; returns the rows deleted. */
  prune(cutoffs: SeriesCutoffs): number;
}
