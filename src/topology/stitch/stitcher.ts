// The stitcher (docs/architecture.md#stitching): observations in, `layer2` links with evidence out, one transaction per
// change. Inputs are kept per (source, reporter), each call replacing that reporter's previous set;
// claims are indexed by endpoint pair so a change rewrites only the links it touches.
import type { Registry } from 'prom-client';
import type { GraphStore, GraphTx } from '../store/graph-store.ts';
import type { GraphEvent } from '../types.ts';
import { decodeDiscoveryFrame } from '../../lldp/frame.ts';
import type {
  CdpRow,
  ConflictInfo,
  MacRow,
  NeighbourRow,
  NeighbourSource,
  AggregateRow,
  StitchStatus,
  StitcherOptions,
  PortRef,
} from './types.ts';
import { ids } from '../ids.ts';
import { ClaimIndex, pairEnds, pairKey } from './claim-index.ts';
import { LinkWriter } from './link-writer.ts';
import { FdbIndex, fdbInput } from './fdb.ts';
import { LagIndex, lagDerivedInput } from './lag.ts';
import type { InputSource, StitchInputStore } from '../store/stitch-inputs.ts';
import { carryMissed, cdpToNeighbour, frameToNeighbour, macKey, neighbourKey } from './rows.ts';
import { resolveNeighbours } from './neighbours.ts';
import { STITCH_ORIGIN } from './resolve.ts';
import { stitchMetrics, type StitchMetrics } from './metrics.ts';
import { Dirty, isBondMember, isFabricCable, onGraphEvents } from './events.ts';

const DAY = 24 * 3600 * 1000;
const inputKey = (source: string, reporter: string) => `${source}\u001f${reporter}`;

interface Input {
  source: InputSource;
  reporter: string;
  rows: unknown[];
}

export class Stitcher {
  readonly index = new ClaimIndex();
  readonly links = new LinkWriter(this.index);
  readonly fdb = new FdbIndex();
  readonly lag = new LagIndex();
  readonly inputs = new Map<string, Input>();
  /** Inputs with unresolved rows or placeholder far ends: re-resolved when identities appear. */
  readonly pending = new Set<string>();
  /** Inputs whose rows carry an LLDP TTL (re-evaluated by the sweep). */
  private readonly ttlInputs = new Set<string>();
  private readonly unresolved = new Map<string, number>();
  /** Last `Metadata.LLDP` seen per host interface (publisher / agent), to skip unchanged updates. */
  readonly agentLldp = new Map<string, string>();
  /** Devices owning placeholder ports: checked for ports that now name a real one (neighbours.ts). */
  private readonly placeholderOwners = new Set<string>();
  /** Host bonds (an agent's `bond-member` edges): their members are LAG members. */
  private readonly bonds = new Set<string>();
  /** Last `Metadata.LLDP` (the port ID it advertises) seen per switch port. */
  readonly portLldp = new Map<string, string>();
  readonly endpointState = new Map<string, unknown>();
  /** Last normalised `Metadata.MAC` seen per node, so a MAC changed by a NodeUpdated is re-placed. */
  readonly nodeMac = new Map<string, string>();
  private readonly limit: number;
  private readonly retention: number;
  private readonly now: () => number;
  private readonly metrics: StitchMetrics | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queued: Dirty | null = null;
  private lastRecomputeMs: number | null = null;
  private placeholderCount = 0;

  constructor(
    readonly store: GraphStore,
    /** Where the inputs are kept across restarts. */
    private readonly table: StitchInputStore,
    private readonly opts: StitcherOptions = {},
    registry?: Registry,
  ) {
    this.limit = Math.max(2, opts.missedPollsDown ?? 2);
    this.retention = opts.retentionMs ?? DAY;
    this.now = opts.now ?? Date.now;
    this.metrics = registry
      ? stitchMetrics(
          registry,
          () => this.links.counts(),
          () => this.links.conflicts.size,
        )
      : undefined;
  }

