// Claims → `layer2` edges. One edge per cabled pair (ordered endpoints), Evidence per source with
// first/last seen and reporters, Confidence, State, and conflicts: an endpoint with more than one
// current far end keeps the strongest link and flags every link involved (never last-writer-wins).
import type { GraphTx } from '../store/graph-store.ts';
import type { GraphEdge, Metadata } from '../types.ts';
import { ids } from '../ids.ts';
import { ClaimIndex, SOURCE_RANK, pairEnds } from './claim-index.ts';
import type { Claim, ConflictClaim, ConflictInfo, EvidenceSource } from './types.ts';
import { STITCH_ORIGIN } from './resolve.ts';

/** Granularity of Evidence LastSeen updates. */
const LAST_SEEN_STEP_MS = 60_000;

interface EvidenceEntry {
  FirstSeen: number;
  LastSeen?: number;
  Reporters?: string[];
}

export interface Materialised {
  id: string;
  state: 'UP' | 'DOWN';
  lastSeen: number;
  fabric: boolean;
}

export class LinkWriter {
  /** Pair → static fabric edge ID (Origin 'fabric'): evidence 'fabric', never duplicated. */
  readonly fabric = new Map<string, string>();
  readonly materialised = new Map<string, Materialised>();
  /** Endpoint → its conflict (more than one current far end). */
  readonly conflicts = new Map<string, ConflictInfo>();

  constructor(private readonly index: ClaimIndex) {}

  readonly keep = (pk: string): boolean => this.fabric.has(pk) || this.materialised.has(pk);

  edgeId(pk: string): string {
    const f = this.fabric.get(pk);
    if (f) return f;
    const [a, b] = pairEnds(pk);
    return ids.edge(a, b, 'layer2');
  }

  private current(pk: string): Claim[] {
    return this.index.claims(pk).filter((c) => c.current);
  }

  /** Competes in a conflict: a static fabric link, or evidence seen in the latest poll (a row
   *  missed once after a re-cabling is not a second far end). */
  private active(pk: string): boolean {
    return this.fabric.has(pk) || this.index.claims(pk).some((c) => c.fresh);
  }

  score(pk: string): { score: number; sources: EvidenceSource[]; reporters: string[] } {
    const cur = this.current(pk);
    const sources = new Set<EvidenceSource>(cur.map((c) => c.source));
    if (this.fabric.has(pk)) sources.add('fabric');
    let rank = 0;
    for (const s of sources) rank = Math.max(rank, SOURCE_RANK[s]);
    const sides = new Set(cur.map((c) => c.side)).size;
    return {
      score: rank * 10 + (sides >= 2 ? 5 : 0) + sources.size,
      sources: [...sources].sort(),
      reporters: [...new Set(cur.map((c) => c.reporter))].sort(),
    };
  }

  /** Re-evaluates one endpoint; returns the pairs whose conflict flags may have changed. */
  evalEndpoint(endpoint: string, name: string | undefined): string[] {
    const pks = [...(this.index.byEndpoint.get(endpoint) ?? [])];
    // Links derived from LAG members never conflict: an aggregate facing two (an MLAG pair) is
    // normal, and its members' own links carry any disagreement.
    const lagOnly = (pk: string) => {
      const cs = this.index.claims(pk);
      return cs.length > 0 && cs.every((c) => c.source === 'lag');
    };
    const active = pks.filter((pk) => this.active(pk) && !lagOnly(pk));
    const before = this.conflicts.get(endpoint);
    if (active.length < 2) {
      if (!before) return pks;
      this.conflicts.delete(endpoint);
      const was = [...(this.pairOf.get(endpoint)?.keys() ?? [])];
      this.pairOf.delete(endpoint);
      return [...new Set([...pks, ...was])];
    }
    const scored = active.map((pk) => ({ pk, ...this.score(pk) }));
    const top = Math.max(...scored.map((s) => s.score));
    const claims: (ConflictClaim & { pk: string })[] = scored.map((s) => {
      const [a, b] = pairEnds(s.pk);
      return {
        pk: s.pk,
        Edge: this.edgeId(s.pk),
        Peer: a === endpoint ? b : a,
        Sources: s.sources,
        Reporters: s.reporters,
        Score: s.score,
        Kept: s.score === top,
      };
    });
    const info: ConflictInfo = { Endpoint: endpoint, Claims: claims.map(({ pk: _pk, ...c }) => c) };
    if (name) info.EndpointName = name;
    this.conflicts.set(endpoint, info);
    this.pairOf.set(endpoint, new Map(claims.map((c) => [c.pk, c])));
    return pks;
  }

  /** endpoint → (pair → its verdict there), for the edge flags. */
  private readonly pairOf = new Map<string, Map<string, ConflictClaim & { pk: string }>>();

