// Frame builders for hand-made test inputs, written from the specs (802.1AB TLV header = 7-bit type + 9-bit
// length; CDP = version, ttl, checksum, then type/length TLVs; RFC 1071 checksum with zero padding).

export const h = (s: string) => Buffer.from(s.replace(/[\s:-]/g, ''), 'hex');

export function tlv(type: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  const hdr = Buffer.alloc(2);
  hdr.writeUInt16BE((type << 9) | v.length);
  return Buffer.concat([hdr, v]);
}

export function org(oui: string, subtype: number, info: Buffer | string): Buffer {
  return tlv(127, Buffer.concat([h(oui), Buffer.from([subtype]), typeof info === 'string' ? Buffer.from(info) : info]));
}

export const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** Chassis MAC, port ifname, TTL — the mandatory head. */
export function mandatory(chassisMac = '02:00:00:00:00:01', port = 'eth1', ttl = 120): Buffer[] {
  return [
    tlv(1, Buffer.concat([Buffer.from([4]), h(chassisMac)])),
    tlv(2, Buffer.concat([Buffer.from([5]), Buffer.from(port)])),
    tlv(3, u16(ttl)),
  ];
}

export function lldpFrame(tlvs: Buffer[], opts: { vlans?: number[]; end?: boolean } = {}): Buffer {
  const tags = (opts.vlans ?? []).map((v) => Buffer.concat([u16(0x8100), u16(v)]));
  return Buffer.concat([
    h('0180c200000e'),
    h('020000000001'),
    ...tags,
    u16(0x88cc),
    ...tlvs,
    opts.end === false ? Buffer.alloc(0) : tlv(0, Buffer.alloc(0)),
  ]);
}

export function inetChecksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export function cdpTlv(type: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([u16(type), u16(v.length + 4), v]);
}

export function cdpPdu(tlvs: Buffer[], version = 2, ttl = 180): Buffer {
  const pdu = Buffer.concat([Buffer.from([version, ttl, 0, 0]), ...tlvs]);
  pdu.writeUInt16BE(inetChecksum(pdu), 2);
  return pdu;
}

export function cdpFrame(pdu: Buffer, vlans: number[] = []): Buffer {
  const llc = h('aaaa0300000c2000');
  const tags = vlans.map((v) => Buffer.concat([u16(0x8100), u16(v)]));
  const body = Buffer.concat([u16(llc.length + pdu.length), llc, pdu]);
  const frame = Buffer.concat([h('01000ccccccc'), h('020000000002'), ...tags, body]);
  // Ethernet minimum size padding after the 802.3 payload must be ignored by the decoder.
  return frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length, 0xee)]) : frame;
}
