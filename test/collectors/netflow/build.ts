// Small builders for hand-made NetFlow v9 / IPFIX messages (synthetic edge cases and fuzz seeds).

export function u16(v: number): number[] {
  return [(v >> 8) & 255, v & 255];
}
export function u32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

export function ipfixMessage(domain: number, seq: number, sets: number[][]): Buffer {
  const body = sets.flat();
  return Buffer.from([...u16(10), ...u16(16 + body.length), ...u32(1_700_000_000), ...u32(seq), ...u32(domain), ...body]);
}

export function v9Message(sourceId: number, seq: number, count: number, sets: number[][]): Buffer {
  return Buffer.from([...u16(9), ...u16(count), ...u32(60_000), ...u32(1_700_000_000), ...u32(seq), ...u32(sourceId), ...sets.flat()]);
}

export function set(id: number, body: number[]): number[] {
  return [...u16(id), ...u16(4 + body.length), ...body];
}

/** IPFIX field specifier; pen > 0 sets the enterprise bit. */
export function ipfixField(id: number, length: number, pen = 0): number[] {
  return pen ? [...u16(id | 0x8000), ...u16(length), ...u32(pen)] : [...u16(id), ...u16(length)];
}