  /** Reloads inputs and links from the database, recomputes everything, then follows the change feed. */
  start(): void {
    for (const i of this.table.all())
      this.inputs.set(inputKey(i.source, i.reporter), { source: i.source, reporter: i.reporter, rows: i.rows });
    for (const id of this.store.idsByOrigin(STITCH_ORIGIN).nodes) {
      const t = this.store.getNode(id)?.Metadata.Type;
      if (t === 'switch' || t === 'host') continue;
      for (const e of this.store.edgesOf(id, 'in')) if (e.Metadata.RelationType === 'ownership') this.placeholderOwners.add(e.Parent);
    }
    for (const e of this.store.findEdges('RelationType', 'layer2')) {
      if (isBondMember(e)) this.bonds.add(e.Parent);
      const pk = pairKey(e.Parent, e.Child);
      const fabric = e.Origin === 'fabric' && isFabricCable(this.store, e);
      if (fabric) this.links.fabric.set(pk, e.ID);
      if (fabric || (e.Origin === STITCH_ORIGIN && e.Metadata.Lag === undefined)) this.links.adopt(e, pk);
    }
    this.recompute();
    this.unsubscribe = this.store.subscribe((evs) => this.onEvents(evs));
    const every = this.opts.sweepIntervalMs ?? 5000;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  time(): number {
    return this.now();
  }

  // ---- inputs (what adapters call) -------------------------------------------------------------

  /** A reporter's full neighbour set from one source (LLDP-MIB rows of a switch, a host's LLDP …). */
  replaceNeighbours(reporterId: string, source: NeighbourSource, rows: NeighbourRow[], now = this.now()): void {
    this.change('neighbours', (tx, d) => this.setInput(tx, d, source, reporterId, rows, now), now);
  }

  /** A switch's CDP cache (CISCO-CDP-MIB rows). */
  replaceCdp(reporterId: string, rows: CdpRow[], now = this.now()): void {
    this.replaceNeighbours(reporterId, 'cdp', rows.map(cdpToNeighbour), now);
  }

  /** A switch's forwarding database (BRIDGE-MIB / Q-BRIDGE-MIB rows). */
  replaceMacs(reporterId: string, rows: MacRow[], now = this.now()): void {
    this.change('fdb', (tx, d) => this.setInput(tx, d, 'fdb', reporterId, rows, now), now);
  }

  /** A reporter's link aggregates and their members. */
  replaceAggregates(reporterId: string, rows: AggregateRow[], now = this.now()): void {
    this.change('lag', (tx, d) => this.setInput(tx, d, 'lag', reporterId, rows, now), now);
  }

  /**
   * One LLDP/CDP frame received on a host interface (capture, agent): updates that interface's
   * neighbour set, other neighbours on it keep ageing by their TTL. Returns the decode errors.
   */
  observeFrame(hostIfaceId: string, frame: Buffer, now = this.now()): { ok: boolean; errors: string[] } {
    const r = decodeDiscoveryFrame(frame);
    const errors = r.errors.map((e) => `${e.code} at ${e.offset} (${e.context}): ${e.message}`);
    const rec = r.record;
    if (!rec) return { ok: false, errors };
    let row: NeighbourRow;
    if (rec.type === 'lldp') {
      if (!rec.chassisId && !rec.sysName) return { ok: false, errors };
      row = frameToNeighbour(hostIfaceId, rec, now);
    } else {
      if (!rec.deviceId) return { ok: false, errors };
      row = {
        ...cdpToNeighbour({
          ifIndex: 0,
          remoteDeviceId: rec.deviceId,
          remotePort: rec.portId ?? null,
          address: rec.mgmtAddresses[0] ?? rec.addresses[0] ?? null,
          capabilities: rec.capabilitiesMask ?? null,
        }),
        localIfIndex: null,
        localPortId: hostIfaceId,
        lastSeen: now,
        missed: 0,
        ttl: rec.ttl,
      };
    }
    const key = inputKey('lldp-agent', hostIfaceId);
    const prev = (this.inputs.get(key)?.rows ?? []) as NeighbourRow[];
    const k = neighbourKey(row);
    // Frames carry no "complete set": keep the other neighbours, their TTL ages them.
    const rows = [...prev.filter((p) => neighbourKey(p) !== k), row];
    this.change('frame', (tx, d) => this.setInput(tx, d, 'lldp-agent', hostIfaceId, rows, now, false), now);
    return { ok: true, errors };
  }

  // ---- processing ------------------------------------------------------------------------------

  private change(kind: string, fn: (tx: GraphTx, d: Dirty) => void, now: number): void {
    const t0 = performance.now();
    this.store.write((tx) => {
      const d = new Dirty();
      fn(tx, d);
      this.flush(tx, d, now);
    });
    const ms = performance.now() - t0;
    this.lastRecomputeMs = ms;
    this.metrics?.recompute.observe({ kind }, ms / 1000);
  }

  private setInput(tx: GraphTx, d: Dirty, source: InputSource, reporter: string, rows: unknown[], now: number, carry = true): void {
    const key = inputKey(source, reporter);
    const prev = this.inputs.get(key)?.rows;
    let next: unknown[];
    if (source === 'fdb') next = carry ? carryMissed(prev as MacRow[] | undefined, rows as MacRow[], macKey, this.limit, now) : rows;
    else if (source === 'lag') next = rows;
    else next = carry ? carryMissed(prev as NeighbourRow[] | undefined, rows as NeighbourRow[], neighbourKey, this.limit, now) : rows;
    if (next.length) this.inputs.set(key, { source, reporter, rows: next });
    else this.inputs.delete(key);
    this.table.save(source, reporter, next, now);
    this.apply(tx, d, key, now);
  }

  /** (Re-)derives one input's claims from its stored rows. */
  private apply(tx: GraphTx, d: Dirty, key: string, now: number): void {
    const sep = key.indexOf('\u001f');
    const source = key.slice(0, sep) as InputSource;
    const reporter = key.slice(sep + 1);
    const rows = this.inputs.get(key)?.rows ?? [];
    if (source === 'fdb') {
      for (const m of this.fdb.replace(reporter, rows as MacRow[])) d.macs.add(m);
      return;
    }
    if (source === 'lag') {
      const list: [string, string][] = [];
      const ref = (p: PortRef) => p.portId ?? (p.ifIndex !== undefined ? ids.port(reporter, p.ifIndex) : null);
      for (const r of rows as AggregateRow[]) {
        const agg = ref(r.aggregate);
        if (agg)
          for (const m of r.members) {
            const id = ref(m);
            if (id && id !== agg) list.push([id, agg]);
          }
      }
      this.lagChanged(tx, d, key, list, now);
      return;
    }
    const nrows = rows as NeighbourRow[];
    const out = resolveNeighbours(tx, key, source, reporter, nrows, this.limit, now, this.placeholderOwners);
    this.index.replace(key, out.claims, d.pairs, this.links.keep);
    if (out.unresolved) this.unresolved.set(key, out.unresolved);
    else this.unresolved.delete(key);
    if (out.unresolved || out.placeholders) this.pending.add(key);
    else this.pending.delete(key);
    if (nrows.some((r) => typeof r.ttl === 'number')) this.ttlInputs.add(key);
    else this.ttlInputs.delete(key);
    for (const m of out.merged) d.merged.add(m);
    this.lagChanged(tx, d, `lldp-lag\u001f${key}`, out.lag, now);
  }

  /** A host bond's members (the agent's `bond-member` edges) as LAG membership of that host. */
  private hostBond(tx: GraphTx, d: Dirty, bond: string, now: number): void {
    const list: [string, string][] = [];
    if (tx.getNode(bond)) for (const e of tx.edgesOf(bond, 'out')) if (isBondMember(e)) list.push([e.Child, bond]);
    if (list.length) this.bonds.add(bond);
    else this.bonds.delete(bond);
    this.lagChanged(tx, d, `host-bond\u001f${bond}`, list, now, false);
  }

  private lagChanged(tx: GraphTx, d: Dirty, key: string, list: [string, string][], now: number, edges = true): void {
    for (const p of this.lag.replace(tx, key, list, now, edges)) {
      d.ports.add(p);
      for (const pk of this.index.byEndpoint.get(p) ?? []) d.pairs.add(pk);
    }
  }

  private isEdgePort = (tx: GraphTx, port: string): boolean => {
    const n = tx.getNode(port);
    if (!n || n.Metadata.Type !== 'port' || n.Metadata.IfType === 161 || this.lag.isLagPort(port)) return false;
    for (const pk of this.index.byEndpoint.get(port) ?? []) {
      if (this.index.claims(pk).some((c) => c.farIsSwitch && c.source !== 'fdb')) return false;
      if (this.links.fabric.has(pk)) {
        const [a, b] = pairEnds(pk);
        if (tx.getNode(a === port ? b : a)?.Metadata.Type === 'port') return false;
      }
    }
    return true;
  };

  /** Everything a change touched: merges, FDB placement, LAG-derived links, conflicts, edges. */
  private flush(tx: GraphTx, d: Dirty, now: number): void {
    for (let round = 0; round < 4 && (d.merged.size || d.reresolve.size); round++) {
      const again = new Set(d.reresolve);
      d.reresolve.clear();
      for (const key of this.index.inputsTouching(d.merged)) again.add(key);
      d.merged.clear();
      for (const key of again) {
        if (key.startsWith('fdb\u001fmac:')) d.macs.add(key.slice('fdb\u001fmac:'.length));
        else if (key.startsWith('lag-derived\u001f')) d.pairs.add(key.slice('lag-derived\u001f'.length));
        else if (this.inputs.has(key) || this.index.byInput.has(key)) this.apply(tx, d, key, now);
      }
    }
    // Neighbour changes can turn an edge port into an uplink (or back): re-place its MACs.
    for (const pk of d.pairs) for (const e of pairEnds(pk)) d.ports.add(e);
    for (const p of d.ports) for (const m of this.fdb.macsOf(p)) d.macs.add(m);
    for (const mac of d.macs) {
      const c = this.fdb.claim(tx, mac, (p) => this.isEdgePort(tx, p), this.limit, now);
      this.index.replace(fdbInput(mac), c ? [c] : [], d.pairs, this.links.keep);
    }
    for (const pk of [...d.pairs]) {
      const [a, b] = pairEnds(pk);
      if (this.lag.memberOf.has(a) || this.lag.memberOf.has(b))
        this.index.replace(lagDerivedInput(pk), this.lag.derive(this.index, pk), d.pairs, this.links.keep);
    }
    const write = new Set(d.pairs);
    const endpoints = new Set<string>();
    for (const pk of d.pairs) for (const e of pairEnds(pk)) endpoints.add(e);
    for (const e of endpoints) {
      const name = tx.getNode(e)?.Metadata.Name;
      for (const pk of this.links.evalEndpoint(e, typeof name === 'string' ? name : undefined)) write.add(pk);
    }
    for (const pk of write) this.links.write(tx, pk, now);
  }

  /** Re-resolves every input and rewrites every link (start, and on demand). */
  recompute(now = this.now()): void {
    this.change(
      'full',
      (tx, d) => {
        for (const b of this.bonds) this.hostBond(tx, d, b, now);
        for (const key of this.inputs.keys()) this.apply(tx, d, key, now);
        for (const pk of this.links.materialised.keys()) d.pairs.add(pk);
        for (const pk of this.links.fabric.keys()) d.pairs.add(pk);
      },
      now,
    );
  }

  /** TTL expiry and retention: TTL'd inputs re-evaluated, DOWN links past retention deleted. */
  sweep(now = this.now()): { removed: number } {
    let removed = 0;
    this.change(
      'sweep',
      (tx, d) => {
        for (const key of this.ttlInputs) this.apply(tx, d, key, now);
        for (const pk of this.links.materialised.keys()) d.pairs.add(pk);
        for (const [pk, m] of this.links.materialised) {
          if (m.fabric || m.state !== 'DOWN' || m.lastSeen >= now - this.retention) continue;
          if (this.index.claims(pk).some((c) => c.current)) continue;
          tx.deleteEdge(m.id, now);
          this.links.materialised.delete(pk);
          this.index.release(pk, this.links.keep);
          d.pairs.delete(pk);
          removed++;
        }
      },
      now,
    );
    return { removed };
  }

  // ---- change feed -----------------------------------------------------------------------------

  private onEvents(evs: readonly GraphEvent[]): void {
    const d = this.queued ?? new Dirty();
    if (!onGraphEvents(this, evs, d)) return;
    if (this.queued) return;
    this.queued = d;
    // Deferred: we are inside another writer's change notification.
    queueMicrotask(() => {
      const q = this.queued!;
      this.queued = null;
      const now = this.now();
      this.change(
        'feed',
        (tx, dd) => {
          // An interface's Metadata.LLDP is its whole neighbour set now (its agent's lldpd already
          // aged it by TTL), not one poll of many: a neighbour it no longer carries is gone.
          for (const [iface, rows] of q.agent) this.setInput(tx, dd, 'lldp-agent', iface, rows, now, false);
          for (const k of q.reresolve) dd.reresolve.add(k);
          for (const x of q.pairs) dd.pairs.add(x);
          for (const x of q.macs) dd.macs.add(x);
          for (const x of q.ports) dd.ports.add(x);
          for (const b of q.bonds) this.hostBond(tx, dd, b, now);
        },
        now,
      );
    });
  }

  // ---- status ----------------------------------------------------------------------------------

  status(): StitchStatus {
    let unresolved = 0;
    for (const n of this.unresolved.values()) unresolved += n;
    this.placeholderCount = this.store.idsByOrigin(STITCH_ORIGIN).nodes.filter((id) => {
      const t = this.store.getNode(id)?.Metadata.Type;
      return t === 'switch' || t === 'host';
    }).length;
    const conflicts: ConflictInfo[] = [...this.links.conflicts.values()];
    return {
      links: this.links.counts(),
      conflicts,
      unresolvedRows: unresolved,
      placeholders: this.placeholderCount,
      lastRecomputeMs: this.lastRecomputeMs,
      inputs: this.inputs.size,
    };
  }
}
