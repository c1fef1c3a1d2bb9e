// What collectors push into the stitcher (docs/architecture.md#stitching) and what it reports back. The row shapes are
// structurally compatible with the SNMP poller's LldpObservation / FdbObservation / CdpObservation
// so an adapter can pass them through unchanged; src/topology imports no collector.

/** Evidence names recorded under an edge's `Metadata.Evidence`. */
export type EvidenceSource = 'lldp-snmp' | 'lldp-agent' | 'cdp' | 'fdb' | 'fabric' | 'lag';
/** Sources that name a neighbour (one row = "my port X sees device D port P"). */
export type NeighbourSource = 'lldp-snmp' | 'lldp-agent' | 'cdp';

/** Seen-ness shared by every row. `missed` counts the reporter's polls since the row was last seen. */
export interface Seen {
  firstSeen?: number;
  lastSeen?: number;
  missed?: number;
  /** LLDP TTL in seconds (frames / agent); the row expires at lastSeen + ttl. 0 = shutdown PDU. */
  ttl?: number | null;
}

/** One LLDP (or CDP, normalised) neighbour as seen from a local port of the reporter. */
export interface NeighbourRow extends Seen {
  /** Local port as a graph node ID (host interfaces, or already resolved). */
  localPortId?: string | null;
  /** Local port as an ifIndex on the reporting switch → ids.port(reporterId, ifIndex). */
  localIfIndex?: number | null;
  chassisIdSubtype: number | null;
  chassisId: string | null;
  portIdSubtype: number | null;
  portId: string | null;
  portDesc?: string | null;
  sysName?: string | null;
  capSupported?: string[];
  capEnabled?: string[];
  managementAddresses?: string[];
  /** 802.1AX/802.3 link-aggregation TLV of the neighbour: its port is a member of aggregate `portId` (an ifIndex on it). */
  linkAggregation?: { enabled: boolean; portId: number } | null;
}

/** CDP cache row (CISCO-CDP-MIB), as the poller records it. */
export interface CdpRow extends Seen {
  ifIndex: number;
  remoteDeviceId: string | null;
  remotePort: string | null;
  platform?: string | null;
  address: string | null;
  /** cdpCacheCapabilities bit mask (0x01 router, 0x02/0x04 bridge, 0x08 switch, 0x10 host). */
  capabilities: number | null;
}

/** One forwarding-database entry: MAC learned on a bridge port (ifIndex) of the reporter switch. */
export interface MacRow extends Seen {
  mac: string;
  ifIndex: number | null;
  vlan?: number | null;
}

/** A link aggregate on the reporter and its member ports (ifIndex or node ID each). */
export interface AggregateRow {
  aggregate: PortRef;
  members: PortRef[];
}
export interface PortRef {
  ifIndex?: number;
  portId?: string;
}

export interface StitcherOptions {
  /** A row counts as gone (link DOWN) once missed ≥ this many polls; never 1 (first miss). Default 2. */
  missedPollsDown?: number;
  /** DOWN links are deleted once their evidence is older than this (ms). Default 24 h. */
  retentionMs?: number;
  /** Period of the TTL/retention sweep started by start() (ms). Default 5 s; 0 = no timer. */
  sweepIntervalMs?: number;
  now?: () => number;
}

/** One claim "these two endpoints are cabled", from one reporter and one source. */
export interface Claim {
  /** Input (source + reporter) the claim came from. */
  input: string;
  /** Ordered endpoints (a < b): one edge per cable whichever side reports it. */
  a: string;
  b: string;
  /** Endpoint on the reporter's side (two different sides agreeing = both directions). */
  side: string;
  source: EvidenceSource;
  reporter: string;
  firstSeen: number;
  lastSeen: number;
  /** Counts toward UP (seen recently, not TTL-expired). */
  current: boolean;
  /** Seen in the reporter's latest poll / frame: only fresh claims compete in a conflict. */
  fresh: boolean;
  /** The far end is a switch (for the edge-port test of FDB). */
  farIsSwitch: boolean;
}

export interface ConflictClaim {
  Edge: string;
  Peer: string;
  Sources: EvidenceSource[];
  Reporters: string[];
  Score: number;
  /** False: weaker evidence, not turned into a link (or its old link marked DOWN). */
  Kept: boolean;
}

export interface ConflictInfo {
  /** The port / interface claimed to have more than one far end. */
  Endpoint: string;
  EndpointName?: string;
  Claims: ConflictClaim[];
}

export interface StitchStatus {
  links: { UP: number; DOWN: number };
  conflicts: ConflictInfo[];
  /** Neighbour rows whose local port is not (yet) in the graph. */
  unresolvedRows: number;
  /** Unknown neighbours kept as their own nodes (Probe lldp). */
  placeholders: number;
  lastRecomputeMs: number | null;
  inputs: number;
}

/** The stitcher's input: what sources tell it per reporting switch (each call replaces that switch's rows). */
export interface StitchInput {
  replaceNeighbours(reporterId: string, source: NeighbourSource, rows: NeighbourRow[], now?: number): void;
  replaceCdp(reporterId: string, rows: CdpRow[], now?: number): void;
  replaceMacs(reporterId: string, rows: MacRow[], now?: number): void;
  /** A reporter's link aggregates and their members (IEEE8023-LAG-MIB, ifStackTable). */
  replaceAggregates(reporterId: string, rows: AggregateRow[], now?: number): void;
}
