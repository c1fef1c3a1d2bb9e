// Config keys every flow listener section has (sflow, netflow, ipfix): how its UDP socket receives.
import { availableParallelism } from 'node:os';
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

/** Receive/decode threads for a `workers` value: `auto` leaves one core to the main thread. */
export function flowWorkers(v: 'auto' | number): number {
  return v === 'auto' ? Math.max(1, availableParallelism() - 1) : v;
}

/** `workers` of the sflow and netflow sections. */
export const flowWorkersKey = z
  .union([z.literal('auto'), z.number().int().min(1).max(64)])
  .default('auto')
  .describe(
    'Receive/decode threads on each listen address (SO_REUSEPORT: the kernel keeps each exporter on one thread). `auto` (the default): cores − 1, at least 1, so 1 on a 2-core machine. With workers the main thread only applies what they decoded, at roughly half to two thirds of its single-thread CPU per datagram (docs/performance.md#workers); `1`: receive and decode in the main thread. More than 1 needs the native receiver (`receiver: recvmmsg`, or `auto` with it built); without it the main thread receives alone.',
  );
