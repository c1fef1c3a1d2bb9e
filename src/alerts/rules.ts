// Alert rules as the engine runs them, from the config file or from Skydive's /api/alert
// (docs/alerts.md#api): the Skydive fields (UUID, Name, Description, Expression, Action, Trigger)
// map onto a rule whose condition is `match` unless the body adds Canopy's `Condition` and `For`.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { durationSeconds } from '../config/common.ts';
import { parseQuery } from '../topology/query/index.ts';
import { conditionSchema, type Condition, type RuleConfig } from './config.ts';
import { DEFAULT_QUERY } from './conditions.ts';

export interface AlertRule {
  /** The Skydive UUID; `config:<name>` for a config rule. */
  id: string;
  name: string;
  query?: string;
  condition: Condition;
  forS: number;
  description?: string;
  source: 'config' | 'api';
  /** A webhook URL this rule alone is also sent to (Skydive's Action). */
  action?: string;
  trigger: string;
  createdAt: number;
}

/** A bad rule: the API answers 400 with the message; the config refuses to start. */
export class RuleError extends Error {}

function checkQuery(q: string | undefined, condition: Condition, where: string): void {
  if (q === undefined) {
    if (condition.kind === 'match') throw new RuleError(`${where}: a match rule needs a query`);
    return;
  }
  try {
    parseQuery(q);
  } catch (e) {
    throw new RuleError(`${where}: bad Gremlin query: ${(e as Error).message}`);
  }
}

export function ruleFromConfig(r: RuleConfig, now: number): AlertRule {
  checkQuery(r.query, r.condition, `alerts.rules ${r.name}`);
  return {
    id: `config:${r.name}`,
    name: r.name,
    ...(r.query !== undefined ? { query: r.query } : {}),
    condition: r.condition,
    forS: r.for,
    ...(r.description !== undefined ? { description: r.description } : {}),
    source: 'config',
    trigger: 'graph',
    createdAt: now,
  };
}

const TRIGGER = /^(graph|duration:\d+(\.\d+)?\s*(ms|s|m|h)?)$/;

/** What POST /api/alert takes: Skydive's fields, plus Canopy's optional Condition and For. */
export const apiAlertSchema = z
  .object({
    UUID: z.string().min(1).max(200).optional(),
    Name: z.string().max(200).optional(),
    Description: z.string().max(2000).optional(),
    Expression: z.string().min(1, 'Expression (a Gremlin query) is required').max(10_000),
    Action: z
      .string()
      .max(2000)
      .refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'Action must be an http(s) webhook URL')
      .optional(),
    Trigger: z.string().regex(TRIGGER, 'Trigger must be "graph" or "duration:<seconds>s"').optional(),
    Condition: conditionSchema.optional(),
    For: durationSeconds.optional(),
    CreatedAt: z.number().optional(),
  })
  .loose();
export type ApiAlertBody = z.infer<typeof apiAlertSchema>;

export function ruleFromApi(body: ApiAlertBody, now: number): AlertRule {
  const condition = body.Condition ?? { kind: 'match' as const };
  const id = body.UUID ?? randomUUID();
  checkQuery(body.Expression, condition, 'Expression');
  return {
    id,
    name: body.Name || `alert-${id.slice(0, 8)}`,
    query: body.Expression,
    condition,
    forS: body.For ?? 0,
    ...(body.Description ? { description: body.Description } : {}),
    source: 'api',
    ...(body.Action ? { action: body.Action } : {}),
    trigger: body.Trigger ?? 'graph',
    createdAt: body.CreatedAt ?? now,
  };
}

/** What is stored for an API rule (the body it is rebuilt from after a restart). */
export function storedBody(r: AlertRule): ApiAlertBody {
  return {
    UUID: r.id,
    ...(r.name ? { Name: r.name } : {}),
    ...(r.description ? { Description: r.description } : {}),
    Expression: r.query ?? '',
    ...(r.action ? { Action: r.action } : {}),
    Trigger: r.trigger,
    ...(r.condition.kind !== 'match' ? { Condition: r.condition } : {}),
    For: r.forS,
    CreatedAt: r.createdAt,
  };
}

/** A rule as GET /api/alert shows it: Skydive's fields first, then its state. */
export function skydiveView(r: AlertRule, state: Record<string, unknown>): Record<string, unknown> {
  return {
    UUID: r.id,
    Name: r.name,
    Description: r.description ?? '',
    Expression: r.query ?? DEFAULT_QUERY[r.condition.kind] ?? '',
    Action: r.action ?? '',
    Trigger: r.trigger,
    CreatedAt: r.createdAt,
    Source: r.source,
    Condition: r.condition,
    For: r.forS,
    ...state,
  };
}
