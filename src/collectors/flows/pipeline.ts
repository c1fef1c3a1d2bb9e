// What sFlow, NetFlow and IPFIX share once a datagram is decoded (docs/architecture.md#flows): attribution to
// exporter → device → port nodes, the flow table and its flushes, port counters, per-exporter
// accounting for /api/status, retention, and /api/flows.
import type { Registry, Counter } from 'prom-client';
import type { CanopyConfig } from '../../config/schema.ts';
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { Storage } from '../../topology/store/storage.ts';
import type { GraphEvent } from '../../topology/types.ts';
import { ids } from '../../topology/ids.ts';
import type { Logger } from '../../util/log.ts';
import { RateLimitedLog } from '../../util/log.ts';
import { counter, counterOf, flowMetrics, gaugeOf, preset } from '../../util/metrics.ts';
import { WriteFailures } from '../../util/write-failures.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { PortMetrics } from '../common/port-metrics.ts';
import { Attribution } from './attribution.ts';
import { FlowStore, type FlowEntry } from './flow-store.ts';
import { FlowTable, type Attributed } from './flow-table.ts';
import { FlowWriter } from './flow-writer.ts';
import { FlowWriterThread } from './flow-writer-thread.ts';

/** What a failed graph write cost, per kind of record. */
const FAILED = {
  flow: 'flow attribution failed; flow kept without its port nodes',
  counter: 'counter attribution failed; reading skipped',
  interface: 'interface name attribution failed; name skipped',
} as const;

export interface ExporterStats {
  protocol: string;
  address: string;
  datagrams: number;
  records: number;
  decodeErrors: number;
  sequenceGaps: number;
  firstSeen: number;
  lastSeen: number;
  /** Datagrams per second, exponentially smoothed over about a minute. */
  rate: number;
  samplingRateMissing: number;
}

export class FlowPipeline {
  readonly store: FlowStore;
  readonly table: FlowTable;
  readonly ports: PortMetrics;
  readonly metrics: ReturnType<typeof flowMetrics>;
  readonly gaps: Counter<'protocol' | 'exporter'>;
  readonly samplingMissing: Counter<'protocol'>;
  readonly warn: RateLimitedLog;
  /** Records whose graph write failed (kept without their node references). */
  readonly attributionFailures: Counter<'protocol' | 'kind'>;
  private readonly attributions = new Map<string, Attribution>();
  /** Sources that name their device and port nodes themselves (port mirroring: the mirrored port). */
  private readonly attributors = new Map<string, (r: FlowRecord, now: number) => Attributed>();
  private readonly exporters = new Map<string, ExporterStats>();
  private timer: NodeJS.Timeout | undefined;
  /** Where flushes go instead of the local writer (the flow bus's inlets, docs/scale-out.md). */
  private sink: ((entries: FlowEntry[]) => void) | undefined;
  /** Counts kept in plain numbers on the hot path, added to Prometheus before a scrape reads them. */
  readonly beforeScrape = new Set<() => void>();
  /** Drains handed to the writer (or sink) and not known written yet: when, and the running entry count. */
  private readonly handed: { at: number; upTo: number }[] = [];
  private handedTotal = 0;
  /** See storedThrough(): the table held nothing before the pipeline existed. */
  private storedAt = Date.now();
  readonly writer: FlowWriter | FlowWriterThread;
  readonly graph: GraphStore;

  constructor(
    readonly config: CanopyConfig,
    storage: Pick<Storage, 'graph' | 'flows' | 'portSeries'>,
    readonly registry: Registry,
    readonly log: Logger,
  ) {
    const graph = (this.graph = storage.graph);
    this.store = new FlowStore(storage.flows);
    // SQLite on a file: the writer gets a thread and a connection of its own (docs/performance.md, "The writer thread").
    const file = (storage.flows as { writerFile?: string }).writerFile;
    const paced = new FlowWriter(this.store, log);
    this.writer = file ? new FlowWriterThread(file, log, paced) : paced;
    this.table = new FlowTable(
      config.storage.flowTableSize,
      (entries) => this.emit(entries),
      (origin, r, now) => this.attribute(origin, r, now),
      {
        maxEntries: config.storage.flowTableMaxEntries,
        maxBytes: config.storage.flowTableMaxBytes,
        // Entries handed to the writer still hold their memory until written.
        pending: () => this.writer.pending,
      },
    );
    this.ports = new PortMetrics(graph, storage.portSeries, config.storage.counterUpdateInterval * 1000);
    this.metrics = flowMetrics(registry);
    this.gaps = counter(
      registry,
      'canopy_sequence_gaps_total',
      'Datagrams (sFlow) or records (NetFlow/IPFIX) lost per the exporter sequence numbers',
      ['protocol', 'exporter'],
      () => {
        for (const f of this.beforeScrape) f();
      },
    );
    this.samplingMissing = counter(
      registry,
      'canopy_sampling_rate_missing_total',
      'Flow records stored with rate 1 because no sampling rate was known',
      ['protocol'],
    );
    const flushes = counter(registry, 'canopy_flow_table_flushes_total', 'Flow-table flush transactions written to SQLite');
    counterOf(
      registry,
      'canopy_flow_table_evictions_total',
      'Flow records dropped because the flow table and its write backlog were at storage.flowTableMaxEntries or flowTableMaxBytes',
      () => this.table.evicted,
    );
    gaugeOf(registry, 'canopy_flow_table_entries', 'Entries in the in-memory flow table', () => this.table.size);
    this.writer.onTransaction = paced.onTransaction = () => flushes.inc();
    const failures = new WriteFailures(registry, log);
    failures.preset(['flows', 'port_series']);
    this.writer.onFailure = paced.onFailure = (err, rows) => failures.record('flows', err, rows);
    this.ports.onFailure = (err, rows) => failures.record('port_series', err, rows);
    this.warn = new RateLimitedLog(log);
    this.attributionFailures = counter(
      registry,
      'canopy_flow_attribution_failures_total',
      'Records whose device/port graph write failed (flows are kept without their port nodes)',
      ['protocol', 'kind'],
    );
    graph.subscribe((evs) => this.onGraphEvents(evs));
  }

