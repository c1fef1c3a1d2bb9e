import { z } from 'zod';
import { listenSchema, section } from '../../config/common.ts';
import { flowWorkersKey, udpReceiverKeys } from '../flows/listener-config.ts';

export const sflowSection = section({
  enabled: z.boolean().default(true).describe('Receive sFlow v5.'),
  listen: listenSchema.default('0.0.0.0:6343').describe('UDP address(es) switches send sFlow to.'),
  receiveBuffer: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024)
    .describe('Requested SO_RCVBUF in bytes; the kernel caps it at `net.core.rmem_max` (a warning says so — raise that sysctl to match).'),
  ...udpReceiverKeys,
  workers: flowWorkersKey,
}).describe('sFlow v5 listener: flow samples become flows attributed to exporter → switch → port, counter samples become port metrics.');
