// What each protocol module provides to `canopy decode`.

export interface CliDecodeResult {
  /** One JSON-ready object per flow / counter / LLDP / CDP record. */
  records: object[];
  /** Problems found in this payload (typed decode errors rendered as text, with offset). */
  errors: string[];
  /** Data sets this payload held back for a template not seen yet (NetFlow v9/IPFIX). */
  held?: number;
}

export interface CliDecoder {
  name: string;
  /** Whether this payload is for this decoder: a UDP payload (with its destination port) or a whole Ethernet frame. */
  detect(payload: Buffer, kind: 'udp' | 'frame', dstPort?: number): boolean;
  /** Decoders may keep state between calls (NetFlow v9/IPFIX templates). */
  decode(payload: Buffer, exporter: string): CliDecodeResult;
  /** Notes once every input was read (e.g. data that never met its template), one line each. */
  finish?(): string[];
}
