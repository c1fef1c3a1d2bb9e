// Upstream-stated values (fixtures/README.md, sFlow section) for every sFlow fixture.
import { describe, expect, it } from 'vitest';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import { datagram, datagrams } from './fixtures.ts';

const one = (name: string, skip = 0) => decodeSflow(datagram(name, skip));

// akvorado's flow 1 of data-1140 (also the body of the local/discard/multiple variants).
const FLOW1 = {
  samplingRate: 1024,
  inIf: 27,
  srcVlan: 100,
  dstVlan: 100,
  exporter: '172.16.0.3',
  srcAddr: '2a0c:8880:2:0:185:21:130:38',
  dstAddr: '2a0c:8880:2:0:185:21:130:39',
  proto: 6,
  srcPort: 46026,
  dstPort: 22,
  bytes: 1500,
  packets: 1,
  ttl: 64,
  tos: 0x8,
  flowLabel: 0x68094,
  tcpFlags: 0x10,
  etherType: 0x86dd,
};

describe('akvorado fixtures (expected values of outlet/flow/decoder/sflow/root_test.go)', () => {
  it('data-1140: 5 flow samples, 14 records, gateway data', () => {
    const d = one('akvorado__data-1140.pcap');
    expect(d.errors).toEqual([]);
    expect(d.agent).toBe('172.16.0.3');
    expect(d.stats).toMatchObject({ samples: 5, flowSamples: 5, records: 14 });
    expect(d.flows).toHaveLength(5);
    for (const f of d.flows) expect(f.samplingRate).toBe(1024);
    for (const i of [0, 2, 4]) expect(d.flows[i]).toMatchObject({ ...FLOW1, outIf: 28 });
    expect(d.flows[1]).toMatchObject({
      srcAddr: '104.26.8.24',
      dstAddr: '45.90.161.46',
      proto: 6,
      srcPort: 443,
      dstPort: 56876,
      inIf: 49001,
      outIf: 25,
      dstVlan: 100,
      nextHop: '45.90.161.46',
      srcAs: 13335,
      dstAs: 39421,
      srcMask: 20,
      dstMask: 27,
      bytes: 421,
      ttl: 59,
      tcpFlags: 0x18,
      fragmentId: 0xa572,
    });
    expect(d.flows[1]!.srcVlan).toBeUndefined();
    expect(d.flows[3]).toMatchObject({
      srcAddr: '45.90.161.148',
      dstAddr: '191.87.91.27',
      srcPort: 55658,
      dstPort: 5555,
      inIf: 28,
      outIf: 49001,
      srcVlan: 100,
      srcAs: 39421,
      dstAs: 26615,
      nextHop: '31.14.69.110',
      srcMask: 27,
      dstMask: 17,
      bytes: 40,
      asPath: [203698, 6762, 26615],
      communities: [2583495656, 2583495657, 4259880000, 4259880001, 4259900001],
      ttl: 255,
      tcpFlags: 0x2,
      fragmentId: 0xd431,
    });
  });

  it('local, discard and multiple output interfaces (docs/architecture.md#flows, interface encodings)', () => {
    const local = one('akvorado__data-local-interface.pcap').flows[0];
    expect(local).toMatchObject({ ...FLOW1, outIf: 0, outIfFormat: 'internal' });
    const discard = one('akvorado__data-discard-interface.pcap').flows[0];
    expect(discard).toMatchObject({ ...FLOW1, outIf: 0, outIfFormat: 'discard', forwardingStatus: 131 });
    expect(discard!.discardReason).toBe(1);
    const multiple = one('akvorado__data-multiple-interfaces.pcap').flows[0];
    expect(multiple).toMatchObject({ ...FLOW1, outIf: 0, outIfFormat: 'multiple' });
    expect(multiple!.outIfCount).toBe(7);
  });

  it('expanded flow sample with gateway and router records', () => {
    const d = one('akvorado__data-sflow-expanded-sample.pcap');
    expect(d.errors).toEqual([]);
    expect(d.agent).toBe('49.49.49.49');
    expect(d.flows).toHaveLength(1);
    expect(d.flows[0]).toMatchObject({
      sampleFormat: 3,
      samplingRate: 1000,
      inIf: 29001,
      outIf: 1285816721,
      srcAddr: '52.52.52.52',
      dstAddr: '53.53.53.53',
      srcPort: 22,
      dstPort: 52237,
      proto: 6,
      nextHop: '54.54.54.54',
      srcAs: 203476,
      dstAs: 203361,
      srcVlan: 809,
      dstVlan: 809,
      srcMask: 32,
      dstMask: 22,
      bytes: 104,
      asPath: [8218, 29605, 203361],
      communities: [538574949, 1911619684, 1911669584, 1911671290],
      tcpFlags: 0x18,
      ttl: 61,
      tos: 0x8,
      fragmentId: 0xab4e,
      srcMac: '94:8e:d3:0a:71:3b',
      dstMac: '22:42:1f:4a:9f:cd',
    });
  });

  it('sampled IPv4 record plus sampled Ethernet', () => {
    const f = one('akvorado__data-sflow-ipv4-data.pcap').flows[0];
    expect(f).toMatchObject({
      samplingRate: 256,
      inIf: 0,
      outIf: 182,
      dstVlan: 3001,
      srcAddr: '50.50.50.50',
      dstAddr: '51.51.51.51',
      srcPort: 46622,
      dstPort: 58631,
      proto: 17,
      bytes: 1344,
      ttl: 64,
      fragmentId: 41647,
      exporter: '49.49.49.49',
    });
    // MACs 1094287164743 and 1101091482116 in akvorado's integer form.
    expect(f!.srcMac).toBe('00:fe:c8:99:05:47');
    expect(f!.dstMac).toBe('01:00:5e:2a:aa:04');
  });

  it('raw header protocol IPv4 (no Ethernet)', () => {
    const d = one('akvorado__data-sflow-raw-ipv4.pcap');
    expect(d.agent).toBe('172.19.64.116');
    expect(d.flows.map((f) => [f.dstAddr, f.fragmentId])).toEqual([
      ['92.222.186.1', 4329],
      ['92.222.184.1', 62945],
    ]);
    for (const f of d.flows) {
      expect(f).toMatchObject({
        samplingRate: 1,
        outIf: 2,
        srcAddr: '69.58.92.107',
        proto: 1,
        bytes: 32,
        ttl: 64,
        tos: 8,
        headerProtocol: 11,
      });
    }
  });

  it('ICMPv4 and ICMPv6 type/code', () => {
    expect(one('akvorado__data-icmpv4.pcap').flows[0]).toMatchObject({
      srcAddr: '203.0.113.4',
      dstAddr: '203.0.113.5',
      proto: 1,
      icmpType: 8,
      icmpCode: 0,
      bytes: 84,
      samplingRate: 1,
      ttl: 64,
      fragmentId: 0x90c5,
      dstMac: 'd2:5b:45:ee:5e:cf',
      srcMac: 'e2:ef:c6:8f:8c:d4',
    });
    expect(one('akvorado__data-icmpv6.pcap').flows[0]).toMatchObject({
      srcAddr: 'fe80::d05b:45ff:feee:5ecf',
      dstAddr: '2001:db8::',
      proto: 58,
      icmpType: 135,
      bytes: 72,
      ttl: 255,
    });
  });

  it('QinQ: the inner VLAN wins', () => {
    const d = one('akvorado__data-qinq.pcap');
    expect(d.agent).toBe('172.17.128.58');
    expect(d.flows[0]).toMatchObject({
      samplingRate: 4096,
      inIf: 369098852,
      outIf: 369098851,
      srcVlan: 1493,
      dstVlan: 1493,
      srcAddr: '49.49.49.2',
      dstAddr: '49.49.49.109',
      srcPort: 32017,
      dstPort: 443,
      proto: 6,
      bytes: 80,
      ttl: 62,
      fragmentId: 56159,
      tcpFlags: 16,
      srcMac: '4c:ae:a3:52:0f:f6',
      dstMac: '00:01:10:62:14:93',
    });
    expect(d.flows[0]!.outerVlan).toBe(1062);
  });

  it('VXLAN: decapsulated only when asked', () => {
    const buf = datagram('akvorado__data-encap-vxlan.pcap');
    const inner = decodeSflow(buf, { decapVxlan: true }).flows[0];
    expect(inner).toMatchObject({
      srcAddr: '2001:db8:4::1',
      dstAddr: '2001:db8:4::3',
      proto: 58,
      icmpType: 128,
      bytes: 104,
      ttl: 64,
      flowLabel: 0x0a461c,
      srcMac: 'ca:6e:98:f8:49:8f',
      dstMac: '01:02:03:04:05:06',
      srcOuterAddr: '192.168.108.40',
      dstOuterAddr: '192.168.15.14',
    });
    const outer = decodeSflow(buf).flows[0];
    expect(outer).toMatchObject({ srcAddr: '192.168.108.40', dstAddr: '192.168.15.14', proto: 17, dstPort: 4789 });
  });
});

