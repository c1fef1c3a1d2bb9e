// Per-exporter accounting shared by every flow source (sFlow, NetFlow v5/v9, IPFIX): the exporter's
// entry in the status (datagrams, records, decode errors, sequence gaps, rate), and its Prometheus
// counts. prom-client's inc() with a label lookup costs more than decoding a small datagram, so
// counts gather in plain numbers and reach the registry once per drain turn (flush()).
import type { Counter, Registry } from 'prom-client';
import { counter } from '../../util/metrics.ts';
import type { ExporterStats, FlowPipeline } from './pipeline.ts';
import { lostBetween } from '../common/sequence.ts';

type Child = ReturnType<Counter<'protocol' | 'exporter'>['labels']>;
type ProtocolChild = ReturnType<Counter<'protocol'>['labels']>;

/** One exporter under one protocol. */
export interface ExporterAccount {
  readonly protocol: string;
  readonly address: string;
  /** The exporter's status entry (shared with the pipeline's list of exporters). */
  readonly stats: ExporterStats;
  /** Datagrams and records since the last flush. */
  datagrams: number;
  records: number;
  /** Lost per the sequence numbers, not yet in Prometheus. */
  gaps: number;
  readonly datagramsChild: Child;
  readonly gapsChild: Child;
  /** The last sequence number seen per sequence space (sFlow sub-agent). */
  readonly seq: Map<number, number>;
}

export interface ExporterAccountsOptions {
  /**
   * The source numbers what it exports (every flow protocol does): a new exporter's
   * canopy_sequence_gaps_total series starts at 0 rather than at its first gap.
   */
  sequenced: boolean;
}

export class ExporterAccounts {
  private readonly byProtocol = new Map<string, Map<string, ExporterAccount>>();
  private readonly touched: ExporterAccount[] = [];
  private readonly gapped: ExporterAccount[] = [];
  private readonly perExporter: Counter<'protocol' | 'exporter'>;
  private readonly received = new Map<string, { datagrams: ProtocolChild; records: ProtocolChild }>();

  constructor(
    private readonly pipeline: FlowPipeline,
    registry: Registry,
    private readonly opts: ExporterAccountsOptions,
  ) {
    this.perExporter = counter(registry, 'canopy_exporter_datagrams_total', 'Datagrams per exporter', ['protocol', 'exporter']);
    pipeline.beforeScrape.add(() => this.flushGaps());
  }

  /** One datagram received from `address` under `protocol`: its account, created on first sight. */
  datagram(protocol: string, address: string, now: number): ExporterAccount {
    let accounts = this.byProtocol.get(protocol);
    if (!accounts) this.byProtocol.set(protocol, (accounts = new Map()));
    let a = accounts.get(address);
    if (!a) {
      a = {
        protocol,
        address,
        stats: this.pipeline.exporter(protocol, address, now),
        datagrams: 0,
        records: 0,
        gaps: 0,
        datagramsChild: this.perExporter.labels({ protocol, exporter: address }),
        gapsChild: this.pipeline.gaps.labels({ protocol, exporter: address }),
        seq: new Map(),
      };
      accounts.set(address, a);
      if (this.opts.sequenced) this.pipeline.gaps.inc({ protocol, exporter: address }, 0);
    } else this.pipeline.touchExporter(a.stats, now);
    if (a.datagrams++ === 0) this.touched.push(a);
    return a;
  }

  /** Flow records the datagram carried. */
  records(a: ExporterAccount, n: number): void {
    a.records += n;
    a.stats.records += n;
  }

  /** A decode error: counted per protocol and code, on the exporter, and logged rate-limited per exporter and code. */
  decodeError(a: ExporterAccount, code: string, source: string, from: string, error: string, msg: string): void {
    this.pipeline.metrics.decodeErrors.inc({ protocol: a.protocol, code });
    a.stats.decodeErrors++;
    this.pipeline.warn.warn(`${source}:${from}:${code}`, { from, error }, msg);
  }

  /**
   * The datagram sequence number in one sequence space of the exporter (sFlow: per sub-agent): a
   * jump forward counts the datagrams in between as lost; a step back or a jump of 2^31 or more is
   * a restart, not a loss (common/sequence.ts).
   */
  sequence(a: ExporterAccount, space: number, seq: number): void {
    const prev = a.seq.get(space);
    if (prev !== undefined) this.lost(a, lostBetween(prev + 1, seq));
    a.seq.set(space, seq);
  }

  /** Lost per the exporter's sequence numbers, as its decoder counted them (NetFlow, IPFIX). */
  lost(a: ExporterAccount, n: number): void {
    if (n <= 0) return;
    // prom-client's inc() costs about what decoding a datagram does, and a replayed or restarting
    // exporter gaps on every datagram: added at the drain turn's flush, or before a scrape.
    if (a.gaps === 0) this.gapped.push(a);
    a.gaps += n;
    a.stats.sequenceGaps += n;
  }

  private flushGaps(): void {
    for (const a of this.gapped) {
      a.gapsChild.inc(a.gaps);
      a.gaps = 0;
    }
    this.gapped.length = 0;
  }

  /** Adds the counts gathered since the last call to Prometheus (once per drain turn). */
  flush(): void {
    this.flushGaps();
    for (const a of this.touched) {
      const p = this.protocolChildren(a.protocol);
      if (a.datagrams) {
        p.datagrams.inc(a.datagrams);
        a.datagramsChild.inc(a.datagrams);
      }
      if (a.records) p.records.inc(a.records);
      a.datagrams = a.records = 0;
    }
    this.touched.length = 0;
  }

  private protocolChildren(protocol: string): { datagrams: ProtocolChild; records: ProtocolChild } {
    let c = this.received.get(protocol);
    if (!c) {
      const m = this.pipeline.metrics;
      this.received.set(protocol, (c = { datagrams: m.received.labels({ protocol }), records: m.records.labels({ protocol }) }));
    }
    return c;
  }
}
