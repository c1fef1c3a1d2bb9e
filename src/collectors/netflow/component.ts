// NetFlow v5/v9 and IPFIX collection (DESIGN §8): listeners on netflow.listen (:2055) and
// ipfix.listen (:4739), both accepting any version, one decoder whose templates persist in SQLite,
// the shared flow table and attribution, interface names from options data onto port nodes.
import type { Component, ComponentContext } from '../../collector.ts';
import { counter } from '../../util/metrics.ts';
import { UdpListener, type Datagram } from '../flows/udp-listener.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from './decoder.ts';
import { TemplateCache } from './template-cache.ts';
import { TemplateStore } from './template-store.ts';
import { SamplingResolver } from './sampling.ts';
import { formatNetflowError } from './errors.ts';

const ORIGIN = 'netflow';
const PROTOCOL: Record<number, 'netflow5' | 'netflow9' | 'ipfix'> = { 5: 'netflow5', 9: 'netflow9', 10: 'ipfix' };

export function createNetflowComponent(ctx: ComponentContext, pipeline: FlowPipeline): Component | undefined {
  const { netflow, ipfix } = ctx.config;
  if (!netflow.enabled && !ipfix.enabled) return undefined;
  const log = ctx.log.child({ component: 'netflow' });
  const m = pipeline.metrics;
  const perExporter = counter(ctx.registry, 'canopy_exporter_datagrams_total', 'Datagrams per exporter', ['protocol', 'exporter']);
  const templatesGauge = counter(ctx.registry, 'canopy_netflow_templates_learned_total', 'NetFlow v9/IPFIX templates learned');
  const templates = new TemplateCache();
  const loaded = new TemplateStore(ctx.store.database).attach(templates);
  const sampling = new SamplingResolver({ samplingOverrides: netflow.samplingOverrides, samplingDefaults: netflow.samplingDefaults });
  const decoder = new NetflowDecoder({ templates, sampling });
  const flows: FlowRecord[] = [];
  const options: OptionsRecord[] = [];
  let learned = decoder.stats.templatesLearned;

  decoder.interfaceNames.onChange = (exporter, ifIndex, v) => {
    const a = pipeline.attribution(ORIGIN);
    const dev = a.device(exporter, 0, Date.now());
    const portId = a.port(dev, ifIndex);
    if (!portId) return;
    const node = ctx.store.getNode(portId);
    const md: Record<string, unknown> = {};
    // SNMP's ifName wins; options data names ports nobody else named.
    if (v.name && node && String(node.Metadata.Name ?? '').startsWith('ifIndex ')) md.Name = v.name;
    if (v.description) md.Description = v.description;
    if (Object.keys(md).length) ctx.store.write((tx) => tx.upsertNode({ ID: portId, Metadata: md }, { merge: true }));
  };

  const handle = (d: Datagram) => {
    const now = d.receivedAt;
    flows.length = 0;
    options.length = 0;
    const results = decoder.decodeAll(d.data, d.address, flows, options);
    const version = results[0]?.version ?? 0;
    const protocol = PROTOCOL[version] ?? 'netflow9';
    m.received.inc({ protocol });
    perExporter.inc({ protocol, exporter: d.address });
    const ex = pipeline.exporter(protocol, d.address, now);
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
    m.records.inc({ protocol }, flows.length);
    ex.records += flows.length;
    for (const f of flows) {
      const missing = f.samplingRateMissing === true;
      if (missing) ex.samplingRateMissing++;
      pipeline.addFlow(ORIGIN, f, f.samplingRate && f.samplingRate > 0 ? f.samplingRate : 1, missing, now);
    }
  };

  const mk = (protocol: string, c: { listen: string | string[] }) =>
    new UdpListener({ protocol, listen: c.listen, receiveBuffer: netflow.receiveBuffer, queueSize: netflow.queueSize, receiver: netflow.receiver, dropped: m.dropped, log, handle });
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
