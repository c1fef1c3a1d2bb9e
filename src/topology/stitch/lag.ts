// Link aggregation: members and their aggregate are joined by a `layer2` edge (bridge-membership
// kind, `Lag: 'member'`), and two aggregates whose members are cabled to each other get a link of
// their own, derived from the member links (evidence 'lag').
import type { GraphTx } from '../store/graph-store.ts';
import { ids } from '../ids.ts';
import type { Claim } from './types.ts';
import { ClaimIndex, pairEnds } from './claim-index.ts';
import { STITCH_ORIGIN } from './resolve.ts';

export const lagDerivedInput = (memberPair: string) => `lag-derived\u001f${memberPair}`;

export class LagIndex {
  /** Member port → aggregate port. */
  readonly memberOf = new Map<string, string>();
  private readonly aggCount = new Map<string, number>();
  private readonly byInput = new Map<string, [string, string][]>();

  isLagPort(id: string): boolean {
    return this.memberOf.has(id) || this.aggCount.has(id);
  }

  /**
   * Replaces one input's memberships; writes / deletes member edges (not when `edges` is false: the
   * membership is already an edge another source owns, a host agent's bond); returns touched ports.
   */
  replace(tx: GraphTx, input: string, list: [string, string][], now: number, edges = true): string[] {
    const old = this.byInput.get(input) ?? [];
    const next = new Set(list.map(([m, a]) => `${m}|${a}`));
    const touched: string[] = [];
    for (const [m, a] of old) {
      if (next.has(`${m}|${a}`)) continue;
      if (this.memberOf.get(m) === a) {
        this.memberOf.delete(m);
        const n = (this.aggCount.get(a) ?? 1) - 1;
        if (n <= 0) this.aggCount.delete(a);
        else this.aggCount.set(a, n);
        const [p, c] = m < a ? [m, a] : [a, m];
        if (edges) tx.deleteEdge(ids.edge(p, c, 'layer2'), now);
      }
      touched.push(m, a);
    }
    for (const [m, a] of list) {
      if (this.memberOf.get(m) !== a) {
        this.memberOf.set(m, a);
        this.aggCount.set(a, (this.aggCount.get(a) ?? 0) + 1);
      }
      if (!edges || !tx.getNode(m) || !tx.getNode(a)) {
        touched.push(m, a);
        continue;
      }
      const [p, c] = m < a ? [m, a] : [a, m];
      const id = ids.edge(p, c, 'layer2');
      const ev = tx.getEdge(id)?.Metadata.Evidence as Record<string, { FirstSeen: number }> | undefined;
      tx.upsertEdge({
        ID: id,
        Parent: p,
        Child: c,
        Origin: STITCH_ORIGIN,
        Host: 'stitch',
        Metadata: {
          RelationType: 'layer2',
          Lag: 'member',
          Aggregate: a,
          Member: m,
          State: 'UP',
          Evidence: { lag: { FirstSeen: ev?.lag?.FirstSeen ?? now } },
        },
      });
      touched.push(m, a);
    }
    if (list.length) this.byInput.set(input, list);
    else this.byInput.delete(input);
    return touched;
  }

  /** Claims for the aggregate pair behind one cabled member pair (empty when not both members). */
  derive(index: ClaimIndex, memberPair: string): Claim[] {
    const [a, b] = pairEnds(memberPair);
    const aggA = this.memberOf.get(a);
    const aggB = this.memberOf.get(b);
    if (!aggA || !aggB || aggA === aggB) return [];
    const input = lagDerivedInput(memberPair);
    const [x, y] = aggA < aggB ? [aggA, aggB] : [aggB, aggA];
    return index
      .claims(memberPair)
      .filter((c) => c.source !== 'lag')
      .map((c) => ({
        ...c,
        input,
        a: x,
        b: y,
        side: this.memberOf.get(c.side) ?? c.side,
        source: 'lag' as const,
        farIsSwitch: true,
      }));
  }
}
