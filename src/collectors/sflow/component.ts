// The sFlow collector (docs/architecture.md#flows): UDP listener → decode → per-agent sequence accounting →
// flow table (scaled by sampling rate) and port counters on the exporter's port nodes.
import type { Component, ComponentContext } from '../../component/contract.ts';
import { counter, preset } from '../../util/metrics.ts';
import type { Datagram } from '../flows/udp-listener.ts';
import { FlowReceive } from '../flows/flow-receive.ts';
import { siblingModule } from '../../util/worker-module.ts';
import { flowWorkers } from '../flows/listener-config.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import { ExporterAccounts } from '../flows/exporter-accounts.ts';
import type { CounterRecord, FlowRecord } from '../common/flow-record.ts';
import { formatError, sflowDecoder } from './decode.ts';
import type { FlowSink } from './fast-flow.ts';
import { SFLOW_ERROR_CODES } from './errors.ts';
import type { InterfaceCounters } from '../../topology/store/port-series.ts';
import type { Attribution } from '../flows/attribution.ts';
import { mayName } from '../common/port-name.ts';
import { CounterReadings } from './counter-readings.ts';
import {
  DG,
  DG_ADDRESS,
  DG_AGENT,
  DG_AT,
  DG_COUNTER_RECORDS,
  DG_COUNTER_SAMPLES,
  DG_DROP_SAMPLES,
  DG_EXTRA,
  DG_FAST_FLOWS,
  DG_FLOW_SAMPLES,
  DG_OK,
  DG_ROWS_END,
  DG_SEQ,
  DG_SUB,
  DG_UNKNOWN_RECORDS,
  DG_UNKNOWN_SAMPLES,
  DG_UPTIME,
  ROW,
  ROW_LAST,
  ROW_RECORDS,
  TEXT_KEY,
  extrasOf,
  type DatagramExtra,
  type SflowBatch,
} from './worker-batch.ts';

const ORIGIN = 'sflow';

/** A counter value; sFlow's "unknown" (all ones, 32 or 64 bits) counts as 0. */
function num(v: unknown): number {
  if (typeof v !== 'number' || v === 0xffffffff || v >= 2 ** 63) return 0;
  return v;
}

/** sFlow generic interface counters (format 1) in the shape port metrics take. */
export function genericCounters(c: CounterRecord): InterfaceCounters {
  return {
    rxBytes: num(c.ifInOctets),
    txBytes: num(c.ifOutOctets),
    rxPackets: num(c.ifInUcastPkts) + num(c.ifInMulticastPkts) + num(c.ifInBroadcastPkts),
    txPackets: num(c.ifOutUcastPkts) + num(c.ifOutMulticastPkts) + num(c.ifOutBroadcastPkts),
    rxErrors: num(c.ifInErrors),
    txErrors: num(c.ifOutErrors),
    rxDropped: num(c.ifInDiscards),
    txDropped: num(c.ifOutDiscards),
  };
}

export interface SflowHandler {
  handle: (d: Datagram) => void;
  /** Adds the counts gathered since the last call to the Prometheus counters (once per drain turn). */
  flushMetrics: () => void;
  /** What a receive/decode worker decoded (sflow.workers > 1); metrics flushed at its end. */
  applyBatch: (b: SflowBatch) => void;
}

export interface SflowHandlerOptions {
  /**
   * Flow samples of the common shape go from the wire straight into the flow table (fast-flow.ts);
   * false decodes every sample in full first (what the fast path is tested against). Default true.
   */
  fastPath?: boolean;
}