describe('tcpdump sflow_expanded (tcpdump -v reference decode, sflow_expanded.out)', () => {
  it('datagram and expanded sample header', () => {
    const d = one('tcpdump__sflow_expanded.pcap');
    expect(d).toMatchObject({ agent: '49.49.49.49', subAgentId: 0, sequence: 115694180, uptime: 3465002224, sampleCount: 1 });
    expect(d.flows[0]).toMatchObject({
      sequence: 2170480284,
      sourceIdType: 0,
      sourceIdIndex: 11001,
      samplingRate: 1000,
      samplePool: 1521799520,
      drops: 0,
      inIf: 29001,
      outIf: 1285816721,
      headerProtocol: 1,
      frameLength: 126,
      stripped: 4,
      headerLength: 122,
    });
    expect(d.stats.records).toBe(3);
  });
});

describe('goflow2 decoders/sflow/sflow_test.go', () => {
  it('TestSFlowDecode (upstream asserts no error; values read from its input bytes)', () => {
    const d = one('goflow2__sflow_test-TestSFlowDecode.bin');
    expect(d.errors).toEqual([]);
    expect(d).toMatchObject({ agent: '172.16.0.17', subAgentId: 1, sequence: 426, sampleCount: 1 });
    expect(d.flows[0]).toMatchObject({
      samplingRate: 2048,
      inIf: 1194,
      outIf: 1043,
      srcVlan: 32,
      srcAddr: '172.16.32.254',
      dstAddr: '172.16.32.241',
      proto: 1,
      icmpType: 8,
      ttl: 124,
      frameLength: 82,
    });
  });

  it('TestExpandedSFlowDecode (upstream asserts no error; values read from its input bytes)', () => {
    const d = one('goflow2__sflow_test-TestExpandedSFlowDecode.bin');
    expect(d.errors).toEqual([]);
    expect(d).toMatchObject({ agent: '1.2.3.4', sampleCount: 5 });
    expect(d.flows).toHaveLength(5);
    for (const f of d.flows) expect(f).toMatchObject({ sampleFormat: 3, samplingRate: 16383, proto: 6 });
    expect(d.flows[0]).toMatchObject({
      sequence: 0x20909326,
      inIf: 1000100,
      outIf: 1000018,
      srcVlan: 30,
      srcAddr: '185.59.220.147',
      dstAddr: '88.238.78.19',
      srcPort: 443,
      dstPort: 53206,
      frameLength: 1514,
    });
  });

  it('drop samples: egress queue 42, ACL 42 "foo!" direction 2, function "foobar"', () => {
    const q = one('goflow2__sflow_test-DropEgressQueue.bin');
    expect(q).toMatchObject({ agent: '192.168.119.184', subAgentId: 100000 });
    expect(q.stats).toMatchObject({ samples: 1, dropSamples: 1, records: 1 });
    expect(q.flows).toHaveLength(1);
    expect(q.flows[0]).toMatchObject({
      sampleFormat: 5,
      egressQueue: 42,
      drops: 256,
      inIf: 1,
      outIfFormat: 'discard',
      outIfIndex: 2,
      discardReason: 1,
    });
    expect(one('goflow2__sflow_test-DropExtendedACL.bin').flows[0]).toMatchObject({ aclNumber: 42, aclName: 'foo!', aclDirection: 2 });
    expect(one('goflow2__sflow_test-DropExtendedFunction.bin').flows[0]).toMatchObject({ function: 'foobar' });
  });
});

