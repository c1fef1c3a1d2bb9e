// The conversation table of port-mirror capture: both directions in one entry, exports of what
// each direction gained, idle entries forgotten, a full table evicting (counted, counts kept),
// the SYN → SYN-ACK round trip, wire length over captured length.
import { describe, expect, it } from 'vitest';
import { ConversationTable, LINKTYPE_ETHERNET, type MirrorFlow } from '../../../src/collectors/mirror/conversations.ts';

/** An Ethernet/IPv4/TCP frame (flags given) or UDP frame of `len` bytes. */
function frame(src: string, dst: string, sp: number, dp: number, opts: { tcpFlags?: number; len?: number; vlan?: number } = {}): Buffer {
  const len = opts.len ?? 80;
  const tag = opts.vlan !== undefined ? 4 : 0;
  const f = Buffer.alloc(len + tag);
  f.set([2, 0, 0, 0, 0, 2], 0);
  f.set([2, 0, 0, 0, 0, 1], 6);
  let o = 12;
  if (opts.vlan !== undefined) {
    f.writeUInt16BE(0x8100, 12);
    f.writeUInt16BE(opts.vlan, 14);
    o = 16;
  }
  f.writeUInt16BE(0x0800, o);
  const ip = o + 2;
  f[ip] = 0x45;
  f.writeUInt16BE(len - 14, ip + 2);
  f[ip + 9] = opts.tcpFlags !== undefined ? 6 : 17;
  f.set(src.split('.').map(Number), ip + 12);
  f.set(dst.split('.').map(Number), ip + 16);
  f.writeUInt16BE(sp, ip + 20);
  f.writeUInt16BE(dp, ip + 22);
  if (opts.tcpFlags !== undefined) f[ip + 20 + 13] = opts.tcpFlags;
  return f;
}

const byDir = (flows: MirrorFlow[]) => Object.fromEntries(flows.map((f) => [`${f.srcAddr}:${f.srcPort}>${f.dstAddr}:${f.dstPort}`, f]));

/** An Ethernet/IPv4/ICMP frame of the given type/code. */
function icmp(src: string, dst: string, type: number, code = 0): Buffer {
  const f = Buffer.alloc(98);
  f.set([2, 0, 0, 0, 0, 2], 0);
  f.set([2, 0, 0, 0, 0, 1], 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(84, 16);
  f[23] = 1;
  f.set(src.split('.').map(Number), 26);
  f.set(dst.split('.').map(Number), 30);
  f[34] = type;
  f[35] = code;
  return f;
}

describe('ConversationTable', () => {
  it('keeps a ping one flow per direction (request 8, reply 0) and a port unreachable between the same hosts its own', () => {
    const t = new ConversationTable(100, () => {});
    for (let i = 0; i < 3; i++) {
      t.add(LINKTYPE_ETHERNET, icmp('10.0.0.1', '10.0.0.2', 8), 98, 10 + i);
      t.add(LINKTYPE_ETHERNET, icmp('10.0.0.2', '10.0.0.1', 0), 98, 10 + i);
    }
    t.add(LINKTYPE_ETHERNET, icmp('10.0.0.2', '10.0.0.1', 3, 3), 98, 20);
    expect(t.size).toBe(2);
    const out = t.collect().map((f) => `${f.srcAddr}>${f.dstAddr} type ${f.icmpType} ×${f.packets}`);
    expect(out.sort()).toEqual(['10.0.0.1>10.0.0.2 type 8 ×3', '10.0.0.2>10.0.0.1 type 0 ×3', '10.0.0.2>10.0.0.1 type 3 ×1']);
  });

  it('keeps both directions in one entry and hands out only what each gained since the last export', () => {
    const t = new ConversationTable(100, () => {});
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.1', '10.0.0.2', 40000, 80, { len: 100 }), 100, 1000);
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.2', '10.0.0.1', 80, 40000, { len: 60 }), 60, 1001);
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.1', '10.0.0.2', 40000, 80, { len: 100 }), 100, 1002);
    expect(t.size).toBe(1);
    let out = byDir(t.collect());
    expect(out['10.0.0.1:40000>10.0.0.2:80']).toMatchObject({ packets: 2, bytes: 200, first: 1000, last: 1002, proto: 17 });
    expect(out['10.0.0.2:80>10.0.0.1:40000']).toMatchObject({ packets: 1, bytes: 60, first: 1001, last: 1001 });
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.2', '10.0.0.1', 80, 40000, { len: 60 }), 60, 1003);
    out = byDir(t.collect());
    expect(Object.keys(out)).toEqual(['10.0.0.2:80>10.0.0.1:40000']);
    expect(out['10.0.0.2:80>10.0.0.1:40000']).toMatchObject({ packets: 1, bytes: 60 });
    // Idle since 1003: forgotten once the cut passes it, after its (empty) last export.
    expect(t.collect(1004)).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('counts the length on the wire, not what the snap length kept', () => {
    const t = new ConversationTable(100, () => {});
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.1', '10.0.0.2', 1, 2, { len: 1514 }).subarray(0, 64), 1514, 1);
    expect(t.collect()[0]).toMatchObject({ packets: 1, bytes: 1514, srcPort: 1, dstPort: 2 });
  });

  it('reads the round trip from SYN to SYN-ACK, ORs the flags per direction and keeps the VLAN', () => {
    const t = new ConversationTable(100, () => {});
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.1', '10.0.0.2', 40000, 443, { tcpFlags: 0x02, vlan: 42 }), 80, 5000);
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.2', '10.0.0.1', 443, 40000, { tcpFlags: 0x12, vlan: 42 }), 80, 5003.25);
    t.add(LINKTYPE_ETHERNET, frame('10.0.0.1', '10.0.0.2', 40000, 443, { tcpFlags: 0x10, vlan: 42 }), 80, 5003.5);
    const out = byDir(t.collect());
    expect(out['10.0.0.1:40000>10.0.0.2:443']).toMatchObject({ tcpFlags: 0x12, rttMs: 3.25, vlan: 42, proto: 6, packets: 2 });
    expect(out['10.0.0.2:443>10.0.0.1:40000']).toMatchObject({ tcpFlags: 0x12, rttMs: 3.25, vlan: 42, packets: 1 });
  });

  it('a full table evicts its oldest conversation: counted, and its counts handed out, not lost', () => {
    const evicted: MirrorFlow[] = [];
    const t = new ConversationTable(2, (f) => evicted.push(...f));
    for (let i = 1; i <= 3; i++) t.add(LINKTYPE_ETHERNET, frame(`10.0.0.${i}`, '10.0.1.1', 1000 + i, 53), 70, i);
    expect(t.stats.evictions).toBe(1);
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatchObject({ srcAddr: '10.0.0.1', packets: 1, bytes: 70 });
    expect(t.size).toBe(2);
    const all = [...evicted, ...t.collect()];
    expect(all.reduce((s, f) => s + f.packets, 0)).toBe(3);
  });

  it('counts frames it cannot read instead of throwing', () => {
    const t = new ConversationTable(10, () => {});
    t.add(LINKTYPE_ETHERNET, Buffer.alloc(5), 5, 1);
    t.add(147, Buffer.alloc(40), 40, 1); // a link type we do not read
    t.add(LINKTYPE_ETHERNET, Buffer.from('ffffffffffff0200000000010800450000', 'hex'), 60, 2); // IPv4 header cut short
    expect(t.stats.unreadable).toBe(2);
    expect(t.stats.frames).toBe(1);
    expect(t.collect()[0]).toMatchObject({ packets: 1, bytes: 60 });
  });
});
