// `flows.bus`, `flows.role` and `flows.nats.*` (docs/scale-out.md, "Flow bus"): the keys of the flows
// section that carry flow batches between collectors over NATS JetStream. The flows section
// (flows-config.ts) gathers them beside the flow store's keys.
import { z } from 'zod';
import { durationSeconds, section } from '../../../config/common.ts';

const natsUrl = z.string().superRefine((v, ctx) => {
  for (const part of v.split(',')) {
    let u: URL | undefined;
    try {
      u = new URL(part.trim());
    } catch {
      // reported below
    }
    if (!u || !['nats:', 'tls:', 'ws:', 'wss:'].includes(u.protocol) || !u.hostname)
      ctx.addIssue({ code: 'custom', message: `expected nats://host:port (comma-separated for several servers), got ${part}` });
  }
});

/** A JetStream name (stream, consumer, KV bucket): no dots, spaces or wildcards. */
const jsName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');

export const flowBusKeys = {
  bus: z
    .enum(['none', 'nats'])
    .default('none')
    .describe(
      "How flow batches leave the flow table: `none` (written to this collector's flow store) or `nats` (published to NATS JetStream, written by the collectors whose `flows.role` is `writer` or `both`).",
    ),
  role: z
    .enum(['inlet', 'writer', 'both'])
    .default('both')
    .describe(
      'With `flows.bus: nats`: an `inlet` publishes the flows it receives; a `writer` consumes the stream into its flow store and writes what it receives itself directly; `both` publishes and consumes. Ignored with `bus: none`.',
    ),
  nats: section({
    url: natsUrl.default('nats://127.0.0.1:4222').describe('NATS server(s), `nats://host:port`, comma-separated for a cluster.'),
    stream: jsName
      .default('CANOPY_FLOWS')
      .describe('JetStream stream of flow batches (created when missing; subjects `<subject>.<protocol>.<exporter>`).'),
    subject: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens without wildcards')
      .default('canopy.flows')
      .describe('Subject prefix of flow batches.'),
    consumer: jsName.default('canopy-flow-writers').describe('Durable consumer the writers share (each batch goes to one of them).'),
    kvBucket: jsName
      .default('canopy-netflow')
      .describe('JetStream KV bucket of NetFlow v9/IPFIX templates and options-learned sampling rates, shared by the inlets.'),
    batchEntries: z.number().int().min(1).max(10_000).default(1000).describe('Flow entries per published message at most.'),
    duplicateWindow: durationSeconds
      .default(120)
      .describe('JetStream duplicate window: a batch republished within it (same Nats-Msg-Id) is stored once.'),
    maxAge: durationSeconds.default(86_400).describe('Batches no writer consumed are dropped after this long.'),
    maxPending: z
      .number()
      .int()
      .min(1)
      .default(200)
      .describe('Batches an inlet holds while the server does not acknowledge; beyond it the oldest are dropped and counted.'),
    connectTimeout: durationSeconds
      .default(5)
      .describe('Connecting (and `--check`) gives up after this long; a running collector keeps reconnecting.'),
  }).describe('The NATS JetStream flow bus (`flows.bus: nats`).'),
};

export type FlowBusConfig = z.infer<typeof flowBusKeys.nats>;
