// NetFlow v5/v9 and IPFIX collection (DESIGN §8): listeners on netflow.listen (:2055) and
// ipfix.listen (:4739), both accepting any version, one decoder whose templates persist in SQLite,
// the shared flow table and attribution, interface names from options data onto port nodes.
import type { Component, ComponentContext } from '../../collector.ts';
import { counter, preset } from '../../util/metrics.ts';
import { UdpListener, type Datagram } from '../flows/udp-listener.ts';
import type { ExporterStats, FlowPipeline } from '../flows/pipeline.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from './decoder.ts';
import { TemplateCache } from './template-cache.ts';
import { TemplateStore } from './template-store.ts';
import { SamplingResolver } from './sampling.ts';
import { NETFLOW_ERROR_CODES, formatNetflowError } from './errors.ts';

const ORIGIN = 'netflow';
const PROTOCOL: Record<number, 'netflow5' | 'netflow9' | 'ipfix'> = { 5: 'netflow5', 9: 'netflow9', 10: 'ipfix' };

export function createNetflowComponent(ctx: ComponentContext, pipeline: FlowPipeline): Component | undefined {
  const { netflow, ipfix } = ctx.config;
  if (!netflow.enabled && !ipfix.enabled) return undefined;
  const log = ctx.log.child({ component: 'netflow' });
  const m = pipeline.metrics;
  const perExporter = counter(ctx.registry, 'canopy_exporter_datagrams_total', 'Datagrams per exporter', ['protocol', 'exporter']);
  const templatesGauge = counter(ctx.registry, 'canopy_netflow_templates_learned_total', 'NetFlow v9/IPFIX templates learned');
  // Either listener takes any version: every protocol's series exist from the start.
  const protocols = Object.values(PROTOCOL);
  for (const c of [m.received, m.records, pipeline.samplingMissing]) preset(c, { protocol: protocols });
  pipeline.presetFailures(protocols);
  preset(m.decodeErrors, { protocol: protocols, code: NETFLOW_ERROR_CODES });
  // Datagrams of no known version are counted under netflow9 (see handle()).
  preset(m.dropped, { protocol: ['netflow9'], reason: ['malformed'] });
  const templates = new TemplateCache();
  const loaded = new TemplateStore(ctx.storage.templates).attach(templates);
  const sampling = new SamplingResolver({ samplingOverrides: netflow.samplingOverrides, samplingDefaults: netflow.samplingDefaults });
  const decoder = new NetflowDecoder({ templates, sampling });
  const flows: FlowRecord[] = [];
  const options: OptionsRecord[] = [];
  // Counts gather in plain numbers per (protocol, exporter) and reach Prometheus once per drain
  // turn: prom-client's inc() with label lookups costs more than decoding a small datagram.
  interface Pending { ex: ExporterStats; protocol: string; datagrams: number; records: number }
  const perSource = new Map<string, Pending>();
  const touched: Pending[] = [];
  const flushMetrics = () => {
    for (const p of touched) {
      m.received.inc({ protocol: p.protocol }, p.datagrams);
      perExporter.inc({ protocol: p.protocol, exporter: p.ex.address }, p.datagrams);
      if (p.records) m.records.inc({ protocol: p.protocol }, p.records);
      p.datagrams = p.records = 0;
    }
    touched.length = 0;
  };
  let learned = decoder.stats.templatesLearned;

  decoder.interfaceNames.onChange = (exporter, ifIndex, v) => {
    // Called from inside the decoder: a failing graph write must not cost the datagram its flows.
    try {
      const portId = pipeline.attribution(ORIGIN).portOf(exporter, 0, ifIndex, Date.now());
      if (!portId) return;
      const node = ctx.store.getNode(portId);
      const md: Record<string, unknown> = {};
      // SNMP's ifName wins; options data names ports nobody else named.
      if (v.name && node && String(node.Metadata.Name ?? '').startsWith('ifIndex ')) md.Name = v.name;
      if (v.description) md.Description = v.description;
      if (Object.keys(md).length) ctx.store.write((tx) => tx.upsertNode({ ID: portId, Metadata: md }, { merge: true }));
    } catch (err) {
      pipeline.recordFailed('netflow', exporter, 'interface', err);
    }
  };

  const handle = (d: Datagram) => {
    const now = d.receivedAt;
    flows.length = 0;
    options.length = 0;
    const results = decoder.decodeAll(d.data, d.address, flows, options);
    const version = results[0]?.version ?? 0;
    const protocol = PROTOCOL[version] ?? 'netflow9';
    const key = `${protocol}|${d.address}`;
    let p = perSource.get(key);
    if (!p) perSource.set(key, (p = { ex: pipeline.exporter(protocol, d.address, now), protocol, datagrams: 0, records: 0 }));
    else pipeline.touchExporter(p.ex, now);
    if (p.datagrams++ === 0) touched.push(p);
    p.records += flows.length;
    const ex = p.ex;
    for (const r of results) {
      for (const e of r.errors) {
        m.decodeErrors.inc({ protocol, code: e.code });
        ex.decodeErrors++;
        pipeline.warn.warn(`netflow:${d.address}:${e.code}`, { from: d.address, error: formatNetflowError(e) }, 'NetFlow/IPFIX decode error');
      }
    }
    if (version === 0) m.dropped.inc({ protocol, reason: 'malformed' });
    if (decoder.stats.templatesLearned > learned) {
      templatesGauge.inc(decoder.stats.templatesLearned - learned);
      learned = decoder.stats.templatesLearned;
    }
    ex.records += flows.length;
    for (const f of flows) {
      const missing = f.samplingRateMissing === true;
      if (missing) ex.samplingRateMissing++;
      pipeline.addFlow(ORIGIN, f, f.samplingRate && f.samplingRate > 0 ? f.samplingRate : 1, missing, now);
    }
  };

  const mk = (protocol: string, c: { listen: string | string[] }) =>
    new UdpListener({ protocol, listen: c.listen, receiveBuffer: netflow.receiveBuffer, queueSize: netflow.queueSize, receiver: netflow.receiver, dropped: m.dropped, log, handle, afterBatch: flushMetrics });
  const listeners = [...(netflow.enabled ? [mk('netflow', netflow)] : []), ...(ipfix.enabled ? [mk('ipfix', ipfix)] : [])];

  return {
    name: 'netflow',
    async start() {
      pipeline.start();
      for (const l of listeners) await l.start();
      log.info({ listen: listeners.flatMap((l) => l.bound), receiver: listeners[0]?.mode, templatesLoaded: loaded }, 'NetFlow/IPFIX listening');
    },
    async stop() {
      for (const l of listeners) await l.stop();
      pipeline.stop();
    },
    status() {
      return {
        listen: listeners.flatMap((l) => l.bound),
        receiver: listeners[0]?.mode,
        queueDrops: listeners.reduce((s, l) => s + l.queueDrops, 0),
        socketOverflows: listeners.reduce((s, l) => s + l.socketOverflows, 0),
        truncated: listeners.reduce((s, l) => s + l.truncated, 0),
        templates: templates.size,
        templatesLoaded: loaded,
        samplingRateMissing: decoder.samplingRateMissing,
        decoder: decoder.stats,
        ...pipeline.status(['netflow5', 'netflow9', 'ipfix']),
      };
    },
  };
}