  attribution(origin: string): Attribution {
    let a = this.attributions.get(origin);
    if (!a) {
      a = new Attribution(this.graph, origin, this.log);
      this.attributions.set(origin, a);
    }
    return a;
  }

  /** Records of this origin are attributed by `fn` instead of exporter address → device → ifIndex. */
  setAttributor(origin: string, fn: ((r: FlowRecord, now: number) => Attributed) | undefined): void {
    if (fn) this.attributors.set(origin, fn);
    else this.attributors.delete(origin);
  }

  /**
   * Device and port nodes of a new flow-table entry. A failing graph write costs this record its
   * node references, not its bytes, and not the rest of its datagram.
   */
  private attribute(origin: string, r: FlowRecord, now: number): Attributed {
    try {
      const own = this.attributors.get(origin);
      if (own) return own(r, now);
      return this.attribution(origin).attribute(r.exporter, r.subAgentId ?? 0, r.inIf, r.outIf, now);
    } catch (err) {
      this.recordFailed(r.protocol, r.exporter, 'flow', err);
      return { deviceId: ids.exporter(r.exporter, r.subAgentId ?? 0), inPortId: null, outPortId: null };
    }
  }

  /** The failure counter's series at 0 for a protocol, so alert rules have them from the start. */
  presetFailures(protocols: readonly string[]): void {
    preset(this.attributionFailures, { protocol: protocols, kind: Object.keys(FAILED) });
  }

  /** Counts and rate-limit logs one record whose graph write failed. */
  recordFailed(protocol: string, exporter: string, kind: keyof typeof FAILED, err: unknown): void {
    this.attributionFailures.inc({ protocol, kind });
    this.warn.error(`attribution:${protocol}:${exporter}:${kind}`, { err, exporter, protocol }, FAILED[kind]);
  }

  /**
   * The change feed. A switch written with a management address: an exporter node cached for that
   * address is resolved again (and folded into the switch) on its next record. Deleted nodes:
   * caches forget them; for nodes merged away (Metadata.MergedInto), flows in the table, flows
   * waiting to be written, stored flows and counter series move to the canonical node, so nothing
   * is counted against an ID that no longer exists.
   */
  private onGraphEvents(evs: readonly GraphEvent[]): void {
    let gone: Set<string> | undefined;
    let moved: Map<string, string> | undefined;
    let switches: Set<string> | undefined;
    for (const ev of evs) {
      if (ev.type === 'NodeAdded' || ev.type === 'NodeUpdated') {
        const md = ev.node.Metadata;
        if (md.Type === 'switch' && typeof md.MgmtAddress === 'string') (switches ??= new Set()).add(md.MgmtAddress);
        continue;
      }
      if (ev.type !== 'NodeDeleted') continue;
      (gone ??= new Set()).add(ev.node.ID);
      const into = ev.node.Metadata.MergedInto;
      if (typeof into === 'string') (moved ??= new Map()).set(ev.node.ID, into);
    }
    if (switches) for (const a of this.attributions.values()) for (const addr of switches) a.switchAt(addr);
    if (!gone) return;
    // We run inside another writer's commit notification: whatever fails here must not reach it.
    try {
      for (const a of this.attributions.values()) a.forget(gone);
      if (moved) {
        const to = canonical(moved);
        this.table.repoint(to);
        this.writer.repoint(to);
        this.store.repointNodes(to);
        this.ports.repoint(to);
      }
      for (const id of gone) if (!moved?.has(id)) this.ports.forget(id);
    } catch (err) {
      this.log.error({ err }, 'following merged nodes failed');
    }
  }

