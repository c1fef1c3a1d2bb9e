import { z } from 'zod';
import { listenSchema, section } from '../../config/common.ts';

export const sflowSection = section({
  enabled: z.boolean().default(true),
  listen: listenSchema.default('0.0.0.0:6343'),
  /** Requested SO_RCVBUF; the kernel may cap it (a warning names net.core.rmem_max). */
  receiveBuffer: z.number().int().positive().default(32 * 1024 * 1024),
  /** Datagrams queued for decoding (with recvmmsg at most 1,024 are read ahead; the socket buffer holds the rest). */
  queueSize: z.number().int().positive().default(65_536),
  /** recvmmsg: the native batched receiver (Linux, built by npm install); dgram: node:dgram; auto: recvmmsg when built. */
  receiver: z.enum(['auto', 'recvmmsg', 'dgram']).default('auto'),
});
