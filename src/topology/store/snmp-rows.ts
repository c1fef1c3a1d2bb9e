// What the SNMP poller keeps besides the graph: API-created poll targets, the LLDP, FDB and CDP
// rows it saw (first/last seen, polls missed) that the stitcher turns into links, and ARP/ND rows
// (IP ↔ MAC) that put addresses on the nodes owning the MACs.

/** An lldpRemTable row as the agent gave it. */
export interface LldpRemote {
  /** Index exactly as the agent gave it ("timeMark.localPortNum.remIndex", or shorter). */
  rawIndex: string;
  timeMark: number | null;
  /** lldpRemLocalPortNum (v1) or lldpV2RemLocalIfIndex (v2); null when the index has no such arc. */
  localPortNum: number | null;
  remIndex: number | null;
  chassisIdSubtype: number | null;
  chassisId: string | null;
  portIdSubtype: number | null;
  portId: string | null;
  portDesc: string | null;
  sysName: string | null;
  sysDesc: string | null;
  capSupported: string[];
  capEnabled: string[];
  managementAddresses: string[];
  mib: 'lldp' | 'lldp-v2';
}

export interface FdbEntry {
  /** VLAN ID (Q-BRIDGE: the FDB ID mapped through dot1qVlanFdbId when present); null for dot1dTpFdb. */
  vlan: number | null;
  mac: string;
  bridgePort: number;
  mib: 'qbridge' | 'bridge';
}

export interface CdpEntry {
  ifIndex: number;
  deviceIndex: number;
  deviceId: string | null;
  devicePort: string | null;
  platform: string | null;
  address: string | null;
  capabilities: number | null;
}

/** An ipNetToPhysicalTable (or ipNetToMediaTable) row: a router's IP ↔ MAC binding on one interface. */
export interface ArpEntry {
  /** The router's interface the neighbour is on. */
  ifIndex: number;
  family: 'ipv4' | 'ipv6';
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (scope zone dropped). */
  ip: string;
  /** Lower case aa:bb:cc:dd:ee:ff. */
  mac: string;
  /** ipNetToPhysicalType / ipNetToMediaType: other, dynamic, static, local (the router's own address). */
  kind: 'other' | 'dynamic' | 'static' | 'local';
  mib: 'ipNetToPhysical' | 'ipNetToMedia';
}

export type ArpObservation = ArpEntry & { device: string; switchId: string; firstSeen: number; lastSeen: number; missed: number };

/** How a neighbour's local port was resolved to an ifIndex. */
export type ResolvedVia = 'lldpLocPortId' | 'lldpLocPortDesc' | 'dot1dBasePort' | 'ifIndex';

/** An lldpRemTable row as stored: what the agent said, where it resolves locally, and when. */
export type LldpObservation = Omit<LldpRemote, 'timeMark' | 'remIndex'> & {
  /** Poll target key ("address:port"). */
  device: string;
  /** Graph ID of the switch that reported the neighbour. */
  switchId: string;
  localIfIndex: number | null;
  localPortVia: ResolvedVia | null;
  firstSeen: number;
  lastSeen: number;
  /** LLDP polls of this device since the row was last seen (0 = in the latest poll). */
  missed: number;
};

export interface FdbObservation {
  device: string;
  switchId: string;
  vlan: number | null;
  mac: string;
  bridgePort: number;
  /** dot1dBasePortIfIndex of bridgePort; null when the agent does not map it. */
  ifIndex: number | null;
  mib: 'qbridge' | 'bridge';
  firstSeen: number;
  lastSeen: number;
  missed: number;
}

export interface CdpObservation {
  device: string;
  switchId: string;
  ifIndex: number;
  deviceIndex: number;
  remoteDeviceId: string | null;
  remotePort: string | null;
  platform: string | null;
  address: string | null;
  capabilities: number | null;
  firstSeen: number;
  lastSeen: number;
  missed: number;
}

export interface RowFilter {
  device?: string;
  switchId?: string;
  /** Only rows seen in the device's latest poll. */
  current?: boolean;
}

export type LldpInput = LldpRemote & { localIfIndex: number | null; localPortVia: ResolvedVia | null };
export type FdbInput = FdbEntry & { ifIndex: number | null };

export interface SnmpObservationStore {
  /**
   * Replaces one device's rows of a kind with this poll's, in one transaction: rows seen again keep
   * their first_seen, the others count one more missed poll and go once missed exceeds `keepMissed`.
   */
  recordLldp(device: string, switchId: string, rows: readonly LldpInput[], now: number, keepMissed: number): void;
  recordFdb(device: string, switchId: string, rows: readonly FdbInput[], now: number, keepMissed: number): void;
  recordCdp(device: string, switchId: string, rows: readonly CdpEntry[], now: number, keepMissed: number): void;
  /** ARP/ND rows, keyed by (device, ifIndex, ip): an IP whose MAC changed starts a new first_seen. */
  recordArp(device: string, switchId: string, rows: readonly ArpEntry[], now: number, keepMissed: number): void;
  /** Drops every row a device reported. */
  forgetDevice(device: string): void;
  lldpRows(f?: RowFilter): LldpObservation[];
  fdbRows(f?: RowFilter & { mac?: string }): FdbObservation[];
  cdpRows(f?: RowFilter): CdpObservation[];
  /** `mac` / `ip` select the rows of one MAC or one address (any device). */
  arpRows(f?: RowFilter & { mac?: string; ip?: string }): ArpObservation[];
}

/** A device SNMP discovery added: polled again after a restart without being rediscovered. */
export interface DiscoveredDevice {
  id: string;
  address: string;
  port: number;
  /** Where the address came from: "seed", or the poll target key of the device whose neighbour table named it. */
  via: string;
  firstSeen: number;
  /** Since when the device no longer answers; null while it does. */
  unreachableSince: number | null;
}

/** Poll targets created through the API (configured ones live in the config file), and discovered ones. */
export interface SnmpDeviceStore {
  /** Oldest first. `body` is the device's configuration as given. */
  all(): { id: string; body: unknown }[];
  put(id: string, body: unknown, now?: number): void;
  delete(id: string): boolean;
  /** Discovered devices, oldest first. */
  discovered(): DiscoveredDevice[];
  /** Adds or replaces one discovered device. */
  putDiscovered(d: DiscoveredDevice): void;
  deleteDiscovered(id: string): boolean;
}
