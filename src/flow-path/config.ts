// reconcile: flow vs counters per link (docs/flow-path.md).
import { z } from 'zod';
import { durationSeconds, section } from '../config/common.ts';

export const reconcileSection = section({
  enabled: z.boolean().default(true).describe('Compare flow-derived bytes/s with interface counters on every layer2 link (needs flows).'),
  interval: durationSeconds.default(30).describe('How often the links are reconciled.'),
  window: durationSeconds
    .default(60)
    .describe('The window flows and counters are summed over (longer than the flow flush and counter poll intervals).'),
  tolerance: z
    .number()
    .positive()
    .max(10)
    .default(0.3)
    .describe('A link end whose flows differ from the counters by more than this fraction (0.3 = 30 %) is flagged.'),
  minBytesPerSec: z
    .number()
    .nonnegative()
    .default(1000)
    .describe('Links carrying less than this (bytes/s by the counters) are not judged: too little traffic to compare.'),
}).describe(
  'Flow vs counters per link (docs/flow-path.md): flow-derived bytes/s against the interface counters of both ends; mismatches show in /api/status and GET /api/flows/reconcile.',
);

export type ReconcileConfig = z.infer<typeof reconcileSection>;
