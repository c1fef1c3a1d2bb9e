// The header's state summary, worded for a count ("1 link down", "3 links down").
import type { LinkCounts } from '../model/view-model.ts';

const links = (n: number) => `${n} ${n === 1 ? 'link' : 'links'}`;

export function linkSummary(c: LinkCounts): { down: string; degraded: string } {
  return { down: `${links(c.down)} down`, degraded: `${links(c.degraded)} degraded` };
}
