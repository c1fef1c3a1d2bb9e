// The `alerts` config section (docs/alerts.md): rules (a Gremlin query plus a condition, a hold-down)
// and the webhooks every firing and resolved alert is sent to.
import { z } from 'zod';
import { durationSeconds, section } from '../config/common.ts';
import { parseQuery } from '../topology/query/index.ts';

const linkDown = z
  .object({
    kind: z.literal('link-down').describe('Condition kind.'),
    role: z.string().default('spine').describe('Fires for a DOWN link one of whose two devices has this `Role`.'),
  })
  .strict();
const utilisation = z
  .object({
    kind: z.literal('utilisation').describe('Condition kind.'),
    above: z.number().positive().max(100).describe('Percent of the port `Speed`, receive or transmit, averaged over `window`.'),
    window: durationSeconds.default(60).describe('Averaging window of the port series.'),
  })
  .strict();
const silent = z
  .object({
    kind: z.literal('silent').describe('Condition kind.'),
    after: durationSeconds.default(300).describe('An exporter or SNMP device heard nothing from for this long.'),
  })
  .strict();
const newDevice = z.object({ kind: z.literal('new-device').describe('Condition kind.') }).strict();
const cabling = z
  .object({
    kind: z.literal('cabling').describe('Condition kind.'),
    intent: z.string().min(1).describe('Cabling plan file (CSV `a_device,a_port,b_device,b_port` or the fabric DSL).'),
  })
  .strict();
const match = z.object({ kind: z.literal('match').describe('Condition kind.') }).strict();

export const conditionSchema = z.preprocess(
  // `condition: link-down` is shorthand for `{kind: link-down}` (with that kind's defaults).
  (v) => (typeof v === 'string' ? { kind: v } : v),
  z.discriminatedUnion('kind', [match, linkDown, utilisation, silent, newDevice, cabling]),
);
export type Condition = z.infer<typeof conditionSchema>;

export const ruleSchema = z
  .object({
    name: z.string().min(1).describe('Unique rule name (the `alertname` label).'),
    query: z.string().optional().describe('Gremlin query selecting the elements the condition looks at; each kind has a default.'),
    condition: conditionSchema
      .default({ kind: 'match' })
      .describe('`match` (every element the query returns), `link-down`, `utilisation`, `silent`, `new-device` or `cabling`.'),
    for: durationSeconds.default(0).describe('Hold-down: the condition must hold this long before the alert fires.'),
    description: z.string().optional().describe('Sent as the `description` annotation.'),
  })
  .strict()
  // A bad query stops start-up naming the rule, rather than failing at every evaluation.
  .superRefine((r, ctx) => {
    if (r.query === undefined) {
      if (r.condition.kind === 'match') ctx.addIssue({ code: 'custom', path: ['query'], message: 'a match rule needs a query' });
      return;
    }
    try {
      parseQuery(r.query);
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: ['query'], message: `bad Gremlin query: ${(e as Error).message}` });
    }
  });
export type RuleConfig = z.infer<typeof ruleSchema>;

const webhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe('Where alerts are POSTed.'),
    format: z
      .enum(['alertmanager', 'slack'])
      .default('alertmanager')
      .describe('Alertmanager v2 alerts JSON, or Slack-compatible `{text}`.'),
  })
  .strict();
export type WebhookConfig = z.infer<typeof webhookSchema>;

export const alertsSection = section({
  enabled: z.boolean().default(true).describe('Evaluate alert rules and serve /api/alert.'),
  rules: z
    .array(ruleSchema)
    .default([])
    .refine((rs) => new Set(rs.map((r) => r.name)).size === rs.length, 'alert rule names must be unique')
    .describe('Alert rules (docs/alerts.md).'),
  webhooks: z.array(webhookSchema).default([]).describe('Every alert goes to each of these.'),
  interval: durationSeconds.default(10).describe('Rules are evaluated this often, and soon after each graph change.'),
  settle: durationSeconds.default(0.2).describe('Wait after a graph change before evaluating, so a burst of writes is one evaluation.'),
  flapChanges: z.number().int().min(1).default(4).describe('An alert that changes state more than this often within `flapWindow` is held.'),
  flapWindow: durationSeconds.default(600).describe('Flap damping window; a held alert is released after this long without changes.'),
  queueSize: z.number().int().min(1).default(1000).describe('Deliveries waiting per webhook; more are dropped (counted).'),
  retries: z.number().int().min(0).default(5).describe('Retries of a failed delivery, with doubling backoff.'),
  retryBackoff: durationSeconds.default(1).describe('First retry delay; doubles per retry.'),
  timeout: durationSeconds.default(5).describe('Time limit of one webhook request.'),
  cablingInterval: durationSeconds
    .default(60)
    .describe(
      'A `cabling` rule re-runs the check at most this often after links change (it reads the whole graph); at once when its plan file changes.',
    ),
}).describe(
  'Alert rules evaluated over the live graph, port series and who was heard from; firing and resolved alerts go to webhooks (docs/alerts.md).',
);
export type AlertsConfig = z.infer<typeof alertsSection>;
