// A synthetic classic pcap for the port-mirror benches: Ethernet/IPv4 TCP and UDP frames between
// `hosts` hosts in `conversations` conversations, complete frames of 64–320 bytes (short frames:
// the per-packet cost dominates, as on a busy mirror port). Deterministic for a given seed.
import { writeFileSync } from 'node:fs';

export function synthPcap(path: string, frames: number, conversations = 2000, seed = 1): { frames: number; bytes: number } {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const convs = Array.from({ length: conversations }, () => ({
    a: 0x0a000000 | (rnd() & 0xffff),
    b: 0x0a010000 | (rnd() & 0xffff),
    sp: 1024 + (rnd() % 60000),
    dp: [80, 443, 53, 5001][rnd() % 4]!,
    tcp: rnd() % 4 !== 0,
  }));
  const chunks: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  chunks.push(head);
  let bytes = 0;
  const t0 = 1_700_000_000;
  for (let i = 0; i < frames; i++) {
    const c = convs[rnd() % conversations]!;
    const back = (rnd() & 1) === 1;
    const len = 64 + (rnd() % 257);
    const f = Buffer.alloc(16 + len);
    f.writeUInt32LE(t0 + Math.floor(i / 100_000), 0);
    f.writeUInt32LE((i * 10) % 1_000_000, 4);
    f.writeUInt32LE(len, 8);
    f.writeUInt32LE(len, 12);
    const e = 16;
    // Locally administered MACs derived from the addresses; EtherType IPv4.
    f.writeUInt16LE(0x0202, e);
    f.writeUInt32BE(back ? c.a : c.b, e + 2);
    f.writeUInt16LE(0x0202, e + 6);
    f.writeUInt32BE(back ? c.b : c.a, e + 8);
    f.writeUInt16BE(0x0800, e + 12);
    const ip = e + 14;
    f[ip] = 0x45;
    f.writeUInt16BE(len - 14, ip + 2);
    f[ip + 8] = 64;
    f[ip + 9] = c.tcp ? 6 : 17;
    f.writeUInt32BE(back ? c.b : c.a, ip + 12);
    f.writeUInt32BE(back ? c.a : c.b, ip + 16);
    const l4 = ip + 20;
    f.writeUInt16BE(back ? c.dp : c.sp, l4);
    f.writeUInt16BE(back ? c.sp : c.dp, l4 + 2);
    if (c.tcp) {
      f[l4 + 12] = 0x50;
      f[l4 + 13] = 0x18;
    } else f.writeUInt16BE(len - 34, l4 + 4);
    chunks.push(f);
    bytes += len;
  }
  writeFileSync(path, Buffer.concat(chunks));
  return { frames, bytes };
}