/** Decode → accounting → flow table and port counters, for one datagram (the listener's handler). */
export function createSflowHandler(ctx: ComponentContext, pipeline: FlowPipeline, opts: SflowHandlerOptions = {}): SflowHandler {
  const m = pipeline.metrics;
  const samples = counter(ctx.registry, 'canopy_sflow_samples_total', 'sFlow samples by type', ['type']);
  const records = counter(ctx.registry, 'canopy_sflow_records_total', 'sFlow flow and counter records by kind', ['kind']);
  for (const c of [m.received, m.records, pipeline.samplingMissing]) preset(c, { protocol: ['sflow'] });
  pipeline.presetFailures(['sflow']);
  preset(m.dropped, { protocol: ['sflow'], reason: ['malformed'] });
  preset(m.decodeErrors, { protocol: ['sflow'], code: SFLOW_ERROR_CODES });
  preset(samples, { type: ['flow', 'counter', 'drop', 'unknown'] });
  preset(records, { kind: ['flow', 'counter', 'unknown'] });
  const portNames = new Map<string, string>();
  /** Ports whose name we already settled (avoids a graph read per counter record). */
  const named = new Set<string>();
  /** The last counter reading applied per port (one a second; a status change at once). */
  const readings = new CounterReadings();
  // Datagrams, records and their sequence per agent; counted in Prometheus once per drain turn.
  const accounts = new ExporterAccounts(pipeline, ctx.registry, { sequenced: true });
  // prom-client's inc() costs more than decoding a sample: counts gather in plain numbers and
  // reach the registry once per drain turn.
  const sampleCounts = {
    flow: samples.labels({ type: 'flow' }),
    counter: samples.labels({ type: 'counter' }),
    drop: samples.labels({ type: 'drop' }),
  };
  const recordCounts = { flow: records.labels({ kind: 'flow' }), counter: records.labels({ kind: 'counter' }) };
  const n = { flowSamples: 0, counterSamples: 0, dropSamples: 0, flows: 0, counters: 0 };

  const flushMetrics = () => {
    accounts.flush();
    if (n.flowSamples) sampleCounts.flow.inc(n.flowSamples);
    if (n.counterSamples) sampleCounts.counter.inc(n.counterSamples);
    if (n.dropSamples) sampleCounts.drop.inc(n.dropSamples);
    if (n.flows) recordCounts.flow.inc(n.flows);
    if (n.counters) recordCounts.counter.inc(n.counters);
    n.flowSamples = n.counterSamples = n.dropSamples = n.flows = n.counters = 0;
  };

  // The fast path's sink: the datagram's receive time is set before each decode.
  const table = pipeline.table;
  let sinkNow = 0;
  const flowSink: FlowSink = {
    addrKey: (s) => table.addrKey(s),
    add: (exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes, rate) =>
      table.addSflow(exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes, rate, sinkNow),
  };
  // Counter samples of a port read less than a second ago are walked, not decoded (the test
  // applyCounters makes, asked before decoding).
  const counterGate = (exporter: string, sub: number, ifIndex: number, status: number, uptime: number) =>
    !readings.tooSoon(exporter, sub, ifIndex, sinkNow, uptime, status);
  const decode = sflowDecoder(opts.fastPath === false ? { counterGate } : { flowSink, counterGate });

  const handle = (d: Datagram) => {
    const now = d.receivedAt;
    sinkNow = now;
    const dg = decode(d.data);
    const acc = accounts.datagram('sflow', dg.agent || d.address, now);
    for (const e of dg.errors) accounts.decodeError(acc, e.code, 'sflow', d.address, formatError(e), 'sFlow decode error');
    if (!dg.ok) {
      m.dropped.inc({ protocol: 'sflow', reason: 'malformed' });
      return;
    }
    const st = dg.stats;
    decoded(
      acc,
      dg.subAgentId,
      dg.sequence,
      st.flowSamples,
      st.counterSamples,
      st.dropSamples,
      st.unknownSamples,
      st.unknownRecords,
      dg.fastFlows,
      dg.flows,
      dg.counters,
      dg.counters.length + st.skippedCounterRecords,
      dg.uptime,
      now,
    );
  };

  /** What follows a decoded datagram, in the main thread whether it was decoded here or in a worker. */
  const decoded = (
    acc: ReturnType<ExporterAccounts['datagram']>,
    sub: number,
    sequence: number,
    flowSamples: number,
    counterSamples: number,
    dropSamples: number,
    unknownSamples: number,
    unknownRecords: number,
    fastFlows: number,
    flows: readonly FlowRecord[],
    counters: CounterRecord[],
    /** Counter records in the datagram: decoded, turned away by the gate, or not handed over. */
    counterRecords: number,
    uptime: number,
    now: number,
  ) => {
    // Lost datagrams per agent + sub-agent, from the datagram sequence (resets restart it).
    accounts.sequence(acc, sub, sequence);
    n.flowSamples += flowSamples;
    n.counterSamples += counterSamples;
    n.dropSamples += dropSamples;
    if (unknownSamples) samples.inc({ type: 'unknown' }, unknownSamples);
    if (unknownRecords) records.inc({ kind: 'unknown' }, unknownRecords);
    n.flows += flows.length + fastFlows;
    n.counters += counterRecords;
    accounts.records(acc, flows.length + fastFlows);
    for (const f of flows) {
      const rate = f.samplingRate && f.samplingRate > 0 ? f.samplingRate : 1;
      pipeline.addFlow(ORIGIN, f, rate, !(f.samplingRate && f.samplingRate > 0), now);
    }
    if (counters.length) applyCounters(counters, uptime, now);
  };

  const noExtra: DatagramExtra = { errors: [], flows: [], counters: [] };
  /** A worker's batch (worker-batch.ts), datagram by datagram in the order its socket got them. */
  const applyBatch = (b: SflowBatch) => {
    const { dgs, rows, strings } = b;
    const extras = extrasOf(b);
    let r = 0;
    for (let i = 0; i < b.datagrams; i++) {
      const o = i * DG;
      const now = dgs[o + DG_AT]!;
      const address = strings[dgs[o + DG_ADDRESS]!]!;
      const agentIx = dgs[o + DG_AGENT]!;
      const ex = dgs[o + DG_EXTRA]!;
      const extra = ex >= 0 ? extras[ex]! : noExtra;
      for (const end = dgs[o + DG_ROWS_END]!; r < end; r++) {
        const k = r * ROW;
        let src = rows[k + 5]!;
        let dst = rows[k + 6]!;
        if (src >= TEXT_KEY) src = table.addrKey(strings[src - TEXT_KEY]!);
        if (dst >= TEXT_KEY) dst = table.addrKey(strings[dst - TEXT_KEY]!);
        // Integers out of the Float64Array as small integers again (| 0, >>> 0): doubles stored
        // into table entries would change their field representation and slow every lookup.
        table.addSflow(
          strings[rows[k]!]!,
          rows[k + 1]! >>> 0,
          rows[k + 2]! | 0,
          rows[k + 3]! | 0,
          rows[k + 4]! | 0,
          src,
          dst,
          rows[k + 7]! | 0,
          rows[k + 8]! | 0,
          rows[k + 9]! | 0,
          rows[k + 10]!,
          rows[k + 11]!,
          rows[k + 12]! | 0,
          rows[k + 13]!,
          rows[k + 14]! >>> 0,
          rows[k + ROW_LAST]!,
          rows[k + ROW_RECORDS],
          now,
        );
      }
      const acc = accounts.datagram('sflow', agentIx >= 0 ? strings[agentIx]! : address, now);
      for (const e of extra.errors) accounts.decodeError(acc, e.code, 'sflow', address, e.text, 'sFlow decode error');
      if (!dgs[o + DG_OK]) {
        m.dropped.inc({ protocol: 'sflow', reason: 'malformed' });
        continue;
      }
      decoded(
        acc,
        dgs[o + DG_SUB]! >>> 0,
        dgs[o + DG_SEQ]! >>> 0,
        dgs[o + DG_FLOW_SAMPLES]!,
        dgs[o + DG_COUNTER_SAMPLES]!,
        dgs[o + DG_DROP_SAMPLES]!,
        dgs[o + DG_UNKNOWN_SAMPLES]!,
        dgs[o + DG_UNKNOWN_RECORDS]!,
        dgs[o + DG_FAST_FLOWS]!,
        extra.flows,
        extra.counters,
        dgs[o + DG_COUNTER_RECORDS]!,
        dgs[o + DG_UPTIME]!,
        now,
      );
    }
    flushMetrics();
  };

  const applyCounters = (counters: CounterRecord[], uptime: number, now: number) => {
    const a = pipeline.attribution(ORIGIN);
    // Port names (OVS record 1005) arrive beside the generic counters of the same sample.
    for (const c of counters) {
      if (c.format === 1005 && typeof c.portName === 'string' && c.ifIndex) portNames.set(`${c.exporter}|${c.ifIndex}`, c.portName);
      // OVS: the datapath ID tells which bridge this sub-agent is (several bridges share one agent address).
      if (c.format === 1004 && typeof c.datapathId === 'string') {
        try {
          a.datapath(c.exporter, c.subAgentId ?? 0, c.datapathId, now);
        } catch (err) {
          pipeline.recordFailed('sflow', c.exporter, 'counter', err);
        }
      }
    }
    for (const c of counters) {
      if (c.format !== 1 || !c.ifIndex) continue;
      if (!readings.take(c.exporter, c.subAgentId ?? 0, c.ifIndex, now, uptime, c.ifOperStatus)) continue;
      // One record's failing graph write costs only that record.
      try {
        applyCounter(a, c, now, uptime);
      } catch (err) {
        pipeline.recordFailed('sflow', c.exporter, 'counter', err);
      }
    }
  };

  const applyCounter = (a: Attribution, c: CounterRecord, now: number, uptime: number) => {
    const portId = a.portOf(c.exporter, c.subAgentId ?? 0, c.ifIndex, now);
    if (!portId) return;
    const extra: Record<string, unknown> = { State: c.ifOperStatus === 1 ? 'UP' : 'DOWN' };
    if (typeof c.ifSpeed === 'number' && c.ifSpeed > 0) extra.Speed = c.ifSpeed;
    const name = portNames.get(`${c.exporter}|${c.ifIndex}`);
    if (name && !named.has(portId)) {
      // Only name ports nobody else named (SNMP's ifName wins).
      const node = ctx.store.getNode(portId);
      if (node && mayName(node.Metadata, 'sflow')) {
        extra.Name = name;
        extra.NameSource = 'sflow';
      }
      named.add(portId);
    }
    // The agent's uptime going back is a reboot: no delta across it (counter-rates.ts).
    pipeline.ports.record(portId, 'sflow', genericCounters(c), now, extra, { uptimeMs: uptime });
  };
  return { handle, flushMetrics, applyBatch };
}

