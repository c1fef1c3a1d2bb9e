// The sFlow collector (DESIGN §8): UDP listener → decode → per-agent sequence accounting →
// flow table (scaled by sampling rate) and port counters on the exporter's port nodes.
import type { Component, ComponentContext } from '../../collector.ts';
import type { ApiApp } from '../../api/app.ts';
import { counter } from '../../util/metrics.ts';
import { UdpListener, type Datagram } from '../flows/udp-listener.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import type { CounterRecord } from '../common/flow-record.ts';
import { decodeSflow, formatError } from './decode.ts';
import type { InterfaceCounters } from '../common/port-metrics.ts';

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

export function createSflowComponent(ctx: ComponentContext, pipeline: FlowPipeline): Component | undefined {
  const cfg = ctx.config.sflow;
  if (!cfg.enabled) return undefined;
  const log = ctx.log.child({ component: 'sflow' });
  const m = pipeline.metrics;
  const samples = counter(ctx.registry, 'canopy_sflow_samples_total', 'sFlow samples by type', ['type']);
  const records = counter(ctx.registry, 'canopy_sflow_records_total', 'sFlow flow and counter records by kind', ['kind']);
  const perExporter = counter(ctx.registry, 'canopy_exporter_datagrams_total', 'Datagrams per exporter', ['protocol', 'exporter']);
  const lastSeq = new Map<string, number>();
  const portNames = new Map<string, string>();
  /** Ports whose name we already settled (avoids a graph read per counter record). */
  const named = new Set<string>();
  // Label lookups cost more than the increments: bind the hot ones once.
  const received = m.received.labels({ protocol: 'sflow' });
  const flowRecords = m.records.labels({ protocol: 'sflow' });
  const sampleCounts = { flow: samples.labels({ type: 'flow' }), counter: samples.labels({ type: 'counter' }), drop: samples.labels({ type: 'drop' }) };
  const recordCounts = { flow: records.labels({ kind: 'flow' }), counter: records.labels({ kind: 'counter' }) };
  const exporterCounters = new Map<string, ReturnType<typeof perExporter.labels>>();

  const handle = (d: Datagram) => {
    const now = d.receivedAt;
    received.inc();
    const dg = decodeSflow(d.data);
    const agent = dg.agent || d.address;
    const ex = pipeline.exporter('sflow', agent, now);
    let ec = exporterCounters.get(agent);
    if (!ec) exporterCounters.set(agent, (ec = perExporter.labels({ protocol: 'sflow', exporter: agent })));
    ec.inc();
    for (const e of dg.errors) {
      m.decodeErrors.inc({ protocol: 'sflow', code: e.code });
      ex.decodeErrors++;
      pipeline.warn.warn(`sflow:${d.address}:${e.code}`, { from: d.address, error: formatError(e) }, 'sFlow decode error');
    }
    if (!dg.ok) {
      m.dropped.inc({ protocol: 'sflow', reason: 'malformed' });
      return;
    }
    // Lost datagrams per agent + sub-agent, from the datagram sequence (resets restart it).
    const key = `${dg.agent}|${dg.subAgentId}`;
    const prev = lastSeq.get(key);
    if (prev !== undefined && dg.sequence > prev + 1 && dg.sequence - prev < 2 ** 31) {
      const lost = dg.sequence - prev - 1;
      pipeline.gaps.inc({ protocol: 'sflow', exporter: dg.agent }, lost);
      ex.sequenceGaps += lost;
    }
    lastSeq.set(key, dg.sequence);
    if (dg.stats.flowSamples) sampleCounts.flow.inc(dg.stats.flowSamples);
    if (dg.stats.counterSamples) sampleCounts.counter.inc(dg.stats.counterSamples);
    if (dg.stats.dropSamples) sampleCounts.drop.inc(dg.stats.dropSamples);
    if (dg.stats.unknownSamples) samples.inc({ type: 'unknown' }, dg.stats.unknownSamples);
    if (dg.stats.unknownRecords) records.inc({ kind: 'unknown' }, dg.stats.unknownRecords);
    if (dg.flows.length) {
      recordCounts.flow.inc(dg.flows.length);
      flowRecords.inc(dg.flows.length);
    }
    if (dg.counters.length) recordCounts.counter.inc(dg.counters.length);
    ex.records += dg.flows.length;
    for (const f of dg.flows) {
      const rate = f.samplingRate && f.samplingRate > 0 ? f.samplingRate : 1;
      pipeline.addFlow(ORIGIN, f, rate, !(f.samplingRate && f.samplingRate > 0), now);
    }
    if (dg.counters.length) applyCounters(dg.counters, now);
  };

  const applyCounters = (counters: CounterRecord[], now: number) => {
    const a = pipeline.attribution(ORIGIN);
    // Port names (OVS record 1005) arrive beside the generic counters of the same sample.
    for (const c of counters) {
      if (c.format === 1005 && typeof c.portName === 'string' && c.ifIndex) portNames.set(`${c.exporter}|${c.ifIndex}`, c.portName);
    }
    for (const c of counters) {
      if (c.format !== 1 || !c.ifIndex) continue;
      const dev = a.device(c.exporter, c.subAgentId ?? 0, now);
      const portId = a.port(dev, c.ifIndex);
      if (!portId) continue;
      const extra: Record<string, unknown> = { State: c.ifOperStatus === 1 ? 'UP' : 'DOWN' };
      if (typeof c.ifSpeed === 'number' && c.ifSpeed > 0) extra.Speed = c.ifSpeed;
      const name = portNames.get(`${c.exporter}|${c.ifIndex}`);
      if (name && !named.has(portId)) {
        // Only name ports nobody else named (SNMP's ifName wins).
        const node = ctx.store.getNode(portId);
        if (node && String(node.Metadata.Name ?? '').startsWith('ifIndex ')) extra.Name = name;
        named.add(portId);
      }
      pipeline.ports.record(portId, 'sflow', genericCounters(c), now, extra);
    }
  };

  const listener = new UdpListener({
    protocol: 'sflow',
    listen: cfg.listen,
    receiveBuffer: cfg.receiveBuffer,
    queueSize: cfg.queueSize,
    dropped: m.dropped,
    log,
    handle,
  });

  return {
    name: 'sflow',
    async start() {
      pipeline.start();
      await listener.start();
      log.info({ listen: listener.bound, receiveBuffer: listener.receiveBufferBytes }, 'sFlow listening');
    },
    async stop() {
      await listener.stop();
      pipeline.stop();
    },
    status() {
      return { listen: listener.bound, queued: listener.queued, queueDrops: listener.queueDrops, receiveBuffer: listener.receiveBufferBytes, ...pipeline.status(['sflow']) };
    },
    routes(_app: ApiApp) {},
  };
}
