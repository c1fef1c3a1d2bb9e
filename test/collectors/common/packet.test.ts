import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { parsePacket } from '../../../src/collectors/common/packet.ts';
import { ipv4Str, ipv6Str, macStr, setAddressCache } from '../../../src/collectors/common/packet-bytes.ts';
import { readPcap } from '../../../src/collectors/common/pcap.ts';
import { PCAPS } from '../sflow/fixtures.ts';

const rec = (): FlowRecord => ({ type: 'flow', protocol: 'sflow', exporter: '' });
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const frames = (name: string) => [...readPcap(readFileSync(join(PCAPS, name)))].map((f) => f.data);

// A hand-built IPv6 neighbour solicitation (fe80::1 → ff02::2, hop limit 255) that the
// extension-header and VLAN cases below wrap.
const IPV6_ICMP6 = hex(`
  6000000000203aff fe800000000000000000000000000001 ff020000000000000000000000000002
  8700 1234 00000000 fe800000000000000000000000000002`);

describe('parsePacket on real frames', () => {
  it('Ethernet/IPv4/UDP frames of the Open vSwitch capture', () => {
    const [f] = frames('ovs-sflow.pcap');
    const out = rec();
    const l3 = parsePacket(f!, 0, f!.length, 'ethernet', out);
    expect(l3).toBe(f!.length - 14);
    expect(out).toMatchObject({ etherType: 0x0800, srcAddr: '127.0.0.1', dstAddr: '127.0.0.1', proto: 17, dstPort: 6343, ttl: 64 });
    expect(out.srcMac).toBe('00:00:00:00:00:00');
  });

  it('every prefix of a real frame gives a consistent partial fill and never throws', () => {
    for (const f of frames('ovs-sflow.pcap').slice(0, 3)) {
      const full = rec();
      parsePacket(f, 0, f.length, 'ethernet', full);
      for (let n = 0; n <= 60; n++) {
        const part = rec();
        parsePacket(f, 0, n, 'ethernet', part);
        for (const [k, v] of Object.entries(part)) if (v !== undefined) expect(full[k]).toEqual(v);
        if (n < 12) expect(part.srcMac).toBeUndefined();
        if (n < 34) expect(part.srcAddr).toBeUndefined();
        if (n < 38) expect(part.dstPort).toBeUndefined();
      }
    }
  });

  it('respects the offset/length window inside a larger buffer', () => {
    const [f] = frames('ovs-sflow.pcap');
    const big = Buffer.concat([Buffer.alloc(7, 0xee), f!, Buffer.alloc(5, 0xee)]);
    const a = rec();
    const b = rec();
    parsePacket(f!, 0, f!.length, 'ethernet', a);
    parsePacket(big, 7, f!.length, 'ethernet', b);
    expect(b).toEqual(a);
  });
});

