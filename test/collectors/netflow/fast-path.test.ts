// The NetFlow/IPFIX fast path (key-plan.ts) must give the flow table exactly what the full decoder's
// records give it: every NetFlow v9/IPFIX fixture (templates before their data) is fed to two
// decoders, one with the flow table as its sink and one without, and the drained tables compared.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { FlowTable } from '../../../src/collectors/flows/flow-table.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { NetflowDecoder } from '../../../src/collectors/netflow/decoder.ts';
import { SamplingResolver } from '../../../src/collectors/netflow/sampling.ts';
import type { NetflowSink } from '../../../src/collectors/netflow/key-plan.ts';
import { FIXTURES, payloads } from './helpers.ts';

const NOW = 1_700_000_000_000;

const table = () =>
  new FlowTable(
    1e9,
    () => undefined,
    (_o, r) => ({
      deviceId: `${r.exporter}|${r.subAgentId ?? 0}`,
      inPortId: r.inIf ? `in${r.inIf}` : null,
      outPortId: r.outIf ? `out${r.outIf}` : null,
    }),
  );

/** Template files first, then the rest, each group on fresh decoders. */
function groups(): string[][] {
  const files = readdirSync(FIXTURES).filter(
    (f) => /ipfix|netflow9|nfv9|nf9|akvorado|pmacct|vflow__ipfix/.test(f) && !/sflow|nfv5|netflow5|legacy|\.json$/.test(f),
  );
  const stem = (f: string) =>
    f.replace(/[-_](tpl|template|templates|opttpl|tplopt|data|options-data|options-template)[^.]*\./, '.').replace(/\d+\./, '.');
  const by = new Map<string, string[]>();
  for (const f of files) by.set(stem(f), [...(by.get(stem(f)) ?? []), f]);
  const tplFirst = (f: string) => (/tpl|template|opttpl/.test(f) ? 0 : 1);
  return [...by.values()].map((g) => g.sort((a, b) => tplFirst(a) - tplFirst(b) || a.localeCompare(b)));
}

function run(files: string[], fast: boolean, sampling?: SamplingResolver) {
  const t = table();
  const sink: NetflowSink = {
    addrKey: (s) => t.addrKey(s),
    // prettier-ignore
    add: (protocol, exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes, packets, rate, missing) =>
      t.addKeyed('netflow', protocol, exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes, packets, rate, missing, NOW),
  };
  const d = new NetflowDecoder({ sink: fast ? sink : undefined, sampling });
  const flows: FlowRecord[] = [];
  for (const f of files) {
    for (const p of payloads(f)) {
      flows.length = 0;
      d.decodeAll(p.payload, p.exporter, flows);
      for (const r of flows)
        t.add('netflow', r, r.samplingRate && r.samplingRate > 0 ? r.samplingRate : 1, r.samplingRateMissing === true, NOW);
    }
  }
  const rows = t
    .drain()
    .map((e) => JSON.stringify({ ...e, next: undefined }))
    .sort();
  return { rows, fast: d.fastRecords, flows: d.stats.flows, missing: d.samplingRateMissing };
}

describe('NetFlow/IPFIX fast path', () => {
  it('every v9/IPFIX fixture: the flow table holds the same entries with and without the fast path', () => {
    const gs = groups();
    expect(gs.length).toBeGreaterThan(20);
    let fast = 0;
    let all = 0;
    for (const g of gs) {
      const full = run(g, false);
      const quick = run(g, true);
      expect({ g, rows: quick.rows }).toEqual({ g, rows: full.rows });
      expect(quick.flows).toBe(full.flows);
      expect(quick.missing).toBe(full.missing);
      expect(full.fast).toBe(0);
      fast += quick.fast;
      all += quick.flows;
    }
    // Most records of these real exporters take the fast path.
    expect(fast).toBeGreaterThan(all / 2);
  });

  it('records naming their sampler (options data gives a rate per sampler) take the fast path with those rates', () => {
    // akvorado's capture: options data teaches a rate per sampler ID, each data record names one.
    const files = [
      'akvorado__multiplesamplingrates-template.pcap',
      'akvorado__multiplesamplingrates-options-template.pcap',
      'akvorado__multiplesamplingrates-options-data.pcap',
      'akvorado__multiplesamplingrates-data.pcap',
    ];
    const full = run(files, false);
    const quick = run(files, true);
    expect(quick.rows).toEqual(full.rows);
    expect(quick.flows).toBeGreaterThan(0);
    expect(quick.fast).toBe(quick.flows);
    // More than one rate reached the table, none missing.
    expect(new Set(quick.rows.map((r) => (JSON.parse(r) as { samplingRate: number }).samplingRate)).size).toBeGreaterThan(1);
    expect(quick.missing).toBe(0);
    // Without the options data no sampler has a rate: the records are flagged, counted alike, and
    // a default for the exporter is taken as the full decoder takes it.
    const noOptions = [files[0]!, files[3]!];
    const a = run(noOptions, false);
    const b = run(noOptions, true);
    expect(b.rows).toEqual(a.rows);
    expect(b.missing).toBe(a.missing);
    const exporter = payloads(files[3]!)[0]!.exporter;
    const cfg = { samplingDefaults: [{ exporter, rate: 9 }] };
    const withOptions = run(files, true, new SamplingResolver(cfg));
    expect(withOptions.rows).toEqual(run(files, false, new SamplingResolver(cfg)).rows);
    expect(run(noOptions, true, new SamplingResolver(cfg)).rows.join()).toMatch(/"samplingRate":9/);
  });

  it('a configured sampling rate and a default reach fast-path entries as they reach decoded records', () => {
    for (const cfg of [
      { samplingOverrides: [{ exporter: '192.0.2.1', rate: 100 }] },
      { samplingDefaults: [{ exporter: '192.0.2.1', rate: 7 }] },
    ]) {
      const files = [
        'logstash-codec-netflow__ipfix_test_openbsd_pflow_tpl.dat',
        'logstash-codec-netflow__ipfix_test_openbsd_pflow_data.dat',
      ];
      const full = run(files, false, new SamplingResolver(cfg));
      const quick = run(files, true, new SamplingResolver(cfg));
      expect(quick.fast).toBeGreaterThan(0);
      expect(quick.rows).toEqual(full.rows);
      expect(quick.rows.join()).toMatch(/"samplingRate":(100|7)/);
    }
  });
});
