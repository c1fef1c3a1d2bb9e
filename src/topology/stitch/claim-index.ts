// In-memory index of claims: per input, per endpoint pair, per endpoint. A change replaces one
// input's claims and reports which pairs it touched, so only those links are rewritten.
import type { Claim, EvidenceSource } from './types.ts';

export const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
export const pairEnds = (pk: string): [string, string] => {
  const i = pk.indexOf('|');
  return [pk.slice(0, i), pk.slice(i + 1)];
};

/** Strength order of docs/architecture.md#stitching: LLDP (either side) and CDP, then the static fabric, then FDB. */
export const SOURCE_RANK: Record<EvidenceSource, number> = { 'lldp-snmp': 3, 'lldp-agent': 3, cdp: 3, lag: 3, fabric: 2, fdb: 1 };

export class ClaimIndex {
  readonly byInput = new Map<string, Claim[]>();
  readonly byPair = new Map<string, Set<Claim>>();
  /** Endpoint → pair keys with claims (fabric pairs are added by the stitcher separately). */
  readonly byEndpoint = new Map<string, Set<string>>();

  private link(pk: string, a: string, b: string): void {
    for (const e of [a, b]) {
      let s = this.byEndpoint.get(e);
      if (!s) this.byEndpoint.set(e, (s = new Set()));
      s.add(pk);
    }
  }

  private unlinkIfEmpty(pk: string, a: string, b: string, keep: (pk: string) => boolean): void {
    if (this.byPair.get(pk)?.size || keep(pk)) return;
    this.byPair.delete(pk);
    for (const e of [a, b]) {
      const s = this.byEndpoint.get(e);
      s?.delete(pk);
      if (s && s.size === 0) this.byEndpoint.delete(e);
    }
  }

  /** Replaces one input's claims; adds the pairs touched (old and new) to `dirty`. */
  replace(input: string, claims: Claim[], dirty: Set<string>, keep: (pk: string) => boolean): void {
    const old = this.byInput.get(input);
    if (old) {
      for (const c of old) {
        const pk = pairKey(c.a, c.b);
        this.byPair.get(pk)?.delete(c);
        dirty.add(pk);
      }
    }
    if (claims.length) this.byInput.set(input, claims);
    else this.byInput.delete(input);
    for (const c of claims) {
      const pk = pairKey(c.a, c.b);
      let s = this.byPair.get(pk);
      if (!s) this.byPair.set(pk, (s = new Set()));
      s.add(c);
      this.link(pk, c.a, c.b);
      dirty.add(pk);
    }
    if (old) for (const c of old) this.unlinkIfEmpty(pairKey(c.a, c.b), c.a, c.b, keep);
  }

  /** Keeps an endpoint pair indexed without claims (a fabric edge, a materialised link). */
  touch(pk: string): void {
    const [a, b] = pairEnds(pk);
    this.link(pk, a, b);
  }

  release(pk: string, keep: (pk: string) => boolean): void {
    const [a, b] = pairEnds(pk);
    this.unlinkIfEmpty(pk, a, b, keep);
  }

  claims(pk: string): Claim[] {
    const s = this.byPair.get(pk);
    return s ? [...s] : [];
  }

  /** Inputs whose claims touch one of these nodes (to re-resolve after a merge or deletion). */
  inputsTouching(nodes: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const n of nodes) for (const pk of this.byEndpoint.get(n) ?? []) for (const c of this.byPair.get(pk) ?? []) out.add(c.input);
    return out;
  }
}