describe('parsePacket layers', () => {
  it('802.1Q then 802.1ad (QinQ): inner VLAN, outer kept apart; explicit VLANs are not overwritten', () => {
    const frame = Buffer.concat([hex('020000000002 020000000001 88a8 0005 8100 2064 86dd'), IPV6_ICMP6]);
    const out = rec();
    expect(parsePacket(frame, 0, frame.length, 'ethernet', out)).toBe(72);
    expect(out).toMatchObject({ srcVlan: 100, dstVlan: 100, outerVlan: 5, etherType: 0x86dd, proto: 58, icmpType: 135, ttl: 255 });
    const preset = rec();
    preset.srcVlan = 7;
    parsePacket(frame, 0, frame.length, 'ethernet', preset);
    expect(preset.srcVlan).toBe(7);
    expect(preset.dstVlan).toBe(100);
  });

  it('IPv6 extension headers are skipped, with fragment id/offset; later fragments have no L4', () => {
    const hbh = hex('2c00 0000 0000 0000'); // hop-by-hop → fragment (44)
    const frag = hex('3a00 0001 00abcdef'); // → ICMPv6, offset 0, id 0xabcdef
    const ip = Buffer.from(IPV6_ICMP6);
    ip[6] = 0; // next header: hop-by-hop
    const pkt = Buffer.concat([ip.subarray(0, 40), hbh, frag, ip.subarray(40)]);
    const out = rec();
    parsePacket(pkt, 0, pkt.length, 'ipv6', out);
    expect(out).toMatchObject({ proto: 58, icmpType: 135, fragmentId: 0xabcdef, fragmentOffset: 0 });
    pkt.writeUInt16BE(0x0008 << 3, 40 + 8 + 2); // fragment offset 8
    const later = rec();
    parsePacket(pkt, 0, pkt.length, 'ipv6', later);
    expect(later).toMatchObject({ proto: 58, fragmentOffset: 8 });
    expect(later.icmpType).toBeUndefined();
  });

  it('MPLS label stack then IPv4', () => {
    const ipv4 = hex('4500 0028 1234 0000 4006 0000 0a000001 0a000002  1f90 0050 00000000 00000000 5012 0000 0000 0000');
    const frame = Buffer.concat([hex('020000000002 020000000001 8847 00064000 000c8140'), ipv4]);
    const out = rec();
    expect(parsePacket(frame, 0, frame.length, 'ethernet', out)).toBe(40);
    expect(out).toMatchObject({
      mplsLabels: [100, 200],
      srcAddr: '10.0.0.1',
      dstAddr: '10.0.0.2',
      proto: 6,
      srcPort: 8080,
      dstPort: 80,
      tcpFlags: 0x12,
    });
  });

  it('non-first IPv4 fragments carry no ports', () => {
    const ipv4 = hex('4500 0028 1234 00b9 4011 0000 0a000001 0a000002 1f90 0050 0000 0000');
    const out = rec();
    parsePacket(ipv4, 0, ipv4.length, 'ipv4', out);
    expect(out).toMatchObject({ fragmentId: 0x1234, fragmentOffset: 0xb9, proto: 17 });
    expect(out.srcPort).toBeUndefined();
  });

  it('RFC 5952 IPv6 text', () => {
    expect(ipv6Str(hex('20010db8000000000000000000000001'), 0)).toBe('2001:db8::1');
    expect(ipv6Str(hex('20010db8000100000001000000000001'), 0)).toBe('2001:db8:1:0:1::1');
    expect(ipv6Str(hex('00000000000000000000000000000000'), 0)).toBe('::');
    expect(ipv6Str(hex('20010db8000000010000000000000000'), 0)).toBe('2001:db8:0:1::');
  });
});

describe('address text caches', () => {
  it('cached text equals freshly formatted text, across cache clears and hash collisions', () => {
    const runs = Number(process.env.FUZZ_RUNS ?? 2000);
    const fmt = (b: Buffer) => [macStr(b, 0), ipv4Str(b, 0), ipv6Str(b, 0)];
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 50 }), (list) => {
        const bufs = list.map((u) => Buffer.from(u));
        setAddressCache(false);
        const fresh = bufs.map(fmt);
        setAddressCache(true);
        expect(bufs.map(fmt)).toEqual(fresh); // first pass fills the caches
        expect(bufs.map(fmt)).toEqual(fresh); // second pass is served from them
      }),
      { numRuns: Math.max(50, runs / 10) },
    );
    // More distinct addresses than a cache holds (8192): it clears itself and keeps answering correctly.
    const addr = (i: number) => {
      const b = Buffer.alloc(16);
      b.writeUInt32BE((i * 2654435761) >>> 0, 0);
      b.writeUInt32BE(i, 12);
      return b;
    };
    setAddressCache(false);
    const plain = Array.from({ length: 20000 }, (_, i) => fmt(addr(i)).join());
    setAddressCache(true);
    let mismatches = 0;
    for (let round = 0; round < 2; round++) for (let i = 0; i < 20000; i++) if (fmt(addr(i)).join() !== plain[i]) mismatches++;
    expect(mismatches).toBe(0);
  });
});

describe('parsePacket fuzz', () => {
  it('never throws and never reads outside its window', () => {
    const runs = Number(process.env.FUZZ_RUNS ?? 2000);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('ethernet', 'ipv4', 'ipv6' as const),
        fc.nat(220),
        (bytes, proto, len) => {
          const buf = Buffer.from(bytes);
          const out = rec();
          const l3 = parsePacket(buf, 0, len, proto, out, { decapVxlan: true });
          expect(l3).toBeGreaterThanOrEqual(0);
          // The same bytes followed by garbage give the same result when the window excludes it.
          const padded = Buffer.concat([buf.subarray(0, Math.min(len, buf.length)), Buffer.alloc(64, 0x45)]);
          const out2 = rec();
          parsePacket(padded, 0, Math.min(len, buf.length), proto, out2, { decapVxlan: true });
          expect(out2).toEqual(out);
        },
      ),
      { numRuns: runs },
    );
  });
});
