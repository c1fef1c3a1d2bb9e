// NetFlow/IPFIX on the main thread: a datagram decoded here (netflow.workers 1) or a worker's batch
// (worker-batch.ts) → per-exporter accounting → the flow table; what workers learned (templates,
// options sampling rates, interface names) kept here and passed on to the other workers.
import type { ComponentContext } from '../../component/contract.ts';
import { counter, preset } from '../../util/metrics.ts';
import type { Datagram } from '../flows/udp-listener.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import { ExporterAccounts } from '../flows/exporter-accounts.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { mayName } from '../common/port-name.ts';
import { NetflowDecoder } from './decoder.ts';
import type { NetflowSink } from './key-plan.ts';
import { TemplateCache } from './template-cache.ts';
import { TemplateStore } from './template-store.ts';
import { SamplingResolver } from './sampling.ts';
import { NETFLOW_ERROR_CODES, formatNetflowError } from './errors.ts';
import {
  DG,
  DG_ADDRESS,
  DG_AT,
  DG_EXTRA,
  DG_LOST,
  DG_MISSING,
  DG_ROWS_END,
  DG_VERSION,
  ROW,
  TEXT_KEY,
  extrasOf,
  protocolOfRow,
  type DatagramExtra,
  type NetflowBatch,
  type SharedChange,
} from './worker-batch.ts';

const ORIGIN = 'netflow';
const PROTOCOL: Record<number, 'netflow5' | 'netflow9' | 'ipfix'> = { 5: 'netflow5', 9: 'netflow9', 10: 'ipfix' };

export interface NetflowHandlerOptions {
  /** Records of templates with a key plan go straight into the flow table (key-plan.ts). Default true. */
  fastPath?: boolean;
}