describe('gopacket layers/sflow_test.go', () => {
  it('SFlowTestPacket2 (reference agent): URL, user, gateway records', () => {
    const d = one('gopacket__sflow_test-SFlowTestPacket2-refagent-frame.bin', 42);
    expect(d.errors).toEqual([]);
    expect(d.agent).toBe('192.168.91.17');
    expect(d.flows).toHaveLength(3);
    const last = d.flows[2]!;
    expect(last).toMatchObject({
      sequence: 139120,
      sourceIdIndex: 3,
      samplingRate: 1,
      samplePool: 139120,
      inIf: 3,
      outIf: 0,
      outIfFormat: 'internal',
      url: 'http://www.sflow.org',
      urlHost: 'host1.sflow.org',
      urlDirection: 1,
      srcUser: 'source user',
      dstUser: 'destination user',
      bgpNextHop: '13.12.11.10',
      srcAs: 123,
      peerAs: 999,
      communities: [12, 13],
      localPref: 432,
      asPathSegments: 3,
      asPath: [123, 456, 789, 11111, 22222, 33333, 777, 888, 999],
      frameLength: 70,
      stripped: 4,
      headerLength: 0x42,
    });
    expect(d.flows[1]).toMatchObject({ frameLength: 390, headerLength: 0x80 });
  });

  it('SFlowEthernetFramePacket: Ethernet frame data records', () => {
    const d = one('gopacket__sflow_test-SFlowEthernetFramePacket-live.bin');
    expect(d).toMatchObject({ agent: '185.120.22.246', subAgentId: 100000, sequence: 11, uptime: 0x3297, sampleCount: 7 });
    expect(d.flows[0]).toMatchObject({
      sequence: 0x7d,
      samplingRate: 1000,
      samplePool: 0x1e848,
      inIf: 0,
      inIfFormat: 'internal',
      outIf: 3,
      srcMac: '00:25:90:a2:53:58',
      dstMac: '00:1d:b5:a2:5f:c0',
      etherType: 3,
      bytes: 16,
    });
  });

  it('SFlowTestPacket3: processor counters (TestDecodeProcessorCounter)', () => {
    const d = one('gopacket__sflow_test-SFlowTestPacket3-processor-counter.bin');
    expect(d).toMatchObject({ agent: '10.20.4.0', subAgentId: 100, sequence: 96480, uptime: 1929595000 });
    expect(d.counters).toEqual([
      expect.objectContaining({
        format: 1001,
        sequence: 0x0178e0,
        sourceIdIndex: 1,
        cpu5s: 0x05aa,
        cpu1m: 0x055a,
        cpu5m: 0x0532,
        totalMemory: 0xe78d7000,
        freeMemory: 0x55e77000,
      }),
    ]);
  });

  it('SFlowTestPacket8: extended router with an IPv6 next hop', () => {
    const d = one('gopacket__sflow_test-SFlowTestPacket8-extrouter-ipv6nh.bin');
    expect(d.agent).toBe('192.168.1.18');
    expect(d.flows[0]).toMatchObject({ nextHop: '2001:db8::', inIf: 0x1d, outIf: 4, samplingRate: 0x100, drops: 0x5602 });
    // The upstream bytes understate the sample length (52) for the 28-byte IPv6 router record.
    expect(d.errors.map((e) => e.code)).toEqual(['length-mismatch']);
  });

  it('SFlowTestPacket9: Open vSwitch port counters with port name and OpenFlow port', () => {
    const d = one('gopacket__sflow_test-SFlowTestPacket9-portname-counter.bin');
    expect(d.errors).toEqual([]);
    const byFormat = new Map(d.counters.map((c) => [c.format, c]));
    expect(byFormat.get(1)).toMatchObject({
      ifIndex: 14,
      sourceIdIndex: 14,
      ifType: 6,
      ifSpeed: 0x2540be400,
      ifDirection: 1,
      ifAdminStatus: 1,
      ifOperStatus: 1,
      ifInOctets: 0x4749,
      ifInUcastPkts: 0xb5,
      ifOutOctets: 0x8a0b,
      ifOutUcastPkts: 0x1d2,
    });
    expect(byFormat.get(1005)).toMatchObject({ portName: 'tapd98154f2-00', ifIndex: 14 });
    expect(byFormat.get(1004)).toMatchObject({ datapathId: '000062d33ce76e49', openflowPort: 3 });
    expect(byFormat.get(2)).toMatchObject({ dot3StatsSingleCollisionFrames: 0xffffffff, dot3StatsSymbolErrors: 0xffffffff });
  });

  it('SFlowTestPacket10: VLAN counters', () => {
    const d = one('gopacket__sflow_test-SFlowTestPacket10-vlan-counter.bin');
    expect(d).toMatchObject({ agent: '10.20.4.0', subAgentId: 100, uptime: 1929595000 });
    expect(d.counters[0]).toMatchObject({
      format: 5,
      vlanId: 10,
      octets: 0x018c2ccc,
      ucastPkts: 0x9683,
      multicastPkts: 0x029016,
      broadcastPkts: 0x01f673,
      discards: 0,
    });
  });

  it('SFlowTestPacket11: LACP counters', () => {
    const d = one('gopacket__sflow_test-SFlowTestPacket11-lacp-counter.bin');
    expect(d).toMatchObject({ agent: '127.0.0.1', uptime: 95295000, sequence: 14565 });
    expect(d.counters[0]).toMatchObject({
      format: 7,
      actorSystemId: '7e:60:69:73:8f:42',
      partnerSystemId: '00:00:00:00:00:00',
      attachedAggId: 1,
      portState: 91553792,
      lacpdusRx: 0,
      markerPdusRx: 0xffffffff,
      illegalRx: 0,
      lacpdusTx: 1173,
    });
    // The upstream bytes announce a 116-byte sample but only 76 bytes follow.
    expect(d.errors.map((e) => e.code)).toEqual(['truncated-sample']);
  });

  it('SFlowTestPacket13: app resources and OVS datapath counters', () => {
    const d = one('gopacket__sflow_test-SFlowTestPacket13-appresources-ovsdb.bin');
    expect(d.errors).toEqual([]);
    expect(d.counters.map((c) => c.format)).toEqual([2203, 2207]);
    expect(d.counters[0]).toMatchObject({ sourceIdIndex: 1000, userTime: 0xb152d, systemTime: 0xa3739, memUsed: 0x58b000 });
    expect(d.counters[1]).toMatchObject({ nHit: 0x3f7, nMissed: 0x148, nMaskHit: 0xa3b });
  });
});

