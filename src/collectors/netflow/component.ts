// NetFlow v5/v9 and IPFIX collection (docs/architecture.md#flows): listeners on netflow.listen (:2055) and
// ipfix.listen (:4739), both accepting any version, one decoder whose templates persist in SQLite,
// the shared flow table and attribution, interface names from options data onto port nodes.
import type { Component, ComponentContext } from '../../component/contract.ts';
import { counter, preset } from '../../util/metrics.ts';
import { UdpListener, type Datagram } from '../flows/udp-listener.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import { ExporterAccounts } from '../flows/exporter-accounts.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from './decoder.ts';
import { TemplateCache } from './template-cache.ts';
import { TemplateStore } from './template-store.ts';
import { SamplingResolver } from './sampling.ts';
import { NETFLOW_ERROR_CODES, formatNetflowError } from './errors.ts';
import { mayName } from '../common/port-name.ts';
import { flowWorkers } from '../flows/listener-config.ts';
import { sharedNetflowState } from './shared-state.ts';

const ORIGIN = 'netflow';
const PROTOCOL: Record<number, 'netflow5' | 'netflow9' | 'ipfix'> = { 5: 'netflow5', 9: 'netflow9', 10: 'ipfix' };

export function createNetflowComponent(ctx: ComponentContext, pipeline: FlowPipeline): Component | undefined {
  const { netflow, ipfix } = ctx.config;
  if (!netflow.enabled && !ipfix.enabled) return undefined;
  const log = ctx.log.child({ component: 'netflow' });
  const m = pipeline.metrics;
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
  // Datagrams and records per (protocol, exporter); counted in Prometheus once per drain turn.
  // The decoder follows the sequence numbers itself (per observation domain) and reports the loss.
  const accounts = new ExporterAccounts(pipeline, ctx.registry, { sequenced: true });
  const flushMetrics = () => accounts.flush();
  let learned = decoder.stats.templatesLearned;

  decoder.interfaceNames.onChange = (exporter, ifIndex, v) => {
    // Called from inside the decoder: a failing graph write must not cost the datagram its flows.
    try {
      const portId = pipeline.attribution(ORIGIN).portOf(exporter, 0, ifIndex, Date.now());
      if (!portId) return;
      const node = ctx.store.getNode(portId);
      const md: Record<string, unknown> = {};
      // SNMP's ifName wins; options data names ports nobody else named.
      if (v.name && node && mayName(node.Metadata, 'netflow')) {
        md.Name = v.name;
        md.NameSource = 'netflow';
      }
      if (v.description) md.Description = v.description;
      if (Object.keys(md).length) ctx.store.write((tx) => tx.upsertNode({ ID: portId, Metadata: md }, { merge: true }));
    } catch (err) {
      pipeline.recordFailed('netflow', exporter, 'interface', err);
    }
  };

  const addFlows = (fs: FlowRecord[], now: number, ex?: { samplingRateMissing: number }) => {
    for (const f of fs) {
      const missing = f.samplingRateMissing === true;
      if (missing && ex) ex.samplingRateMissing++;
      pipeline.addFlow(ORIGIN, f, f.samplingRate && f.samplingRate > 0 ? f.samplingRate : 1, missing, now);
    }
  };
  // flows.bus: nats — templates and sampling rates shared with the other inlets (docs/scale-out.md).
  const shared = sharedNetflowState(ctx, decoder, (fs, now) => addFlows(fs, now));

  const handle = (d: Datagram) => {
    const now = d.receivedAt;
    flows.length = 0;
    options.length = 0;
    const results = decoder.decodeAll(d.data, d.address, flows, options);
    const version = results[0]?.version ?? 0;
    const protocol = PROTOCOL[version] ?? 'netflow9';
    const acc = accounts.datagram(protocol, d.address, now);
    const ex = acc.stats;
    for (const r of results) {
      for (const e of r.errors)
        accounts.decodeError(acc, e.code, 'netflow', d.address, formatNetflowError(e), 'NetFlow/IPFIX decode error');
      accounts.lost(acc, r.lost);
    }
    if (version === 0) m.dropped.inc({ protocol, reason: 'malformed' });
    if (decoder.stats.templatesLearned > learned) {
      templatesGauge.inc(decoder.stats.templatesLearned - learned);
      learned = decoder.stats.templatesLearned;
    }
    accounts.records(acc, flows.length);
    addFlows(flows, now, ex);
  };

  const mk = (protocol: string, c: { listen: string | string[] }) =>
    new UdpListener({
      protocol,
      listen: c.listen,
      receiveBuffer: netflow.receiveBuffer,
      queueSize: netflow.queueSize,
      receiver: netflow.receiver,
      dropped: m.dropped,
      log,
      handle,
      afterBatch: flushMetrics,
    });
  const listeners = [...(netflow.enabled ? [mk('netflow', netflow)] : []), ...(ipfix.enabled ? [mk('ipfix', ipfix)] : [])];

  return {
    name: 'netflow',
    // The flow pipeline is a component of its own, started before this one and stopped after.
    async start() {
      // netflow.workers is read but not acted on yet (docs/performance.md, "Workers").
      const workers = flowWorkers(netflow.workers);
      if (workers > 1) log.info({ workers }, 'NetFlow/IPFIX receive in the main thread (no worker path for them yet)');
      await shared?.start();
      for (const l of listeners) await l.start();
      log.info(
        { listen: listeners.flatMap((l) => l.bound), receiver: listeners[0]?.mode, templatesLoaded: loaded },
        'NetFlow/IPFIX listening',
      );
    },
    async stop() {
      for (const l of listeners) await l.stop();
      await shared?.stop();
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
        ...(shared ? { shared: { adopted: shared.adopted, put: shared.put, lookedUp: shared.lookedUp, failures: shared.failures } } : {}),
        samplingRateMissing: decoder.samplingRateMissing,
        decoder: decoder.stats,
        ...pipeline.status(['netflow5', 'netflow9', 'ipfix']),
      };
    },
  };
}
