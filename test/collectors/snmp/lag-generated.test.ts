// Generated switches (`canopy snmp-sim --switches 2 --lag --arp N`; synthetic on purpose: none of the
// real walks has IEEE8023-LAG-MIB rows, see lag-walks.test.ts) polled into the real stitcher:
// - a pair whose two uplinks form Port-Channel1 on both sides: member edges on each switch and one
//   link between the two aggregates (evidence 'lag'), i.e. the right LAG of the right pair;
// - the generated ARP rows put each address on the host the switch's FDB placed on its edge port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arpIp, fdbMac, generateSwitchWalk, lagOf, switchName } from '../../../src/collectors/snmp/sim/generate.ts';
import { ids } from '../../../src/topology/ids.ts';
import { runQuery } from '../../../src/topology/query/index.ts';
import type { GraphEdge, GraphNode } from '../../../src/topology/types.ts';
import { startStitched, type StitchedEnv } from './helpers.ts';

const PORTS = 8;
const opts = { total: 2, ports: PORTS, fdbEntries: 12, arpEntries: 4, lag: true };

describe('generated LAG pair and ARP tables', () => {
  let e: StitchedEnv;
  beforeAll(async () => {
    e = await startStitched([0, 1].map((i) => ({ name: switchName(i), records: generateSwitchWalk({ ...opts, index: i }) })));
    // LLDP needs both ends polled before the member links (and the aggregate link) exist: once more.
    await e.snmp.poller.pollNow();
    await new Promise((r) => setTimeout(r, 10));
  }, 60_000);
  afterAll(async () => e?.stop());

  it('each switch: Port-Channel1 over its two uplinks, from dot3adAggPortAttachedAggID and ifStackTable', () => {
    for (const i of [0, 1]) {
      const sw = e.device(switchName(i)).switchId!;
      const { aggregate, members } = lagOf(i, 2, PORTS);
      expect(members).toEqual([PORTS - 1, PORTS]);
      expect(e.snmp.observations.lagRows(sw)).toEqual([{ aggregate, members }]);
      expect(e.storage.graph.getNode(ids.port(sw, aggregate))?.Metadata).toMatchObject({ Name: 'Port-Channel1', IfType: 161 });
      for (const m of members) expect(e.stitcher.lag.memberOf.get(ids.port(sw, m))).toBe(ids.port(sw, aggregate));
    }
  });

  it('the two aggregates are linked to each other (evidence lag), beside the two member cables', () => {
    const [a, b] = [0, 1].map((i) => ids.port(e.device(switchName(i)).switchId!, lagOf(i, 2, PORTS).aggregate));
    const l2 = [...e.storage.graph.findEdges('RelationType', 'layer2')];
    const agg = l2.filter((x) => [x.Parent, x.Child].sort().join() === [a, b].sort().join());
    expect(agg).toHaveLength(1);
    expect(agg[0]!.Metadata).toMatchObject({ State: 'UP' });
    expect(Object.keys(agg[0]!.Metadata.Evidence as object)).toContain('lag');
    const cables = l2.filter((x) => x.Metadata.Lag === undefined && Object.keys(x.Metadata.Evidence ?? {}).includes('lldp-snmp'));
    expect(cables).toHaveLength(2);
  });

  it('ARP: every generated address finds its host, and from it the access port the FDB placed it on', () => {
    for (const i of [0, 1]) {
      const sw = e.device(switchName(i)).switchId!;
      for (let n = 0; n < opts.arpEntries; n++) {
        const ip = arpIp(i, n);
        const found = runQuery(e.storage.graph, `G.V().Has('IPV4', '${ip}')`).value as GraphNode[];
        expect(
          found.map((x) => x.Metadata.MAC),
          ip,
        ).toEqual([[...fdbMac(i, n)].map((x) => x.toString(16).padStart(2, '0')).join(':')]);
        const links = runQuery(e.storage.graph, `G.V().Has('IPV4', '${ip}').BothE('RelationType', 'layer2')`).value as GraphEdge[];
        // FDB entry n is on access port (n mod 6) + 1 (ports 7 and 8 are the LAG uplinks).
        expect(
          links.flatMap((l) => [l.Parent, l.Child]),
          ip,
        ).toContain(ids.port(sw, (n % (PORTS - 2)) + 1));
      }
    }
  });
});
