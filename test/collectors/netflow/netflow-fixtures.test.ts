// NetFlow v5 / v9 fixtures (fixtures/README.md, NetFlow section): values asserted by the upstream
// projects' own tests (akvorado root_test.go, goflow2, vflow, logstash-codec-netflow netflow_spec.rb).
import { describe, expect, it } from 'vitest';
import { feed } from './helpers.ts';

const LS = 'logstash-codec-netflow__';

describe('NetFlow v5', () => {
  it('akvorado nfv5: 29 records, first as upstream', () => {
    const { flows, errors } = feed(['akvorado__nfv5.pcap']);
    expect(errors).toEqual([]);
    expect(flows).toHaveLength(29);
    expect(flows[0]).toMatchObject({
      protocol: 'netflow5',
      srcAddr: '161.202.212.212',
      dstAddr: '202.152.70.24',
      nextHop: '61.6.255.150',
      inIf: 117,
      outIf: 86,
      bytes: 133,
      packets: 1,
      samplingRate: 1,
    });
    expect(flows[0]!.samplingRateMissing).toBeUndefined();
  });

  it('goflow2 nfv5: 6 records, first input ifIndex 9', () => {
    const { flows } = feed(['goflow2__netflowlegacy_test-nfv5.bin']);
    expect(flows).toHaveLength(6);
    expect(flows[0]).toMatchObject({ inIf: 9, srcAddr: '10.128.2.121', outIf: 2 });
  });

  it('vflow v5: sampling field 1000 and 6 trailing bytes ignored', () => {
    const { flows, errors } = feed(['vflow__netflow_v5_decoder_test-TestV5FlowPacket.bin']);
    expect(errors).toEqual([]);
    expect(flows).toHaveLength(29);
    expect(flows[0]).toMatchObject({
      srcAddr: '125.238.46.48',
      srcPort: 49233,
      dstAddr: '114.23.236.96',
      dstPort: 443,
      proto: 6,
      nextHop: '114.23.3.231',
      inIf: 791,
      outIf: 817,
      packets: 4,
      bytes: 1708,
      samplingRate: 1000,
    });
  });

  it('logstash netflow5.dat: back-to-back datagrams split, first two events as upstream', () => {
    const { flows, results } = feed([`${LS}netflow5.dat`]);
    expect(results.length).toBeGreaterThan(1);
    expect(results[0]!.length).toBe(24 + 2 * 48);
    expect(flows[0]).toMatchObject({
      srcAddr: '10.0.2.2',
      srcPort: 54435,
      dstAddr: '10.0.2.15',
      dstPort: 22,
      proto: 6,
      packets: 5,
      bytes: 230,
      tcpFlags: 16,
    });
    expect(flows[1]).toMatchObject({
      srcAddr: '10.0.2.15',
      srcPort: 22,
      dstAddr: '10.0.2.2',
      dstPort: 54435,
      packets: 4,
      bytes: 304,
      tcpFlags: 24,
    });
    // Header sampling interval 0 = not sampled: a known rate of 1, not a missing one.
    expect(flows[0]!.samplingRate).toBe(1);
    expect(flows[0]!.samplingRateMissing).toBeUndefined();
  });

  it('logstash MikroTik: 30 records, record 30 as upstream', () => {
    const { flows } = feed([`${LS}netflow5_test_microtik.dat`]);
    expect(flows).toHaveLength(30);
    expect(flows[29]).toMatchObject({
      srcAddr: '10.0.8.1',
      srcPort: 80,
      dstAddr: '192.168.0.1',
      dstPort: 51826,
      proto: 6,
      inIf: 13,
      outIf: 46,
      packets: 13,
      bytes: 11442,
      tos: 40,
      tcpFlags: 82,
    });
  });

  it('logstash invalid v5 (count 55582): typed error, no records', () => {
    const { flows, errors } = feed([`${LS}netflow5_test_invalid01.dat`]);
    expect(flows).toEqual([]);
    expect(errors.join()).toMatch(/bad-count/);
  });
});

