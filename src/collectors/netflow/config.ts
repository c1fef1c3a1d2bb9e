import { z } from 'zod';
import { listenSchema, section } from '../../config/common.ts';

const samplingOverride = z.object({ exporter: z.string().min(1), rate: z.number().int().positive() }).strict();

export const netflowSection = section({
  enabled: z.boolean().default(true),
  listen: listenSchema.default('0.0.0.0:2055'),
  receiveBuffer: z.number().int().positive().default(32 * 1024 * 1024),
  /** Datagrams queued for decoding (with recvmmsg at most 1,024 are read ahead; the socket buffer holds the rest). */
  queueSize: z.number().int().positive().default(65_536),
  /** recvmmsg: the native batched receiver (Linux, built by npm install); dgram: node:dgram; auto: recvmmsg when built. */
  receiver: z.enum(['auto', 'recvmmsg', 'dgram']).default('auto'),
  /** Per-exporter sampling rate that wins over everything the exporter says. */
  samplingOverrides: z.array(samplingOverride).default([]),
  /** Per-exporter rate used only when the exporter says nothing. */
  samplingDefaults: z.array(samplingOverride).default([]),
});

export const ipfixSection = section({
  enabled: z.boolean().default(true),
  listen: listenSchema.default('0.0.0.0:4739'),
});
