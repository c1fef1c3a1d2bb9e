// IPFIX fixtures (fixtures/README.md, IPFIX section): values asserted by akvorado, vflow and
// logstash-codec-netflow tests.
import { describe, expect, it } from 'vitest';
import { feed } from './helpers.ts';

const LS = 'logstash-codec-netflow__ipfix';

describe('IPFIX (akvorado)', () => {
  it('RFC 7133 dataLinkFrameSection decoded through the shared packet parser', () => {
    const f = feed(['akvorado__datalink-template.pcap', 'akvorado__datalink-data.pcap']);
    expect(f.errors).toEqual([]);
    expect(f.flows).toHaveLength(1);
    expect(f.flows[0]).toMatchObject({
      subAgentId: 16843264,
      srcAddr: '51.51.51.51',
      dstAddr: '52.52.52.52',
      inIf: 582,
      outIf: 0,
      bytes: 96,
      packets: 1,
      proto: 17,
    });
  });

  it('MPLS label stack over IPv6, sampling 10 from options', () => {
    const f = feed(['akvorado__mpls.pcap']);
    const a = f.flows.find((r) => r.dstAddr === 'fd00::1:0:1:5:1');
    const b = f.flows.find((r) => r.dstAddr === 'fd00::1:0:1:6:1');
    expect(a).toMatchObject({ srcAddr: 'fd00::1:0:1:7:1', outIf: 16, bytes: 89, packets: 1, samplingRate: 10 });
    expect(b).toMatchObject({ srcAddr: 'fd00::1:0:1:7:1', outIf: 17, bytes: 890, packets: 10, samplingRate: 10 });
    expect(Array.isArray(a!.mplsLabels)).toBe(true);
    expect((a!.mplsLabels as number[]).length).toBeGreaterThan(0);
  });

  it('ingress/egress physical interfaces, sampling 1000', () => {
    const f = feed(['akvorado__physicalinterfaces.pcap']);
    expect(f.flows[0]).toMatchObject({
      samplingRate: 1000,
      inIf: 1342177291,
      outIf: 0,
      srcAddr: '147.53.240.75',
      dstAddr: '212.82.101.24',
      packets: 3,
      bytes: 4506,
    });
  });

  it('ipfixprobe (observation domain 1, template 258): flows without sampling information', () => {
    const f = feed(['akvorado__ipfixprobe-templates.pcap', 'akvorado__ipfixprobe-data.pcap']);
    expect(f.decoder.templates.get(f.flows[0]!.exporter, 1, 258)).toBeDefined();
    const key = (r: (typeof f.flows)[number]) => `${r.srcAddr}>${r.dstAddr}`;
    expect(f.flows.find((r) => key(r) === '10.10.1.4>10.10.1.1')).toMatchObject({ inIf: 10, packets: 1, bytes: 62 });
    // 4 RFC 5103 biflow records → 6 one-way flows; the reverse direction swaps interfaces.
    expect(f.flows).toHaveLength(6);
    expect(f.flows.find((r) => key(r) === '10.10.1.1>10.10.1.4')).toMatchObject({ outIf: 10, bytes: 128, biflowDirection: 'reverse' });
    expect(f.flows.find((r) => key(r) === '74.53.140.153>10.10.1.4')).toMatchObject({ packets: 25, bytes: 1546 });
    expect(f.flows.find((r) => key(r) === '10.10.1.20>10.10.1.255')).toMatchObject({ bytes: 229 });
    expect(f.flows.find((r) => key(r) === '10.10.1.4>74.53.140.153')).toMatchObject({ packets: 28, bytes: 21673 });
    expect(f.flows.find((r) => key(r) === '192.168.1.1>10.10.1.4')).toMatchObject({ packets: 4, bytes: 2304 });
    // Enterprise IEs (CESNET PEN 29305) are kept by number.
    expect(Object.keys(f.flows[0]!).some((k) => k.startsWith('ie_29305_'))).toBe(true);
    // No sampling information anywhere: flagged, counted.
    expect(f.flows.every((r) => r.samplingRateMissing === true)).toBe(true);
  });

  it('Ethernet over MPLS with control word: MPLS labels from the frame section', () => {
    const f = feed([
      'akvorado__ethernet-over-mpls-with-control-word-template.pcap',
      'akvorado__ethernet-over-mpls-with-control-word-data.pcap',
    ]);
    expect(f.errors).toEqual([]);
    expect(f.flows[3]).toMatchObject({ inIf: 1022, mplsLabels: [300012, 17] });
  });

  it('SRv6 sample: the frame section is parsed (outer IPv6)', () => {
    const f = feed(['akvorado__ipfix-srv6-template.pcap', 'akvorado__ipfix-srv6-data.pcap']);
    expect(f.errors).toEqual([]);
    expect(f.flows).toHaveLength(1);
    expect(f.flows[0]!.etherType).toBe(0x86dd);
  });
});

