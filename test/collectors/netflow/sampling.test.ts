// Sampling precedence: override → record fields → options data → v5 header → configured default;
// nothing known → rate 1, flagged and counted.
import { describe, expect, it } from 'vitest';
import { NetflowDecoder } from '../../../src/collectors/netflow/decoder.ts';
import { SamplingResolver, rateFromFields } from '../../../src/collectors/netflow/sampling.ts';
import { feed } from './helpers.ts';

describe('sampling', () => {
  it('rate from record fields: 34, 50, 305/306, 309/310', () => {
    expect(rateFromFields({ samplingInterval: 100 })).toBe(100);
    expect(rateFromFields({ samplerRandomInterval: 2000 })).toBe(2000);
    expect(rateFromFields({ samplingPacketInterval: 1, samplingPacketSpace: 9 })).toBe(10);
    expect(rateFromFields({ samplingPacketInterval: 2, samplingPacketSpace: 6 })).toBe(4);
    expect(rateFromFields({ samplingSize: 1, samplingPopulation: 256, samplingPacketInterval: 1 })).toBe(256);
    expect(rateFromFields({ samplingInterval: 0 })).toBeUndefined();
  });

  it('configured override beats the record and the v5 header', () => {
    const sampling = new SamplingResolver({
      samplingOverrides: [
        { exporter: '192.168.0.1', rate: 7 },
        { exporter: '192.0.2.1', rate: 9 },
      ],
    });
    const d = new NetflowDecoder({ sampling });
    const v9 = feed(['akvorado__samplingrate-template.pcap', 'akvorado__samplingrate-data.pcap'], d);
    expect(v9.flows[0]).toMatchObject({ samplingInterval: 2048, samplingRate: 7 });
    const v5 = feed(['vflow__netflow_v5_decoder_test-TestV5FlowPacket.bin'], d);
    expect(v5.flows[0]!.samplingRate).toBe(9);
  });

  it('configured default applies only when the exporter says nothing', () => {
    const ex = '192.0.2.1';
    const d = new NetflowDecoder({ sampling: new SamplingResolver({ samplingDefaults: [{ exporter: ex, rate: 64 }] }) });
    const noInfo = feed(
      ['logstash-codec-netflow__ipfix_test_openbsd_pflow_tpl.dat', 'logstash-codec-netflow__ipfix_test_openbsd_pflow_data.dat'],
      d,
    );
    expect(noInfo.flows.every((r) => r.samplingRate === 64 && r.samplingRateMissing === undefined)).toBe(true);
    // v5 header interval 1000 wins over the default.
    const v5 = feed(['vflow__netflow_v5_decoder_test-TestV5FlowPacket.bin'], d);
    expect(v5.flows[0]!.samplingRate).toBe(1000);
    expect(d.samplingRateMissing).toBe(0);
  });

  it('no rate anywhere: rate 1, flagged, counted per record', () => {
    const f = feed([
      'logstash-codec-netflow__ipfix_test_openbsd_pflow_tpl.dat',
      'logstash-codec-netflow__ipfix_test_openbsd_pflow_data.dat',
    ]);
    expect(f.flows.every((r) => r.samplingRate === 1 && r.samplingRateMissing === true)).toBe(true);
    expect(f.decoder.samplingRateMissing).toBe(26);
  });
});