export function createNetflowHandler(ctx: ComponentContext, pipeline: FlowPipeline, opts: NetflowHandlerOptions = {}) {
  const { netflow } = ctx.config;
  const m = pipeline.metrics;
  const templatesGauge = counter(ctx.registry, 'canopy_netflow_templates_learned_total', 'NetFlow v9/IPFIX templates learned');
  // Either listener takes any version: every protocol's series exist from the start.
  const protocols = Object.values(PROTOCOL);
  for (const c of [m.received, m.records, pipeline.samplingMissing]) preset(c, { protocol: protocols });
  pipeline.presetFailures(protocols);
  preset(m.decodeErrors, { protocol: protocols, code: NETFLOW_ERROR_CODES });
  // Datagrams of no known version are counted under netflow9 (see decoded()).
  preset(m.dropped, { protocol: ['netflow9'], reason: ['malformed'] });
  const templates = new TemplateCache();
  const loaded = new TemplateStore(ctx.storage.templates).attach(templates);
  const sampling = new SamplingResolver({ samplingOverrides: netflow.samplingOverrides, samplingDefaults: netflow.samplingDefaults });
  const table = pipeline.table;
  let sinkNow = 0;
  // The fast path's sink: the datagram's receive time is set before each decode.
  const sink: NetflowSink = {
    addrKey: (s) => table.addrKey(s),
    add: (protocol, exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes, packets, rate, missing) => {
      if (missing) fastMissing++;
      // prettier-ignore
      table.addKeyed(ORIGIN, protocol, exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes, packets, rate, missing, sinkNow);
    },
  };
  let fastMissing = 0;
  const decoder = new NetflowDecoder({ templates, sampling, sink: opts.fastPath === false ? undefined : sink });
  const flows: FlowRecord[] = [];
  // Datagrams and records per (protocol, exporter); counted in Prometheus once per drain turn.
  // The decoder follows the sequence numbers itself (per observation domain) and reports the loss.
  const accounts = new ExporterAccounts(pipeline, ctx.registry, { sequenced: true });
  // Records without a sampling rate, per protocol label: added to Prometheus per drain turn, as the
  // accounts are (an inc() with labels per datagram cost as much as decoding it).
  const missingPending = new Map<string, number>();
  const flushMetrics = () => {
    accounts.flush();
    for (const [protocol, n] of missingPending) if (n) pipeline.samplingMissing.inc({ protocol }, n);
    missingPending.clear();
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

  /** What follows a decoded datagram, whether decoded here or in a worker. */
  const decoded = (
    address: string,
    version: number,
    now: number,
    errors: readonly { code: string; text: string }[],
    lost: number,
    fast: number,
    missing: number,
    records: readonly FlowRecord[],
  ) => {
    const protocol = PROTOCOL[version] ?? 'netflow9';
    const acc = accounts.datagram(protocol, address, now);
    for (const e of errors) accounts.decodeError(acc, e.code, 'netflow', address, e.text, 'NetFlow/IPFIX decode error');
    accounts.lost(acc, lost);
    if (version === 0) m.dropped.inc({ protocol, reason: 'malformed' });
    accounts.records(acc, records.length + fast);
    if (missing) {
      acc.stats.samplingRateMissing += missing;
      missingPending.set(protocol, (missingPending.get(protocol) ?? 0) + missing);
    }
    added(records, now, acc.stats);
  };

  const added = (records: readonly FlowRecord[], now: number, ex?: { samplingRateMissing: number }) => {
    for (const f of records) {
      const missing = f.samplingRateMissing === true;
      if (missing && ex) ex.samplingRateMissing++;
      pipeline.addFlow(ORIGIN, f, f.samplingRate && f.samplingRate > 0 ? f.samplingRate : 1, missing, now);
    }
  };

  const countLearned = () => {
    if (decoder.stats.templatesLearned > learned) {
      templatesGauge.inc(decoder.stats.templatesLearned - learned);
      learned = decoder.stats.templatesLearned;
    }
  };

  const handle = (d: Datagram) => {
    const now = d.receivedAt;
    sinkNow = now;
    flows.length = 0;
    fastMissing = 0;
    const fast0 = decoder.fastRecords;
    const results = decoder.decodeAll(d.data, d.address, flows);
    const errors: { code: string; text: string }[] = [];
    let lost = 0;
    for (const r of results) {
      for (const e of r.errors) errors.push({ code: e.code, text: formatNetflowError(e) });
      lost += r.lost;
    }
    countLearned();
    decoded(d.address, results[0]?.version ?? 0, now, errors, lost, decoder.fastRecords - fast0, fastMissing, flows);
  };

  /** Records held in a worker for a template another worker learned, released when it was shared. */
  let sharedReleased = 0;
  const noExtra: DatagramExtra = { errors: [], flows: [] };
  /** A worker's batch, datagram by datagram in the order its socket got them. */
  const applyBatch = (b: NetflowBatch) => {
    const { dgs, rows, strings } = b;
    const extras = extrasOf(b);
    let r = 0;
    for (let i = 0; i < b.datagrams; i++) {
      const o = i * DG;
      const now = dgs[o + DG_AT]!;
      const ex = dgs[o + DG_EXTRA]!;
      const extra = ex >= 0 ? extras[ex]! : noExtra;
      const first = r;
      for (const end = dgs[o + DG_ROWS_END]!; r < end; r++) {
        const k = r * ROW;
        let src = rows[k + 6]!;
        let dst = rows[k + 7]!;
        if (src >= TEXT_KEY) src = table.addrKey(strings[src - TEXT_KEY]!);
        if (dst >= TEXT_KEY) dst = table.addrKey(strings[dst - TEXT_KEY]!);
        // Integers back to small integers (| 0, >>> 0): doubles in table entries slow every lookup.
        table.addKeyed(
          ORIGIN,
          protocolOfRow(rows[k + 1]!),
          strings[rows[k]!]!,
          rows[k + 2]! >>> 0,
          rows[k + 3]! >>> 0,
          rows[k + 4]! >>> 0,
          rows[k + 5]! | 0,
          src,
          dst,
          rows[k + 8]! | 0,
          rows[k + 9]! | 0,
          rows[k + 10]! | 0,
          rows[k + 11]!,
          rows[k + 12]!,
          rows[k + 13]! | 0,
          rows[k + 14]!,
          rows[k + 15]!,
          rows[k + 16]!,
          rows[k + 17] === 1,
          now,
        );
      }
      const version = dgs[o + DG_VERSION]!;
      const missing = dgs[o + DG_MISSING]!;
      if (version < 0) {
        // Held records a shared template released: stored, but no datagram to account them to.
        if (missing)
          for (let j = first; j < r; j++)
            if (rows[j * ROW + 17] === 1) pipeline.samplingMissing.inc({ protocol: protocolOfRow(rows[j * ROW + 1]!) });
        added(extra.flows, now);
        sharedReleased += r - first + extra.flows.length;
        continue;
      }
      decoded(strings[dgs[o + DG_ADDRESS]!]!, version, now, extra.errors, dgs[o + DG_LOST]!, r - first, missing, extra.flows);
    }
    flushMetrics();
  };

  /** What a worker learned: kept here (templates persist), the interface names applied. */
  const applyShared = (changes: readonly SharedChange[]) => {
    for (const c of changes) {
      try {
        if (c.kind === 'learn') {
          if (templates.learn(c.scope, c.domain, c.template).changed) templatesGauge.inc();
        } else if (c.kind === 'withdraw') templates.withdraw(c.scope, c.domain, c.templateId);
        else if (c.kind === 'rate') sampling.learnOptionsRate(c.exporter, c.domain, c.samplerId, c.rate);
        else decoder.interfaceNames.set(c.exporter, c.ifIndex, c.name, c.description);
      } catch (err) {
        // A template that does not compile here did not in the worker either (it would not have
        // been learned); a failing store write must not stop the rest.
        pipeline.warn.error(`netflow:shared:${c.kind}`, { err }, 'applying what a NetFlow worker learned failed');
      }
    }
  };

  /** Everything known so far, for a worker that starts (persisted templates, rates learned). */
  const knownState = (): SharedChange[] => [
    ...[...templates.entries()].map((e): SharedChange => ({ kind: 'learn', scope: e.exporter, domain: e.domain, template: e.template })),
    ...sampling.optionsEntries().map((e): SharedChange => ({ kind: 'rate', ...e })),
  ];

  return {
    handle,
    flushMetrics,
    applyBatch,
    added,
    applyShared,
    knownState,
    decoder,
    templates,
    loaded,
    get sharedReleased() {
      return sharedReleased;
    },
  };
}