describe('IPFIX (logstash, vflow)', () => {
  it('ipfix.dat: several messages split; first 7 events as upstream', () => {
    const f = feed([`${LS}.dat`]);
    expect(f.results[0]!.length).toBe(484);
    expect(f.results.length).toBeGreaterThan(1);
    expect(f.options[0]).toMatchObject({
      meteringProcessId: 2679,
      systemInitTimeMs: 1431516013506,
      selectorAlgorithm: 1,
      samplingPacketInterval: 1,
      samplingPacketSpace: 0,
    });
    const rows = f.flows.slice(0, 6).map((r) => [r.srcAddr, r.dstAddr, r.srcPort, r.dstPort, r.proto, r.bytes, r.packets]);
    expect(rows).toEqual([
      ['192.168.253.1', '192.168.253.128', 60560, 22, 6, 260, 5],
      ['192.168.253.128', '192.168.253.1', 22, 60560, 6, 1000, 6],
      ['192.168.253.2', '192.168.253.132', 53, 35262, 17, 601, 2],
      ['192.168.253.132', '192.168.253.2', 35262, 53, 17, 148, 2],
      ['54.214.9.161', '192.168.253.132', 443, 49935, 6, 5946, 14],
      ['192.168.253.132', '54.214.9.161', 49935, 443, 6, 2608, 13],
    ]);
    // samplingPacketInterval 1 / space 0 from options → rate 1; flowEndSysUpTime 12726 ms after systemInitTime.
    expect(f.flows[0]).toMatchObject({ samplingRate: 1, tcpFlags: 16, inIf: 0, outIf: 0, flowEndMs: 1431516013506 + 12726 });
    expect(f.flows[0]!.samplingRateMissing).toBeUndefined();
  });

  it('Juniper MX240: options data samplingInterval 1000 (obs domain 524288)', () => {
    const f = feed([`${LS}_test_juniper_mx240_junos151r6s3_opttpl512.dat`, `${LS}_test_juniper_mx240_junos151r6s3_data512.dat`]);
    expect(f.options).toHaveLength(1);
    expect(f.options[0]).toMatchObject({ subAgentId: 524288, templateId: 512, samplingInterval: 1000 });
    expect(f.decoder.sampling.optionsRate('192.0.2.1', 524288, undefined)).toBe(1000);
  });

  it('OpenBSD pflow: 26 records, record 26 as upstream', () => {
    const f = feed([`${LS}_test_openbsd_pflow_tpl.dat`, `${LS}_test_openbsd_pflow_data.dat`]);
    expect(f.flows).toHaveLength(26);
    expect(f.flows[25]).toMatchObject({
      subAgentId: 42,
      srcAddr: '192.168.0.1',
      srcPort: 80,
      dstAddr: '192.168.0.17',
      dstPort: 64026,
      proto: 6,
      inIf: 1,
      outIf: 1,
      packets: 8,
      bytes: 6425,
      flowStartMs: Date.parse('2016-07-21T13:29:59.000Z'),
      flowEndMs: Date.parse('2016-07-21T13:30:01.000Z'),
    });
  });

  it('Nokia BRAS (obs domain 2228226)', () => {
    const f = feed([`${LS}_test_nokia_bras_tpl.dat`, `${LS}_test_nokia_bras_data256.dat`]);
    expect(f.flows[0]).toMatchObject({
      subAgentId: 2228226,
      srcAddr: '10.0.1.228',
      srcPort: 5878,
      dstAddr: '10.0.0.34',
      dstPort: 80,
      proto: 6,
    });
  });

  it('NetScaler: variable-length fields (1- and 3-byte length prefixes), 3 events', () => {
    const f = feed([`${LS}_test_netscaler_tpl.dat`, `${LS}_test_netscaler_data.dat`]);
    expect(f.errors).toEqual([]);
    expect(f.flows).toHaveLength(3);
    expect(f.flows[0]).toMatchObject({
      srcAddr: '192.168.0.1',
      dstAddr: '10.0.0.1',
      flowId: 14460661,
      ie_5951_133: 14460661,
      ie_5951_192: '00e0ed1c9ca80300efb4255884850600',
    });
    expect(f.flows[1]).toMatchObject({ flowId: 14460662, observationPointId: 167954698, ie_5951_132: 1157636096 });
    const last = f.flows[2]!;
    expect(last).toMatchObject({
      srcAddr: '192.168.0.1',
      srcPort: 51053,
      dstAddr: '10.0.0.1',
      dstPort: 443,
      proto: 6,
      inIf: 8,
      outIf: 2147483651,
      packets: 2,
      bytes: 1541,
      ie_5951_151: 240189440,
    });
    const texts = Object.values(last).filter((v): v is string => typeof v === 'string');
    expect(texts).toContain('www.kobo.com');
    expect(texts).toContain('Mozilla/5.0 (Commodore 64;  kobo.com) Gecko/20100101 Firefox/75.0');
    // The cookie is longer than 255 bytes: 3-byte length prefix.
    expect(texts.some((t) => t.startsWith('beer=123456789') && t.endsWith('dddddddddddeeeeeeee') && t.length > 255)).toBe(true);
  });

  it('NetScaler data without templates: 0 events, sets held for the template', () => {
    const f = feed([`${LS}_test_netscaler_data.dat`]);
    expect(f.flows).toHaveLength(0);
    expect(f.decoder.stats.pendingHeld).toBeGreaterThan(0);
  });

  it('Viptela (obs domain 2887138561)', () => {
    const f = feed([`${LS}_test_viptela_tpl257.dat`, `${LS}_test_viptela_data257.dat`]);
    expect(f.flows[0]).toMatchObject({
      subAgentId: 2887138561,
      srcAddr: '10.113.7.54',
      srcPort: 41717,
      dstAddr: '172.16.21.27',
      dstPort: 443,
      proto: 6,
      inIf: 11,
      outIf: 3,
      packets: 8,
      bytes: 775,
    });
  });

  it('Barracuda: 8 events, octetTotalCount used only as fallback', () => {
    const f = feed([`${LS}_test_barracuda_tpl.dat`, `${LS}_test_barracuda_data256.dat`]);
    expect(f.flows).toHaveLength(8);
    const r = f.flows.find((x) => x.srcAddr === '10.98.243.20' && x.dstPort === 50294);
    expect(r).toMatchObject({ srcPort: 53, dstAddr: '10.99.168.140', proto: 17, inIf: 41874, outIf: 48660, packets: 1, bytes: 113 });
  });

  it('vflow template set: 25 fields, obs domain 33792, no error', () => {
    const f = feed(['vflow__ipfix_decoder_test-tpl.bin']);
    expect(f.errors).toEqual([]);
    const e = [...f.decoder.templates.entries()];
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ domain: 33792 });
    expect(e[0]!.template.fields).toHaveLength(25);
  });

  it('vflow multiMessage: template ids and 3 data records', () => {
    const f = feed(['vflow__ipfix_decoder_test-multiMessage.bin']);
    const ids = [...f.decoder.templates.entries()].map((e) => e.template.id).sort((a, b) => a - b);
    expect(ids).toEqual([256, 257, 262, 263, 264, 265, 266, 267, 268, 512]);
    expect(f.flows).toHaveLength(3);
    // The last set runs past the header's message length: decoded, and reported.
    expect(f.errors.join()).toMatch(/bad-length/);
  });

  it('vflow DecodeDataTpl: data decodes after the templates', () => {
    const f = feed(['vflow__ipfix_decoder_test-DecodeDataTpl-template.bin', 'vflow__ipfix_decoder_test-DecodeDataTpl-data.bin']);
    expect(f.errors).toEqual([]);
    expect(f.flows.some((r) => r.srcAddr === '10.0.2.15' && r.dstAddr === '216.58.215.99')).toBe(true);
    expect(f.flows.some((r) => typeof r.srcAddr === 'string' && r.srcAddr.startsWith('fe80::') && r.dstAddr === 'ff02::fb')).toBe(true);
  });
});