describe('error handling', () => {
  it('rejects non-v5 and truncated headers with typed errors', () => {
    const good = datagram('goflow2__sflow_test-TestSFlowDecode.bin');
    const v4 = Buffer.from(good);
    v4.writeUInt32BE(4, 0);
    expect(decodeSflow(v4)).toMatchObject({ ok: false, errors: [{ code: 'bad-version', offset: 0 }] });
    expect(decodeSflow(good.subarray(0, 20))).toMatchObject({ ok: false, errors: [{ code: 'short-datagram' }] });
    const badAddr = Buffer.from(good);
    badAddr.writeUInt32BE(7, 4);
    expect(decodeSflow(badAddr).errors[0]).toMatchObject({ code: 'bad-address-type', offset: 4 });
  });

  it('keeps the samples before a corrupt one', () => {
    const buf = Buffer.from(datagram('akvorado__data-1140.pcap'));
    // Third sample: overwrite its length with a huge value.
    const d0 = decodeSflow(buf);
    expect(d0.flows).toHaveLength(5);
    let p = 28;
    for (let i = 0; i < 2; i++) p += 8 + buf.readUInt32BE(p + 4);
    buf.writeUInt32BE(0x7fffffff, p + 4);
    const d = decodeSflow(buf);
    expect(d.flows).toHaveLength(2);
    expect(d.errors[0]).toMatchObject({ code: 'truncated-sample', offset: p + 4 });
  });

  it('counts unknown records and skips them by length', () => {
    const buf = Buffer.from(datagram('goflow2__sflow_test-DropEgressQueue.bin'));
    buf.writeUInt32BE(0x0000_0999, 0x44); // record format 2457: unknown
    const d = decodeSflow(buf);
    expect(d.errors).toEqual([]);
    expect(d.stats).toMatchObject({ records: 1, unknownRecords: 1 });
    expect(d.flows[0]!.egressQueue).toBeUndefined();
  });

  it('decodes every datagram of a multi-datagram capture', () => {
    expect(datagrams('ovs-sflow.pcap').length).toBeGreaterThan(5);
  });
});