describe('NetFlow v9 (akvorado)', () => {
  it('options template → options data → template → data: 4 flows at sampling 30000', () => {
    const f = feed(['akvorado__options-template.pcap', 'akvorado__options-data.pcap', 'akvorado__template.pcap', 'akvorado__data.pcap']);
    expect(f.errors).toEqual([]);
    expect(f.decoder.templates.get('192.0.2.100#v9', 0, 257)?.template.options).toBe(true);
    expect(f.decoder.templates.get('192.0.2.100#v9', 0, 260)?.template.options).toBe(false);
    expect(f.flows).toHaveLength(4);
    for (const r of f.flows) expect(r.samplingRate).toBe(30000);
    // akvorado's "next hop" here is the BGP next hop (IE 18); we keep it apart from IE 15.
    expect(f.flows[0]).toMatchObject({
      srcAddr: '198.38.121.178',
      dstAddr: '91.170.143.87',
      bgpNextHop: '194.149.174.63',
      inIf: 335,
      outIf: 450,
      bytes: 1500,
      packets: 1,
    });
    expect(f.flows[1]).toMatchObject({
      srcAddr: '198.38.121.219',
      dstAddr: '88.122.57.97',
      inIf: 335,
      outIf: 452,
      bgpNextHop: '194.149.174.71',
      bytes: 1500,
    });
    expect(f.flows[2]).toMatchObject({ srcAddr: '173.194.190.106', dstAddr: '37.165.129.20', inIf: 461, outIf: 306, bytes: 1400 });
    expect(f.flows[3]).toMatchObject({
      srcAddr: '74.125.100.234',
      dstAddr: '88.120.219.117',
      inIf: 461,
      outIf: 451,
      bgpNextHop: '194.149.174.61',
      bytes: 1448,
    });
  });

  it('one packet with options template 256, template 257 and data (source id 17170432)', () => {
    const f = feed(['akvorado__data+templates.pcap']);
    const ex = f.flows[0]?.exporter ?? f.options[0]!.exporter;
    expect(f.decoder.templates.get(`${ex}#v9`, 17170432, 256)?.template.options).toBe(true);
    expect(f.decoder.templates.get(`${ex}#v9`, 17170432, 257)?.template.options).toBe(false);
    expect(f.flows.length).toBeGreaterThan(0);
    expect(f.flows.every((r) => r.subAgentId === 17170432)).toBe(true);
  });

  it('sampling interval inside the data record: 2048', () => {
    const f = feed(['akvorado__samplingrate-template.pcap', 'akvorado__samplingrate-data.pcap']);
    expect(f.flows[0]).toMatchObject({
      samplingRate: 2048,
      srcAddr: '232.131.215.65',
      dstAddr: '142.183.180.65',
      inIf: 13,
      nextHop: '0.0.0.0',
      bytes: 160,
      packets: 1,
    });
  });

  it('per-flow sampler ID → different rates from options data', () => {
    const f = feed([
      'akvorado__multiplesamplingrates-options-template.pcap',
      'akvorado__multiplesamplingrates-options-data.pcap',
      'akvorado__multiplesamplingrates-template.pcap',
      'akvorado__multiplesamplingrates-data.pcap',
    ]);
    const a = f.flows.find((r) => r.srcAddr === 'ffff::68' && r.dstAddr === 'ffff::1a');
    const b = f.flows.find((r) => r.srcAddr === 'ffff::5a' && r.dstAddr === 'ffff::f');
    expect(a).toMatchObject({ bgpNextHop: 'ffff::2', inIf: 97, outIf: 6, packets: 18, bytes: 1348, samplingRate: 4000 });
    expect(b).toMatchObject({ bgpNextHop: 'ffff::3c', inIf: 103, outIf: 6, packets: 4, bytes: 579, samplingRate: 2000 });
  });

  it('ICMP v4 and v6 flows', () => {
    const f = feed(['akvorado__icmp-template.pcap', 'akvorado__icmp-data.pcap']);
    const pairs = f.flows.map((r) => `${r.srcAddr}>${r.dstAddr}:${r.bytes}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        '2001:db8::>2001:db8::1:104',
        '2001:db8::1>2001:db8:::104',
        '203.0.113.4>203.0.113.5:84',
        '203.0.113.5>203.0.113.4:84',
      ]),
    );
    // Echo request carried in the destination port (type 128 / 8, code 0).
    const v6req = f.flows.find((r) => r.srcAddr === '2001:db8::');
    expect(v6req).toMatchObject({ proto: 58, icmpType: 128, icmpCode: 0 });
  });

  it('NAT fields: post-NAT source and destination', () => {
    const f = feed(['akvorado__nat.pcap']);
    expect(f.flows[0]).toMatchObject({
      subAgentId: 200,
      srcAddr: '172.16.100.198',
      dstAddr: '10.89.87.1',
      postNatSrcAddr: '10.143.52.29',
      postNatDstAddr: '10.89.87.1',
    });
  });
});

describe('NetFlow v9 (goflow2, logstash)', () => {
  it('goflow2 template 260 (23 fields) then 21 data records', () => {
    const f = feed(['goflow2__netflow_test-nfv9-template260.bin', 'goflow2__netflow_test-nfv9-data260.bin']);
    const t = f.decoder.templates.get('192.0.2.1#v9', 256, 260)!.template;
    expect(t.fields.map((x) => `${x.id}/${x.length}`)).toEqual([
      '2/4',
      '1/4',
      '8/4',
      '12/4',
      '10/4',
      '14/4',
      '21/4',
      '22/4',
      '7/2',
      '11/2',
      '16/4',
      '17/4',
      '18/4',
      '9/1',
      '13/1',
      '4/1',
      '6/1',
      '5/1',
      '61/1',
      '89/1',
      '48/2',
      '234/4',
      '235/4',
    ]);
    expect(f.flows).toHaveLength(21);
    expect(f.flows[0]).toMatchObject({
      sequence: 838987420,
      subAgentId: 256,
      packets: 1,
      bytes: 1500,
      srcAddr: '198.38.120.222',
      dstAddr: '88.121.217.208',
      inIf: 354,
      outIf: 304,
      srcPort: 443,
      dstPort: 15184,
      srcAs: 0,
    });
    // Sampler 1 named but never described by options data: flagged, not silently 1.
    expect(f.flows[0]).toMatchObject({ samplingRate: 1, samplingRateMissing: true });
    expect(f.decoder.samplingRateMissing).toBe(21);
  });

  it('Cisco ASA NSEL: 14 events; event 2 as upstream (ICMP type 8, vendor IDs kept by number)', () => {
    const f = feed([`${LS}netflow9_test_cisco_asa_1_tpl.dat`, `${LS}netflow9_test_cisco_asa_1_data.dat`]);
    expect(f.flows).toHaveLength(14);
    expect(f.flows[1]).toMatchObject({
      sequence: 662,
      flowId: 8501,
      srcAddr: '192.168.23.22',
      srcPort: 17549,
      inIf: 2,
      dstAddr: '164.164.37.11',
      dstPort: 0,
      outIf: 3,
      proto: 1,
      icmpType: 8,
      icmpCode: 0,
    });
    // 40001/40002 = XLATE_SRC/DST_ADDR_IPV4 (vendor IDs above 32767, not enterprise bits); 40005 fw_event.
    expect(f.flows[1]).toMatchObject({
      ie40001: 0xc0a81716,
      ie40002: 0xa4a4250b,
      ie40005: 2,
      ie33002: 2025,
      observationTimeMs: 1444384070179,
    });
  });

  it('Cisco ASR 9000: 21 events, event 21 as upstream', () => {
    const f = feed([`${LS}netflow9_test_cisco_asr9k_tpl260.dat`, `${LS}netflow9_test_cisco_asr9k_data260.dat`]);
    expect(f.flows).toHaveLength(21);
    expect(f.flows[20]).toMatchObject({
      subAgentId: 2177,
      srcAddr: '10.0.29.46',
      srcPort: 443,
      dstAddr: '10.0.15.38',
      dstPort: 52364,
      proto: 6,
      inIf: 75,
      outIf: 158,
      packets: 2,
      bytes: 112,
      srcAs: 15169,
      dstAs: 64498,
      bgpNextHop: '10.0.14.27',
      ingressVrfId: 1610612736,
      egressVrfId: 1610612736,
      samplerId: 1,
    });
  });

  it('Cisco NBAR: application id 5:38', () => {
    const f = feed([`${LS}netflow9_test_cisco_nbar_tpl262.dat`, `${LS}netflow9_test_cisco_nbar_data262.dat`]);
    expect(f.flows).toHaveLength(5);
    expect(f.flows[4]).toMatchObject({
      srcAddr: '10.10.172.60',
      srcPort: 45269,
      dstAddr: '10.30.19.180',
      dstPort: 161,
      proto: 17,
      packets: 36,
      bytes: 2794,
      inIf: 1,
      outIf: 0,
      srcMac: '00:18:19:9e:6c:01',
      dstMac: '1c:df:0f:7e:c3:58',
    });
    // Classification engine 5, selector 38 (upstream renders "5:38").
    expect(f.flows[4]!.applicationId).toBe('05000026');
  });

  it('FortiGate: templates + options template, then options data with sampling interval 1', () => {
    // data256 holds the options data record (flowset 256); the flow row of the manifest comes from
    // a data file upstream that is not among the fixtures.
    const f = feed([`${LS}netflow9_test_fortigate_fortios_521_tpl.dat`, `${LS}netflow9_test_fortigate_fortios_521_data256.dat`]);
    expect(f.errors).toEqual([]);
    const o = f.options.find((x) => x.templateId === 256);
    expect(o).toMatchObject({ samplingInterval: 1, samplingAlgorithm: 1 });
    expect(f.decoder.sampling.optionsRate('192.0.2.1', o!.subAgentId, undefined)).toBe(1);
  });

  it('Huawei NetStream template 1315', () => {
    const f = feed([`${LS}netflow9_test_huawei_netstream_tpl.dat`, `${LS}netflow9_test_huawei_netstream_data.dat`]);
    expect(f.flows[0]).toMatchObject({
      srcAddr: '10.108.219.53',
      srcPort: 45587,
      dstAddr: '10.111.112.204',
      dstPort: 2598,
      proto: 6,
      inIf: 8,
      outIf: 31,
      packets: 4,
      bytes: 200,
    });
  });

  it('Ubiquiti EdgeRouter with MPLS label stack fields', () => {
    const f = feed([`${LS}netflow9_test_ubnt_edgerouter_tpl.dat`, `${LS}netflow9_test_ubnt_edgerouter_data1025.dat`]);
    const r = f.flows.find((x) => x.srcAddr === '192.168.1.102');
    expect(r).toMatchObject({
      srcPort: 47690,
      dstAddr: '10.2.0.95',
      dstPort: 443,
      proto: 6,
      inIf: 2,
      outIf: 4,
      packets: 21,
      bytes: 3668,
      postSrcMac: '06:be:ef:be:ef:b9',
      postDstMac: '44:d9:e7:be:ef:8e',
    });
  });

  it('Juniper SRX options template with a 0-length scope: 1 options record, sampling interval 1', () => {
    const f = feed([`${LS}netflow9_test_juniper_srx_tplopt.dat`]);
    expect(f.errors).toEqual([]);
    expect(f.options).toHaveLength(1);
    expect(f.options[0]).toMatchObject({ sequence: 338, templateId: 256, samplingAlgorithm: 2, samplingInterval: 1 });
  });

  it('softflowd template and data in one packet: 7 flows', () => {
    const f = feed([`${LS}netflow9_test_softflowd_tpl_data.dat`]);
    expect(f.flows).toHaveLength(7);
    expect(f.flows[0]).toMatchObject({
      srcAddr: '172.16.32.100',
      srcPort: 123,
      dstAddr: '172.16.32.248',
      dstPort: 123,
      proto: 17,
      packets: 1,
      bytes: 76,
      ipVersion: 4,
    });
  });

  it('logstash invalid v9: no crash, the header count mismatch is reported', () => {
    const f = feed([`${LS}netflow9_test_invalid01.dat`]);
    expect(f.errors.join()).toMatch(/bad-count/);
  });
});
