import { z } from 'zod';
import { listenSchema, section } from '../../config/common.ts';
import { flowWorkersKey, udpReceiverKeys } from '../flows/listener-config.ts';

const samplingOverride = z
  .object({
    exporter: z.string().min(1).describe("Exporter address (the datagram's source IP)."),
    rate: z.number().int().positive().describe('1 in `rate` packets sampled.'),
  })
  .strict();

export const netflowSection = section({
  enabled: z.boolean().default(true).describe('Listen on `netflow.listen` (either listener decodes v5, v9 and IPFIX alike).'),
  listen: listenSchema.default('0.0.0.0:2055').describe('UDP address(es) exporters send NetFlow v5/v9 to.'),
  receiveBuffer: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024)
    .describe('Requested SO_RCVBUF in bytes (capped at `net.core.rmem_max`); shared by the NetFlow and IPFIX sockets.'),
  ...udpReceiverKeys,
  workers: flowWorkersKey.describe(
    'Receive/decode threads per NetFlow and per IPFIX listen address (`auto`, the default: cores − 1, at least 1), each with its own SO_REUSEPORT socket; templates and options sampling rates one of them learns reach the others through the main thread (docs/performance.md, "Workers").',
  ),
  samplingOverrides: z
    .array(samplingOverride)
    .default([])
    .describe('Per-exporter sampling rate that wins over everything the exporter says (NetFlow and IPFIX).'),
  samplingDefaults: z
    .array(samplingOverride)
    .default([])
    .describe(
      'Per-exporter sampling rate used only when the exporter says nothing; without one such records keep rate 1 and are flagged and counted (`samplingRateMissing` in /api/status).',
    ),
}).describe('NetFlow v5/v9 listener (templates persist across restarts; sampling never silently 1).');

export const ipfixSection = section({
  enabled: z.boolean().default(true).describe('Listen on `ipfix.listen`.'),
  listen: listenSchema.default('0.0.0.0:4739').describe('UDP address(es) exporters send IPFIX to.'),
}).describe('IPFIX listener; decoding, sampling and buffer settings are those of `netflow`.');