export function createSflowComponent(ctx: ComponentContext, pipeline: FlowPipeline): Component | undefined {
  const cfg = ctx.config.sflow;
  if (!cfg.enabled) return undefined;
  const log = ctx.log.child({ component: 'sflow' });
  const { handle, flushMetrics, applyBatch } = createSflowHandler(ctx, pipeline);
  const listenerOpts = {
    protocol: 'sflow',
    listen: cfg.listen,
    receiveBuffer: cfg.receiveBuffer,
    queueSize: cfg.queueSize,
    receiver: cfg.receiver,
    dropped: pipeline.metrics.dropped,
    log,
  };
  const receive = new FlowReceive<SflowBatch>({
    ...listenerOpts,
    workers: flowWorkers(cfg.workers),
    entry: siblingModule(import.meta.url, 'worker'),
    registry: ctx.registry,
    handle,
    afterBatch: flushMetrics,
    onBatch: applyBatch,
  });

  return {
    name: 'sflow',
    // The flow pipeline is a component of its own, started before this one and stopped after.
    async start() {
      await receive.start();
      log.info(
        { listen: receive.bound, receiver: receive.mode, workers: receive.workers, receiveBuffer: receive.receiveBufferBytes },
        'sFlow listening',
      );
    },
    async stop() {
      await receive.stop();
    },
    status() {
      return { ...receive.status(), ...pipeline.status(['sflow']) };
    },
  };
}
