// Config keys every flow listener section has (sflow, netflow, ipfix): how its UDP socket receives.
import { z } from 'zod';

export const udpReceiverKeys = {
  queueSize: z
    .number()
    .int()
    .positive()
    .default(65_536)
    .describe('Datagrams queued for decoding (with recvmmsg at most 1,024 are read ahead; the socket buffer holds the rest).'),
  receiver: z
    .enum(['auto', 'recvmmsg', 'dgram'])
    .default('auto')
    .describe('`recvmmsg`: the native batched receiver (Linux, built by npm install); `dgram`: node:dgram; `auto`: recvmmsg when built.'),
};
