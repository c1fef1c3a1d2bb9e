// The loop every receive/decode worker thread runs (sflow/worker.ts, netflow/worker.ts): its own
// SO_REUSEPORT socket on the collector's port (flows/worker-pool.ts passes the options), each
// datagram handed to the protocol's decoder, and what it decoded posted to the main thread in
// batches; `stop` and `throw` from the pool handled here, anything else by the protocol.
import { parentPort, workerData } from 'node:worker_threads';
import { BatchSocket, type BatchDatagram } from './udp-batch.ts';
import type { WorkerSocketOptions } from './worker-pool.ts';

/** A batch goes when it holds this many datagrams, or this long after the last one went. */
const BATCH_DATAGRAMS = 1024;
const BATCH_MS = 10;

export interface WorkerBatchSource {
  readonly datagrams: number;
  readonly pendingLoss: boolean;
  socketOverflow: number;
  truncated: number;
  take(): { batch: unknown; transfer: ArrayBuffer[] };
}

export interface WorkerLoop {
  /** Posts the batch when it is due (after a drain turn, or after work a message caused). */
  afterBatch: () => void;
}

export function runWorkerLoop(o: {
  builder: WorkerBatchSource;
  handle: (d: BatchDatagram, receivedAt: number) => void;
  /** Before a due batch goes, and at stop: e.g. what the decoder learned, sent ahead of the data. */
  beforePost?: () => void;
  /** Messages other than `stop` and `throw`. */
  onMessage?: (m: { type: string } & Record<string, unknown>, loop: WorkerLoop) => void;
}): WorkerLoop {
  const opts = workerData as WorkerSocketOptions;
  const port = parentPort!;
  const { builder } = o;
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
  const loop: WorkerLoop = {
    afterBatch: () => {
      o.beforePost?.();
      if (builder.datagrams >= BATCH_DATAGRAMS || Date.now() - lastPost >= BATCH_MS) post();
      else timer ??= setTimeout(post, BATCH_MS);
    },
  };

  const sock = new BatchSocket({
    host: opts.host,
    port: opts.port,
    reusePort: true,
    receiveBuffer: opts.receiveBuffer,
    slots: opts.slots,
    batch: opts.batch,
    handle: o.handle,
    afterBatch: loop.afterBatch,
    onLoss: (overflow, truncated) => {
      builder.socketOverflow += overflow;
      builder.truncated += truncated;
    },
  });

  port.on('message', (m: { type: string } & Record<string, unknown>) => {
    if (m.type === 'stop') {
      sock.close();
      o.beforePost?.();
      post();
      port.postMessage({ type: 'stopped' });
      port.close();
    } else if (m.type === 'throw') {
      // A crash on request: how the pool's restart is tested against a real thread.
      throw new Error('worker asked to crash');
    } else o.onMessage?.(m, loop);
  });

  port.postMessage({ type: 'ready', port: sock.port, receiveBuffer: sock.receiveBufferBytes });
  return loop;
}
