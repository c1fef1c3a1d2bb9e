// Link aggregates from the real walks' ifStackTable (none of the 17 walks has IEEE8023-LAG-MIB;
// the generated switches of lag-generated.test.ts serve it), polled through Canopy's simulator into
// the real stitcher: every aggregate (ifType 161, or a Cisco IOS port-channel) with its Ethernet
// members as the walk file lists them, read here without the poller; member ↔ aggregate edges in
// the graph where the aggregate is a port node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { listWalkFiles } from '../../../src/collectors/snmp/sim/load.ts';
import { ids } from '../../../src/topology/ids.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { column, readSnmprec, startStitched, type StitchedEnv } from './helpers.ts';

const STACK = '1.3.6.1.2.1.31.1.2.1.3';
const IFTYPE = '1.3.6.1.2.1.2.2.1.3';
const IFNAME = '1.3.6.1.2.1.31.1.1.1.1';

/** aggregate ifIndex → member ifIndexes, from the walk file. */
function walkLags(file: string): Map<number, number[]> {
  const w = readSnmprec(file);
  const type = column(w, IFTYPE);
  const name = column(w, IFNAME);
  const out = new Map<number, number[]>();
  for (const [idx, v] of column(w, STACK)) {
    const [hi, lo] = idx.split('.');
    if (hi === '0' || lo === '0' || v.value !== '1') continue;
    const t = type.get(hi!)?.value;
    const po = t === '53' && /^(po|port-channel)\s*\d/i.test(name.get(hi!)?.value ?? '');
    if ((t !== '161' && !po) || !['6', '117'].includes(type.get(lo!)?.value ?? '')) continue;
    out.set(
      Number(hi),
      [...(out.get(Number(hi)) ?? []), Number(lo)].sort((a, b) => a - b),
    );
  }
  return out;
}

const files = listWalkFiles(FIXTURE_DIR).filter((f) => walkLags(f).size > 0);

describe('LAGs from ifStackTable in the real walks', () => {
  let e: StitchedEnv;
  beforeAll(async () => {
    e = await startStitched(files.map((f) => ({ name: basename(f, '.snmprec'), file: f })));
  }, 120_000);
  afterAll(async () => e?.stop());

  it('covers the vendors that list aggregates', () => {
    expect(files.map((f) => basename(f, '.snmprec').replace('librenms__', '')).sort()).toEqual([
      'aos6',
      'arista_eos',
      'arista_eos_vrf',
      'arubaos-cx',
      'dnos',
      'ios_2960x',
      'iosxr_ncs55a2',
      'procurve',
    ]);
  });

  for (const f of files) {
    const name = basename(f, '.snmprec');
    it(`${name}: aggregates and members as the walk lists them; member edges in the graph`, () => {
      const want = walkLags(f);
      const d = e.device(name);
      const sw = d.switchId!;
      const got = e.snmp.observations.lagRows(sw);
      expect(new Map(got.map((l) => [l.aggregate, l.members]))).toEqual(want);
      expect(d.status.counts.lags).toBe(want.size);
      for (const [agg, members] of want) {
        const aggNode = e.storage.graph.getNode(ids.port(sw, agg));
        for (const m of members) {
          const member = ids.port(sw, m);
          const edge = e.storage.graph
            .edgesOf(member, 'out')
            .concat(e.storage.graph.edgesOf(member, 'in'))
            .find((x) => x.Metadata.Lag === 'member');
          // A Cisco port-channel is propVirtual (53), not a port node: membership is known to the
          // stitcher (no FDB placement on members) but there is no aggregate node to link.
          if (aggNode)
            expect(edge?.Metadata, `${name} ${m} → ${agg}`).toMatchObject({ Aggregate: aggNode.ID, Member: member, State: 'UP' });
          else expect(edge).toBeUndefined();
          expect(e.stitcher.lag.memberOf.get(member)).toBe(ids.port(sw, agg));
        }
      }
    });
  }

  it('one member edge per membership whose aggregate is a port (ifType 161)', () => {
    let want = 0;
    for (const f of files) {
      const w = readSnmprec(f);
      for (const [agg, m] of walkLags(f)) if (column(w, IFTYPE).get(String(agg))?.value === '161') want += m.length;
    }
    expect(want).toBeGreaterThanOrEqual(20);
    expect([...e.storage.graph.findEdges('RelationType', 'layer2')].filter((x) => x.Metadata.Lag === 'member')).toHaveLength(want);
  });

  it('ios_2960x: Po1 (ifType 53) over Gi1/0/52 and Gi3/0/52', () => {
    const w = readSnmprec(files.find((f) => f.includes('ios_2960x'))!);
    const names = column(w, IFNAME);
    const lag = [...walkLags(files.find((f) => f.includes('ios_2960x'))!)];
    expect(lag.map(([a, m]) => [names.get(String(a))!.value, m.map((x) => names.get(String(x))!.value)])).toEqual([
      ['Po1', ['Gi1/0/52', 'Gi3/0/52']],
    ]);
  });
});
