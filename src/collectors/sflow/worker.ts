// An sFlow receive/decode worker thread (flows/worker-pool.ts starts it): its own SO_REUSEPORT
// socket on the collector's port, the wire decoded here, and what it decoded handed to the main
// thread in batches of numbers (worker-batch.ts). Attribution, accounting, the flow table and the
// writer stay on the main thread.
import { runWorkerLoop } from '../flows/worker-loop.ts';
import { sflowDecoder } from './decode.ts';
import { SflowBatchBuilder } from './worker-batch.ts';

const builder = new SflowBatchBuilder();
// One datagram object reused (the builder copies what it keeps before the next decode).
const decode = sflowDecoder({ flowSink: builder, counterGate: builder.counterGate });

runWorkerLoop({
  builder,
  handle: (d, receivedAt) => {
    builder.at = receivedAt;
    try {
      builder.datagram(d.address, receivedAt, decode(d.data));
    } catch {
      // Decoders never throw; the main thread logs the count (a line per datagram here would flood).
      builder.handlerErrors++;
    }
  },
});
