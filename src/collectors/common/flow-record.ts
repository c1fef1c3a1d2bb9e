// The normalized records every flow decoder produces and `canopy decode` prints (field names
// fixed by the sFlow issue and shared by NetFlow/IPFIX). Values are as on the wire (not scaled).

export type IfFormat = 'ifindex' | 'discard' | 'multiple' | 'internal';

export interface FlowRecord {
  type: 'flow';
  protocol: 'sflow' | 'netflow5' | 'netflow9' | 'ipfix' | 'mirror';
  /** Agent address (sFlow) or the exporter's source address (NetFlow/IPFIX). */
  exporter: string;
  /** sFlow sub-agent ID, NetFlow v9 source ID, IPFIX observation domain. */
  subAgentId?: number;
  sequence?: number;
  samplingRate?: number;
  samplePool?: number;
  drops?: number;
  inIf?: number;
  outIf?: number;
  inIfFormat?: IfFormat;
  outIfFormat?: IfFormat;
  discardReason?: number;
  outIfCount?: number;
  forwardingStatus?: number;
  srcMac?: string;
  dstMac?: string;
  srcVlan?: number;
  dstVlan?: number;
  etherType?: number;
  srcAddr?: string;
  dstAddr?: string;
  proto?: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  tos?: number;
  ttl?: number;
  /** Bytes and packets this record stands for, unscaled. */
  bytes?: number;
  packets?: number;
  nextHop?: string;
  srcAs?: number;
  dstAs?: number;
  asPath?: number[];
  communities?: number[];
  srcMask?: number;
  dstMask?: number;
  /** Further decoded fields (ICMP type/code, flow label, MPLS labels, NAT addresses, unknown IEs …). */
  [extra: string]: unknown;
}

export interface CounterRecord {
  type: 'counter';
  protocol: 'sflow';
  exporter: string;
  subAgentId?: number;
  sequence?: number;
  /** sFlow counter record format, e.g. 1 generic interface, 2 Ethernet. */
  format: number;
  ifIndex?: number;
  [field: string]: unknown;
}
