// Output types of the LLDP / CDP decoders. Plain JSON-ready objects: `canopy decode` prints them and
// the stitcher consumes them. Optional fields are left out when the TLV was absent.

export type DiscoveryErrorCode =
  | 'truncated' // a length runs past the buffer / TLV
  | 'bad-length' // a TLV length that the spec forbids for its type
  | 'bad-value' // a field value the spec forbids
  | 'missing-mandatory' // chassis ID / port ID / TTL absent or out of order
  | 'too-many' // a count cap was hit; the rest was skipped
  | 'not-discovery' // the frame is neither LLDP nor CDP
  | 'bad-version' // CDP version other than 1/2
  | 'bad-checksum'; // CDP checksum mismatch (reported, not fatal)

/** A problem in one place of the input; offsets are relative to the buffer given to the decoder. */
export interface DiscoveryError {
  code: DiscoveryErrorCode;
  offset: number;
  /** What was being decoded, e.g. `lldp tlv 127 oui 00-12-bb subtype 3 (med location)`. */
  context: string;
  message: string;
}

export interface UnknownTlv {
  type: number;
  oui?: string;
  subtype?: number;
  offset: number;
  length: number;
  /** Value bytes (after the OUI/subtype for org TLVs) in lower-case hex. */
  hex: string;
}

export interface LldpMgmtAddress {
  /** IANA address family number (1 IPv4, 2 IPv6, 6 MAC …). */
  family: number;
  familyName: string;
  address: string;
  ifSubtype: number;
  ifSubtypeName: string;
  ifNumber: number;
  oid?: string;
}

export interface LldpVlanInfo {
  pvid?: number;
  ppvids?: { id: number; supported: boolean; enabled: boolean }[];
  names?: { id: number; name: string }[];
  mgmtVid?: number;
}

export interface LldpLinkAggregation {
  /** Which TLV carried it: 802.1 (00-80-c2/7, current) or 802.3 (00-12-0f/3, deprecated). */
  source: '802.1' | '802.3';
  supported: boolean;
  enabled: boolean;
  /** 802.1AX-2014 port type bits (0 unspecified, 1 aggregator, 2 aggregation port, 3 both); 802.1 form only. */
  portType?: number;
  portId: number;
}

export interface LldpMacPhy {
  autonegSupported: boolean;
  autonegEnabled: boolean;
  advertised: number;
  advertisedNames: string[];
  mauType: number;
  mauTypeName?: string;
}

export interface LldpPower {
  deviceType: 'PSE' | 'PD';
  supported: boolean;
  enabled: boolean;
  pairControl: boolean;
  pairs: number;
  pairsName: string;
  /** 802.3 class as advertised: 0–4 (the field carries class+1). */
  class: number;
  // 802.3at extension
  powerType?: number; // 1 or 2 (Type 1 / Type 2)
  source?: number;
  sourceName?: string;
  priority?: number;
  priorityName?: string;
  requestedMw?: number;
  allocatedMw?: number;
  // 802.3bt extension
  requestedAMw?: number;
  requestedBMw?: number;
  allocatedAMw?: number;
  allocatedBMw?: number;
  pseStatus?: string;
  pdStatus?: string;
  pairsExt?: string;
  classExtA?: string;
  classExtB?: string;
  classExt?: string;
  powerTypeExt?: string;
  pdLoad?: boolean;
  maxPowerMw?: number;
  autoclass?: number;
  powerDown?: number;
}

export interface MedPolicy {
  appType: number;
  appTypeName: string;
  defined: boolean;
  tagged: boolean;
  vlanId: number;
  priority: number;
  priorityName: string;
  dscp: number;
}

export interface MedCivicElement {
  type: number;
  name: string;
  value: string;
}

export interface MedLocation {
  format: number;
  formatName: 'coordinate' | 'civic' | 'elin' | 'unknown';
  coordinate?: { latitude: number; longitude: number; altitude: number; altitudeType: number; datum: number };
  civic?: { what: number; country: string; elements: MedCivicElement[] };
  elin?: string;
  /** Set when the location was malformed: what is above is what could be read. */
  malformed?: boolean;
  hex: string;
}

export interface MedInfo {
  capabilities?: string[];
  capabilitiesMask?: number;
  deviceType?: number;
  deviceTypeName?: string;
  policies?: MedPolicy[];
  locations?: MedLocation[];
  power?: { deviceType: string; source: number; sourceName: string; priority: number; priorityName: string; powerMw: number };
  inventory?: {
    hardwareRevision?: string;
    firmwareRevision?: string;
    softwareRevision?: string;
    serialNumber?: string;
    manufacturer?: string;
    model?: string;
    assetId?: string;
  };
}

export interface LldpRecord {
  type: 'lldp';
  srcMac?: string;
  dstMac?: string;
  /** 802.1Q/802.1ad tags in front of the LLDP ethertype, outermost first. */
  vlanTags?: number[];
  chassisId: string | null;
  chassisIdSubtype: number | null;
  chassisIdSubtypeName: string | null;
  /** For network-address subtype only: IANA address family. */
  chassisIdFamily?: number;
  portId: string | null;
  portIdSubtype: number | null;
  portIdSubtypeName: string | null;
  portIdFamily?: number;
  ttl: number | null;
  portDescr?: string;
  sysName?: string;
  sysDescr?: string;
  capabilities?: string[];
  enabledCapabilities?: string[];
  capabilitiesMask?: number;
  enabledCapabilitiesMask?: number;
  mgmtAddresses: LldpMgmtAddress[];
  vlan?: LldpVlanInfo;
  protocolIdentities?: string[];
  vidUsageDigest?: number;
  linkAggregation?: LldpLinkAggregation;
  appPriority?: { priority: number; selector: number; protocol: number }[];
  macPhy?: LldpMacPhy;
  power?: LldpPower;
  maxFrameSize?: number;
  med?: MedInfo;
  mudUrl?: string;
  unknownTlvs: UnknownTlv[];
}

export interface CdpRecord {
  type: 'cdp';
  srcMac?: string;
  dstMac?: string;
  vlanTags?: number[];
  version: number;
  ttl: number;
  checksum: number;
  checksumValid: boolean;
  deviceId?: string;
  /** Addresses TLV (type 2) in text form: IPv4 dotted, IPv6 RFC 5952; others `proto-<hex>:<hex>`. */
  addresses: string[];
  portId?: string;
  capabilities?: string[];
  capabilitiesMask?: number;
  softwareVersion?: string;
  platform?: string;
  ipPrefixes?: string[];
  protocolHello?: { oui: string; protocolId: number; hex: string };
  vtpDomain?: string;
  nativeVlan?: number;
  duplex?: 'half' | 'full';
  voipVlan?: number;
  trustBitmap?: number;
  untrustedCos?: number;
  sysName?: string;
  sysObjectId?: string;
  mgmtAddresses: string[];
  location?: string;
  powerConsumptionMw?: number;
  mtu?: number;
  powerRequested?: { requestId: number; mgmtId: number; powerMw: number[] };
  powerAvailable?: { requestId: number; mgmtId: number; powerMw: number[] };
  unknownTlvs: UnknownTlv[];
}

export type DiscoveryRecord = LldpRecord | CdpRecord;

/** Never thrown: every decoder returns this. `record` is null only when nothing usable was found. */
export interface DecodeResult<R> {
  record: R | null;
  errors: DiscoveryError[];
}
