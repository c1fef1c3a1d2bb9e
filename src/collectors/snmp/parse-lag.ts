// Link aggregates from SNMP: IEEE8023-LAG-MIB dot3adAggPortAttachedAggID (member ifIndex → the
// aggregator's ifIndex, 0 = not attached) and IF-MIB ifStackTable (higher layer over lower layer),
// kept where the higher layer is an aggregate: ifType ieee8023adLag (161), or a Cisco IOS
// port-channel (propVirtual, 53, named Po… / Port-channel…) over Ethernet ports.
import type { WalkResult } from './client.ts';
import type { IfInventory } from './parse-if.ts';
import { O } from './oids.ts';
import { Problems, indexOf, intOf } from './values.ts';

export interface LagRow {
  /** The aggregate's ifIndex. */
  aggregate: number;
  /** Member ifIndexes, ascending. */
  members: number[];
}

const ETHERNET = new Set([6, 117]);
const CISCO_PO = /^(po|port-channel)\s*\d/i;

function isAggregate(i: IfInventory | undefined): boolean {
  if (!i || i.type === null) return false;
  return i.type === 161 || (i.type === 53 && CISCO_PO.test(i.name ?? i.descr ?? ''));
}

export function parseLags(
  attached: WalkResult | undefined,
  stack: WalkResult | undefined,
  inv: Map<number, IfInventory>,
  p: Problems,
): LagRow[] {
  const byAgg = new Map<number, Set<number>>();
  const add = (agg: number, member: number) => {
    if (agg === member || !ETHERNET.has(inv.get(member)?.type ?? -1)) return;
    let s = byAgg.get(agg);
    if (!s) byAgg.set(agg, (s = new Set()));
    s.add(member);
  };
  for (const vb of attached?.varbinds ?? []) {
    const member = Number(indexOf(vb.oid, O.dot3adAggPortAttachedAggID));
    const agg = intOf(vb, p);
    // The aggregator may be a row of dot3adAggTable that is no ifTable interface; only known ones.
    if (Number.isInteger(member) && agg !== null && agg > 0 && inv.has(agg)) add(agg, member);
  }
  for (const vb of stack?.varbinds ?? []) {
    const [hi, lo] = indexOf(vb.oid, O.ifStackStatus).split('.').map(Number);
    // ifStackStatus active(1) only; 0 stands for "nothing above / below".
    if (hi === undefined || lo === undefined || !hi || !lo || intOf(vb, p) !== 1) continue;
    if (isAggregate(inv.get(hi))) add(hi, lo);
  }
  return [...byAgg]
    .map(([aggregate, m]) => ({ aggregate, members: [...m].sort((a, b) => a - b) }))
    .sort((a, b) => a.aggregate - b.aggregate);
}
