// A NetFlow/IPFIX receive/decode worker thread (netflow.workers > 1; flows/worker-pool.ts starts it):
// its own SO_REUSEPORT socket on the collector's port, its own decoder, batches of numbers to the
// main thread (worker-batch.ts). A template, an options-learned sampling rate or an interface name
// reaches whichever worker got the packet that carried it, so each is posted to the main thread at
// once, which persists templates and passes everything on to the other workers; data sets a worker
// got before their template are held and decoded when the template comes (from the wire or shared).
import { parentPort, workerData } from 'node:worker_threads';
import { runWorkerLoop } from '../flows/worker-loop.ts';
import type { WorkerSocketOptions } from '../flows/worker-pool.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { NetflowDecoder } from './decoder.ts';
import { SamplingResolver, type SamplingConfig } from './sampling.ts';
import { TemplateCache } from './template-cache.ts';
import { NetflowBatchBuilder, type SharedChange, type SharedMessage } from './worker-batch.ts';

const opts = workerData as WorkerSocketOptions & { sampling?: SamplingConfig };
const port = parentPort!;
const builder = new NetflowBatchBuilder();
const templates = new TemplateCache();
const sampling = new SamplingResolver(opts.sampling ?? {});
const decoder = new NetflowDecoder({ templates, sampling, sink: builder });
const flows: FlowRecord[] = [];

let learned: SharedChange[] = [];
templates.onChange((c) =>
  learned.push(
    c.kind === 'learn'
      ? { kind: 'learn', scope: c.exporter, domain: c.domain, template: c.template }
      : { kind: 'withdraw', scope: c.exporter, domain: c.domain, templateId: c.templateId },
  ),
);
sampling.onLearn = (exporter, domain, samplerId, rate) => learned.push({ kind: 'rate', exporter, domain, samplerId, rate });
decoder.interfaceNames.onChange = (exporter, ifIndex, v) =>
  learned.push({ kind: 'ifname', exporter, ifIndex, name: v.name, description: v.description });

const share = () => {
  if (learned.length === 0) return;
  const m: SharedMessage = { type: 'shared', changes: learned };
  learned = [];
  port.postMessage(m);
};

/** What the other workers learned (or what was persisted, at start). */
const applyShared = (changes: SharedChange[]) => {
  const now = Date.now();
  for (const c of changes) {
    if (c.kind === 'learn') {
      flows.length = 0;
      let res: ReturnType<typeof decoder.learnShared>;
      try {
        res = decoder.learnShared(c.scope, c.domain, c.template, flows);
      } catch {
        builder.handlerErrors++;
        continue;
      }
      // Held records it released: a row of their own (no datagram).
      if (flows.length || res.errors.length || builder.rowsSinceDatagram) builder.datagram(c.scope.replace(/#v9$/, ''), now, [], flows);
    } else if (c.kind === 'withdraw') templates.withdraw(c.scope, c.domain, c.templateId, false);
    else if (c.kind === 'rate') sampling.learnOptionsRate(c.exporter, c.domain, c.samplerId, c.rate, false);
    // Interface names are the main thread's business only.
  }
};

runWorkerLoop({
  builder,
  handle: (d, receivedAt) => {
    flows.length = 0;
    try {
      builder.datagram(d.address, receivedAt, decoder.decodeAll(d.data, d.address, flows), flows);
    } catch {
      // Decoders never throw; the main thread logs the count.
      builder.handlerErrors++;
    }
  },
  // Templates learned go ahead of the data that needs them.
  beforePost: share,
  onMessage: (m, loop) => {
    if (m.type !== 'shared') return;
    applyShared((m as unknown as SharedMessage).changes);
    if (builder.datagrams) loop.afterBatch();
  },
});