  exporter(protocol: string, address: string, now: number): ExporterStats {
    const key = `${protocol}|${address}`;
    let e = this.exporters.get(key);
    if (!e) {
      e = {
        protocol,
        address,
        datagrams: 0,
        records: 0,
        decodeErrors: 0,
        sequenceGaps: 0,
        firstSeen: now,
        lastSeen: now,
        rate: 0,
        samplingRateMissing: 0,
      };
      this.exporters.set(key, e);
    }
    this.touchExporter(e, now);
    return e;
  }

  /** One more datagram from this exporter: counts and the smoothed rate. */
  touchExporter(e: ExporterStats, now: number): void {
    const dt = Math.max(1, now - e.lastSeen) / 1000;
    const alpha = Math.min(1, dt / 60);
    e.rate = e.rate * (1 - alpha) + (1 / dt) * alpha;
    e.lastSeen = now;
    e.datagrams++;
  }

  /**
   * One flow record into the table; the caller resolved the rate (never silently 1). Attribution
   * to device and port nodes happens once per table entry, not per record.
   */
  addFlow(origin: string, r: FlowRecord, rate: number, rateMissing: boolean, now: number, first = now): void {
    if (rateMissing) this.samplingMissing.inc({ protocol: r.protocol });
    this.table.add(origin, r, rate, rateMissing, now, first);
  }

  /** Flow-table flushes go to `fn` (publish to the flow bus) instead of this collector's store; undefined: back to the store. */
  setSink(fn: ((entries: FlowEntry[]) => void) | undefined): void {
    this.sink = fn;
  }

  private emit(entries: FlowEntry[]): void {
    this.handedTotal += entries.length;
    this.handed.push({ at: Date.now(), upTo: this.handedTotal });
    if (this.sink) this.sink(entries);
    else this.writer.enqueue(entries);
    this.storedThrough();
  }

  /**
   * The latest instant before which every flow the table took is in the store: the time of the
   * newest drain the writer has finished. Readers that must not wait for the writer (the periodic
   * reconciliation) read the store as it is and stop there, where `flush()` would block the
   * receive thread until the writer caught up (seconds, at high rates).
   */
  storedThrough(): number {
    const done = this.handedTotal - (this.sink ? 0 : this.writer.pending);
    while (this.handed.length > 0 && this.handed[0]!.upTo <= done) this.storedAt = this.handed.shift()!.at;
    return this.storedAt;
  }

  /** Synchronous flush, for readers that must see everything (/api/flows) and for stop(). */
  flush(): void {
    this.emit(this.table.drain());
    this.writer.flushAll();
    this.ports.flushSeries();
  }

  /** Runs the flush timer; the flows component starts it before the listeners that feed it. */
  start(): void {
    if (this.timer) return;
    if (this.writer instanceof FlowWriterThread) this.writer.start();
    const every = this.config.storage.flowFlushInterval * 1000;
    this.timer = setInterval(() => {
      this.emit(this.table.drain());
      this.ports.flushSeries();
      const now = Date.now();
      this.writer.pruneBefore(now - this.config.storage.flowWindow * 1000, now - this.config.storage.flowRollupRetention * 1000);
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // What the table holds goes to the writer before it stops (the thread takes no rows after).
    this.writer.enqueue(this.table.drain());
    this.ports.flushSeries();
    this.writer.stop();
  }

  /** Resolves once the writer's thread (if it has one) has exited, after stop(). */
  closed(): Promise<void> {
    return this.writer instanceof FlowWriterThread ? this.writer.exited() : Promise.resolve();
  }

  /** components.flows.table in /api/status: what the flow table holds against its bounds. */
  tableStatus(): { entries: number; bytes: number; maxEntries: number; maxBytes: number; evicted: number } {
    return {
      entries: this.table.size,
      bytes: this.table.bytes,
      maxEntries: this.table.maxEntries,
      maxBytes: this.table.maxBytes,
      evicted: this.table.evicted,
    };
  }

  windowStart(now = Date.now()): number {
    return now - this.config.storage.flowWindow * 1000;
  }

  status(protocols: string[]): Record<string, unknown> {
    return {
      flowTable: {
        entries: this.table.size,
        earlyFlushes: this.table.earlyFlushes,
        evicted: this.table.evicted,
        flushed: this.writer.written,
        pendingWrites: this.writer.pending,
        lastFlush: this.writer.lastWrite,
      },
      exporters: [...this.exporters.values()]
        .filter((e) => protocols.includes(e.protocol))
        .map((e) => ({ ...e, rate: Math.round(e.rate * 100) / 100 })),
    };
  }
}

/** Merges of one batch may chain (a port into a port that is merged in turn): map each to the end. */
function canonical(moved: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [from, first] of moved) {
    let to = first;
    for (let i = 0; i < 8 && moved.has(to); i++) to = moved.get(to)!;
    out.set(from, to);
  }
  return out;
}
