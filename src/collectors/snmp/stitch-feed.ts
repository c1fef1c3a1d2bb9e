// Feeds what the SNMP poller observed (LLDP neighbours, FDB, CDP, link aggregates) into the topology stitcher,
// which owns every layer2 link (docs/architecture.md#stitching). Collectors write through the topology; the stitcher
// knows nothing of SNMP.
import type { StitchInput } from '../../topology/stitch/types.ts';
import type { ObservationKind, SnmpObservations } from './observations.ts';

export function feedStitcher(obs: SnmpObservations, stitcher: StitchInput): () => void {
  const push = (kind: ObservationKind, switchId: string) => {
    const now = Date.now();
    if (kind === 'lldp') stitcher.replaceNeighbours(switchId, 'lldp-snmp', obs.lldpRows({ switchId }), now);
    else if (kind === 'fdb') stitcher.replaceMacs(switchId, obs.fdbRows({ switchId }), now);
    else if (kind === 'cdp') stitcher.replaceCdp(switchId, obs.cdpRows({ switchId }), now);
    else if (kind === 'lag')
      stitcher.replaceAggregates(
        switchId,
        obs.lagRows(switchId).map((l) => ({ aggregate: { ifIndex: l.aggregate }, members: l.members.map((m) => ({ ifIndex: m })) })),
        now,
      );
  };
  // What is already in the tables (a restart) goes in first; the stitcher keeps its own inputs
  // too, so this only refreshes them.
  const switches = new Set([...obs.lldpRows(), ...obs.fdbRows(), ...obs.cdpRows()].map((r) => r.switchId));
  for (const id of switches) for (const k of ['lldp', 'fdb', 'cdp'] as const) push(k, id);
  return obs.onChange((c) => push(c.kind, c.switchId));
}