  private verdict(pk: string): { kept: boolean; with: string[] } | null {
    const [a, b] = pairEnds(pk);
    let kept = true;
    const others = new Set<string>();
    let any = false;
    for (const e of [a, b]) {
      if (!this.conflicts.has(e)) continue;
      const v = this.pairOf.get(e)?.get(pk);
      if (!v) continue;
      any = true;
      kept &&= v.Kept;
      for (const c of this.conflicts.get(e)!.Claims) if (c.Edge !== v.Edge) others.add(c.Edge);
    }
    return any ? { kept, with: [...others].sort() } : null;
  }

  /** Writes (or leaves alone) the edge of one pair. */
  write(tx: GraphTx, pk: string, now: number): void {
    const [a, b] = pairEnds(pk);
    const claims = this.index.claims(pk);
    const fabricId = this.fabric.get(pk);
    const id = this.edgeId(pk);
    const existing = tx.getEdge(id);
    const mat = this.materialised.get(pk);
    if (!existing && mat && !fabricId) this.materialised.delete(pk); // deleted or re-pointed by a merge
    const cur = claims.filter((c) => c.current);
    const verdict = this.verdict(pk);
    if (!existing) {
      if (fabricId) return; // the fabric writer has not created it yet
      if (cur.length === 0 || verdict?.kept === false) {
        this.index.release(pk, this.keep);
        return;
      }
      if (!tx.getNode(a) || !tx.getNode(b)) return;
    }
    const ev: Record<string, EvidenceEntry> = { ...((existing?.Metadata.Evidence as Record<string, EvidenceEntry> | undefined) ?? {}) };
    const bySource = new Map<EvidenceSource, Claim[]>();
    for (const c of claims) {
      let l = bySource.get(c.source);
      if (!l) bySource.set(c.source, (l = []));
      l.push(c);
    }
    let lastSeen = 0;
    for (const [src, cs] of bySource) {
      const prev = ev[src];
      const first = Math.min(prev?.FirstSeen ?? Infinity, ...cs.map((c) => c.firstSeen));
      let last = Math.max(prev?.LastSeen ?? 0, ...cs.map((c) => c.lastSeen));
      // LastSeen moves in steps: rewriting it on every poll would archive a revision of every link
      // per poll (history) and wake every subscriber.
      if (prev?.LastSeen !== undefined && last - prev.LastSeen < LAST_SEEN_STEP_MS) last = prev.LastSeen;
      ev[src] = { FirstSeen: first, LastSeen: last, Reporters: [...new Set(cs.map((c) => c.reporter))].sort() };
    }
    for (const e of Object.values(ev)) lastSeen = Math.max(lastSeen, e.LastSeen ?? e.FirstSeen ?? 0);
    if (fabricId) lastSeen = now;
    const s = this.score(pk);
    const sides = new Set(cur.map((c) => c.side)).size;
    const confidence = sides >= 2 || s.sources.length >= 2 ? 'high' : s.sources.some((x) => x !== 'fdb') ? 'medium' : 'low';
    const downEnd = [a, b].some((n) => tx.getNode(n)?.Metadata.State === 'DOWN');
    const up = (cur.length > 0 || !!fabricId) && !downEnd && verdict?.kept !== false;
    const md: Metadata = {
      RelationType: 'layer2',
      Evidence: ev,
      Confidence: cur.length || fabricId ? confidence : 'low',
      State: up ? 'UP' : 'DOWN',
    };
    if (verdict) {
      md.Conflict = true;
      md.ConflictWith = verdict.with;
    }
    if (fabricId && existing) {
      // The fabric writer owns the edge: merge our fields in, drop stale conflict flags.
      tx.upsertEdge(
        {
          ID: id,
          Parent: existing.Parent,
          Child: existing.Child,
          Metadata: { ...md, Conflict: md.Conflict ?? null, ConflictWith: md.ConflictWith ?? null },
        },
        { merge: true },
      );
    } else {
      tx.upsertEdge({ ID: id, Parent: a, Child: b, Metadata: md, Origin: STITCH_ORIGIN, Host: 'stitch' });
    }
    this.materialised.set(pk, { id, state: up ? 'UP' : 'DOWN', lastSeen, fabric: !!fabricId });
    this.index.touch(pk);
  }

  /** Adopts stitch edges found in the graph at start (their pairs get re-evaluated). */
  adopt(e: GraphEdge, pk: string): void {
    const ev = (e.Metadata.Evidence as Record<string, EvidenceEntry> | undefined) ?? {};
    const lastSeen = Math.max(0, ...Object.values(ev).map((x) => x.LastSeen ?? x.FirstSeen ?? 0));
    this.materialised.set(pk, {
      id: e.ID,
      state: e.Metadata.State === 'DOWN' ? 'DOWN' : 'UP',
      lastSeen,
      fabric: e.Origin !== STITCH_ORIGIN,
    });
    this.index.touch(pk);
  }

  counts(): { UP: number; DOWN: number } {
    const c = { UP: 0, DOWN: 0 };
    for (const m of this.materialised.values()) c[m.state]++;
    return c;
  }
}
