// A NetFlow/IPFIX receive/decode worker thread (netflow.workers > 1; flows/worker-pool.ts starts it):
// its own SO_REUSEPORT socket on the collector's port, its own decoder, batches of numbers to the
// main thread (worker-batch.ts). A template, an options-learned sampling rate or an interface name
// reaches whichever worker got the packet that carried it, so each is posted to the main thread at
// once, which persists templates and passes everything on to the other workers; data sets a worker
// got before their template are held and decoded when the template comes (from the wire or shared).
import { parentPort, workerData } from 'node:worker_threads';
import { BatchSocket } from '../flows/udp-batch.ts';
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

const BATCH_DATAGRAMS = 1024;
const BATCH_MS = 10;
let lastPost = Date.now();
let timer: NodeJS.Timeout | undefined;

const post = () => {
  if (timer) clearTimeout(timer);
  timer = undefined;
  lastPost = Date.now();
  if (builder.datagrams === 0 && !builder.pendingLoss) return;
  const { batch, transfer } = builder.take();
  port.postMessage(batch, transfer);
};

const afterBatch = () => {
  share();
  if (builder.datagrams >= BATCH_DATAGRAMS || Date.now() - lastPost >= BATCH_MS) post();
  else timer ??= setTimeout(post, BATCH_MS);
};

const sock = new BatchSocket({
  host: opts.host,
  port: opts.port,
  reusePort: true,
  receiveBuffer: opts.receiveBuffer,
  slots: opts.slots,
  batch: opts.batch,
  handle: (d, receivedAt) => {
    flows.length = 0;
    try {
      builder.datagram(d.address, receivedAt, decoder.decodeAll(d.data, d.address, flows), flows);
    } catch {
      // Decoders never throw; the main thread logs the count.
      builder.handlerErrors++;
    }
  },
  afterBatch,
  onLoss: (overflow, truncated) => {
    builder.socketOverflow += overflow;
    builder.truncated += truncated;
  },
});

port.on('message', (m: { type: string; changes?: SharedChange[] }) => {
  if (m.type === 'shared') {
    applyShared(m.changes ?? []);
    if (builder.datagrams) afterBatch();
  } else if (m.type === 'stop') {
    sock.close();
    share();
    post();
    port.postMessage({ type: 'stopped' });
    port.close();
  } else if (m.type === 'throw') {
    throw new Error('worker asked to crash');
  }
});

port.postMessage({ type: 'ready', port: sock.port, receiveBuffer: sock.receiveBufferBytes });
