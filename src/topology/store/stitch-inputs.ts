// The stitcher's evidence: the latest input set per (source, reporter), so a restart re-derives
// the same links from the same evidence (IDs are deterministic; aliases live in the graph store).

export type InputSource = 'lldp-snmp' | 'lldp-agent' | 'cdp' | 'fdb' | 'lag';

export interface StoredInput {
  source: InputSource;
  reporter: string;
  rows: unknown[];
  updatedAt: number;
}

export interface StitchInputStore {
  /** Replaces a reporter's input set; an empty set removes it. */
  save(source: InputSource, reporter: string, rows: unknown[], now: number): void;
  all(): StoredInput[];
}
