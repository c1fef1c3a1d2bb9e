// An sFlow receive/decode worker thread (flows/worker-pool.ts starts it): its own SO_REUSEPORT
// socket on the collector's port, the wire decoded here, and what it decoded handed to the main
// thread in batches of numbers (worker-batch.ts). Attribution, accounting, the flow table and the
// writer stay on the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { BatchSocket } from '../flows/udp-batch.ts';
import { decodeSflow } from './decode.ts';
import { SflowBatchBuilder } from './worker-batch.ts';
import type { WorkerSocketOptions } from '../flows/worker-pool.ts';

const opts = workerData as WorkerSocketOptions;
const port = parentPort!;
const builder = new SflowBatchBuilder();
const decodeOpts = { flowSink: builder };

/** A batch goes when it holds this many datagrams, or this long after the last one went. */
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

// A message per drain turn (a burst of dozens) costs both threads more than the decoding it
// carries: batches gather for up to BATCH_MS (far below storage.flowFlushInterval).
const afterBatch = () => {
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
    builder.at = receivedAt;
    try {
      builder.datagram(d.address, receivedAt, decodeSflow(d.data, decodeOpts));
    } catch {
      // Decoders never throw; the main thread logs the count (a line per datagram here would flood).
      builder.handlerErrors++;
    }
  },
  afterBatch,
  onLoss: (overflow, truncated) => {
    builder.socketOverflow += overflow;
    builder.truncated += truncated;
  },
});

port.on('message', (m: { type: string }) => {
  if (m.type === 'stop') {
    sock.close();
    post();
    port.postMessage({ type: 'stopped' });
    port.close();
  } else if (m.type === 'throw') {
    // A crash on request: how the pool's restart is tested against a real thread.
    throw new Error('worker asked to crash');
  }
});

port.postMessage({ type: 'ready', port: sock.port, receiveBuffer: sock.receiveBufferBytes });
