// The alert engine (docs/alerts.md): evaluates every rule on a timer and soon after graph changes,
// keeps each rule's instances (hold-down, flap damping, resolve) and hands state changes to the
// webhooks. Evaluation is synchronous per rule but yields between rules, so a big graph never holds
// the event loop (and with it ingest) for a whole cycle; delivery never blocks it at all.
import type { Registry } from 'prom-client';
import type { GraphStore } from '../topology/store/graph-store.ts';
import type { PortSeriesStore } from '../topology/store/port-series.ts';
import type { AlertRuleStore } from '../topology/store/alert-rules.ts';
import { counter, gauge, preset } from '../util/metrics.ts';
import { RateLimitedLog, type Logger } from '../util/log.ts';
import type { AlertsConfig } from './config.ts';
import { evaluateCondition, isDownLink, isPlaceholder, type ConditionContext, type Heard, type QueryOutcome } from './conditions.ts';
import { LiveSet } from './live-set.ts';
import type { GraphEdge, GraphEvent, GraphNode } from '../topology/types.ts';
import { RuleState, type Transition } from './state.ts';
import { Webhook, type DeliveryOptions } from './delivery.ts';
import type { Notice, WebhookFormat } from './formats.ts';
import { RuleError, apiAlertSchema, ruleFromApi, ruleFromConfig, skydiveView, storedBody, type AlertRule } from './rules.ts';

export interface EngineDeps {
  config: AlertsConfig;
  store: GraphStore;
  rules: AlertRuleStore;
  registry: Registry;
  log: Logger;
  series?: PortSeriesStore;
  rawSeriesMs: number;
  limits: { maxResults: number; timeoutMs: number };
  heard?: () => Heard[];
  now?: () => number;
}

interface Running {
  rule: AlertRule;
  state: RuleState;
  since: number;
  lastError?: string;
  lastEvaluated?: number;
}

/** A change the cabling check could see: links, ownership, devices and ports coming or going or renamed. */
function touchesCabling(ev: GraphEvent): boolean {
  if ('edge' in ev) return ev.edge.Metadata.RelationType === 'layer2' || ev.edge.Metadata.RelationType === 'ownership';
  return ev.type !== 'NodeUpdated' || ev.node.Metadata.Type === 'port' || ev.node.Metadata.Type === 'switch';
}

/** Work between yields to the event loop (ms). */
const SLICE_MS = 20;

export class AlertEngine {
  private readonly running = new Map<string, Running>();
  private readonly webhooks = new Map<string, Webhook>();
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private settleTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private cycling?: Promise<void>;
  private again = false;
  private stopped = true;
  private readonly startedAt: number;
  private lastCycleMs = 0;
  private cycles = 0;
  private readonly evaluations;
  private readonly firing;
  private readonly transitions;
  private readonly deliveries;
  private readonly cycleSeconds;
  private readonly errors: RateLimitedLog;
  private readonly live: { downLinks: LiveSet<GraphEdge>; placeholders: LiveSet<GraphNode> };
  private readonly liveView: NonNullable<ConditionContext['live']>;
  private readonly cabling: NonNullable<ConditionContext['cabling']>;

  constructor(private readonly d: EngineDeps) {
    this.now = d.now ?? Date.now;
    this.startedAt = this.now();
    this.errors = new RateLimitedLog(d.log);
    this.live = {
      downLinks: new LiveSet<GraphEdge>(d.store, 'edge', isDownLink, (s) => s.findEdges('RelationType', 'layer2')),
      placeholders: new LiveSet<GraphNode>(d.store, 'node', isPlaceholder, (s) =>
        ['switch', 'host', 'device'].flatMap((t) => s.findNodes('Type', t)),
      ),
    };
    this.cabling = { cache: new Map(), generation: 0, minIntervalMs: d.config.cablingInterval * 1000 };
    this.liveView = { downLinks: () => this.live.downLinks.get(), placeholders: () => this.live.placeholders.get() };
    this.evaluations = counter(d.registry, 'canopy_alert_evaluations_total', 'Alert rule evaluations', ['result']);
    preset(this.evaluations, { result: ['ok', 'error'] });
    this.firing = gauge(d.registry, 'canopy_alerts_firing', 'Alert instances firing, per rule', ['rule']);
    this.transitions = counter(d.registry, 'canopy_alert_transitions_total', 'Alert instances that fired or resolved', ['status']);
    preset(this.transitions, { status: ['firing', 'resolved'] });
    this.deliveries = counter(d.registry, 'canopy_alert_deliveries_total', 'Alert notifications sent to webhooks', ['format', 'result']);
    preset(this.deliveries, { format: ['alertmanager', 'slack'], result: ['ok', 'failed', 'dropped'] });
    this.cycleSeconds = gauge(d.registry, 'canopy_alert_cycle_seconds', 'Time the last evaluation of every rule took');
    const now = this.now();
    for (const r of d.config.rules) this.add(ruleFromConfig(r, now));
    for (const w of d.config.webhooks) this.webhook(w.url, w.format);
  }

  start(): void {
    this.stopped = false;
    for (const { id, body } of this.d.rules.all()) {
      try {
        this.add(ruleFromApi(apiAlertSchema.parse(body), this.now()));
      } catch (e) {
        this.d.log.warn({ id, error: (e as Error).message }, 'stored alert rule no longer valid; skipped');
      }
    }
    this.unsubscribe = this.d.store.subscribe((evs) => {
      if (evs.some(touchesCabling)) this.cabling.generation++;
      this.soon();
    });
    this.timer = setInterval(() => void this.kick(), this.d.config.interval * 1000);
    this.timer.unref();
    void this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearTimeout(this.settleTimer);
    await this.cycling;
    for (const w of this.webhooks.values()) w.stop();
    this.live.downLinks.close();
    this.live.placeholders.close();
  }

  /** A graph change: evaluate once the burst has settled. */
  private soon(): void {
    if (this.stopped || this.settleTimer || this.running.size === 0) return;
    // A slow cycle spaces change-driven ones further apart, so evaluation stays a fraction of the CPU.
    const wait = Math.max(this.d.config.settle * 1000, 2 * this.lastCycleMs);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      void this.kick();
    }, wait);
    this.settleTimer.unref();
  }

  /** Starts a cycle, or marks one to follow the running one. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.cycling) {
      this.again = true;
      return this.cycling;
    }
    this.cycling = (async () => {
      try {
        do {
          this.again = false;
          await this.cycle();
        } while (this.again && !this.stopped);
      } finally {
        this.cycling = undefined;
      }
    })();
    return this.cycling;
  }

  private async cycle(): Promise<void> {
    const t0 = performance.now();
    let slice = t0;
    const notices: Notice[] = [];
    const byAction = new Map<string, Notice[]>();
    const memo = new Map<string, QueryOutcome>();
    for (const r of [...this.running.values()]) {
      if (this.stopped) return;
      if (!this.running.has(r.rule.id)) continue;
      // The graph may change while the cycle yields: a query's result is shared only within a slice.
      const got = this.evaluateRule(r, this.now(), memo);
      notices.push(...got);
      if (r.rule.action && got.length) byAction.set(r.rule.action, [...(byAction.get(r.rule.action) ?? []), ...got]);
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
        memo.clear();
      }
    }
    this.lastCycleMs = performance.now() - t0;
    this.cycleSeconds.set(this.lastCycleMs / 1000);
    this.cycles++;
    this.send(notices, byAction);
  }

  /** Evaluates every rule once, synchronously (the bench; the running engine uses cycle()). */
  evaluateAll(now = this.now()): Notice[] {
    const out: Notice[] = [];
    const memo = new Map<string, QueryOutcome>();
    for (const r of this.running.values()) out.push(...this.evaluateRule(r, now, memo));
    return out;
  }

  private evaluateRule(r: Running, now: number, memo?: Map<string, QueryOutcome>): Notice[] {
    const ctx: ConditionContext = {
      store: this.d.store,
      now,
      limits: this.d.limits,
      ...(this.d.series ? { series: this.d.series } : {}),
      rawSeriesMs: this.d.rawSeriesMs,
      heard: this.d.heard ?? (() => []),
      ruleSince: r.since,
      ...(memo ? { memo } : {}),
      live: this.liveView,
      cabling: this.cabling,
    };
    let transitions: Transition[];
    try {
      const subjects = evaluateCondition(ctx, r.rule.condition, r.rule.query);
      this.evaluations.inc({ result: 'ok' });
      delete r.lastError;
      transitions = r.state.update(subjects, now);
    } catch (e) {
      // A rule that cannot be evaluated keeps its instances as they were: a bad plan file is not "resolved".
      this.evaluations.inc({ result: 'error' });
      r.lastError = (e as Error).message;
      this.errors.warn(r.rule.id, { rule: r.rule.name, error: r.lastError }, 'alert rule evaluation failed');
      return [];
    }
    r.lastEvaluated = now;
    this.firing.set({ rule: r.rule.name }, r.state.summary().firing);
    for (const t of transitions) this.transitions.inc({ status: t.status });
    return transitions.map((transition) => ({
      rule: r.rule.name,
      ...(r.rule.description ? { description: r.rule.description } : {}),
      transition,
    }));
  }

  private send(all: Notice[], byAction: Map<string, Notice[]>): void {
    if (all.length === 0) return;
    for (const n of all)
      this.d.log.info({ rule: n.rule, element: n.transition.key, status: n.transition.status }, n.transition.subject.summary);
    for (const w of this.d.config.webhooks) this.webhook(w.url, w.format).enqueue(all);
    for (const [url, notices] of byAction) this.webhook(url, 'alertmanager').enqueue(notices);
  }

  private webhook(url: string, format: WebhookFormat): Webhook {
    const key = `${format} ${url}`;
    let w = this.webhooks.get(key);
    if (!w) {
      const c = this.d.config;
      const opts: DeliveryOptions = {
        queueSize: c.queueSize,
        retries: c.retries,
        retryBackoffMs: c.retryBackoff * 1000,
        timeoutMs: c.timeout * 1000,
      };
      w = new Webhook(url, format, opts, this.deliveries, this.errors);
      this.webhooks.set(key, w);
    }
    return w;
  }

  private add(rule: AlertRule): void {
    for (const r of this.running.values())
      if (r.rule.name === rule.name && r.rule.id !== rule.id) throw new RuleError(`an alert rule named ${rule.name} exists`);
    const c = this.d.config;
    // Replaced (same UUID): what the old rule had fired resolves.
    const old = this.running.get(rule.id);
    if (old) {
      const resolved = old.state.resolveAll(this.now()).map((transition) => ({ rule: old.rule.name, transition }));
      this.send(resolved, new Map(old.rule.action ? [[old.rule.action, resolved]] : []));
    }
    const state = new RuleState({ forMs: rule.forS * 1000, flapChanges: c.flapChanges, flapWindowMs: c.flapWindow * 1000 });
    this.running.set(rule.id, { rule, state, since: Math.max(rule.createdAt, this.startedAt) });
  }

  /** POST /api/alert: validates (RuleError / ZodError), stores, evaluates soon. */
  create(body: unknown): Record<string, unknown> {
    const parsed = apiAlertSchema.parse(body);
    if (parsed.UUID && this.running.get(parsed.UUID)?.rule.source === 'config')
      throw new RuleError(`${parsed.UUID} is a rule of the config file`);
    const rule = ruleFromApi(parsed, this.now());
    this.add(rule);
    this.d.rules.put(rule.id, storedBody(rule), rule.createdAt);
    void this.kick();
    return this.view(this.running.get(rule.id)!);
  }

  /** DELETE /api/alert/:id: 'config' when the rule comes from the config file. */
  delete(id: string): 'deleted' | 'unknown' | 'config' {
    const r = this.running.get(id);
    if (!r) return 'unknown';
    if (r.rule.source === 'config') return 'config';
    this.running.delete(id);
    this.d.rules.delete(id);
    this.firing.remove({ rule: r.rule.name });
    const resolved = r.state.resolveAll(this.now()).map((transition) => ({ rule: r.rule.name, transition }));
    this.send(resolved, new Map(r.rule.action ? [[r.rule.action, resolved]] : []));
    const action = r.rule.action;
    if (action && ![...this.running.values()].some((o) => o.rule.action === action)) {
      // Its Action URL has no rule left: drop the sender once the resolves are out.
      const key = `alertmanager ${action}`;
      const w = this.webhooks.get(key);
      const configured = this.d.config.webhooks.some((c) => c.url === action && c.format === 'alertmanager');
      if (w && !configured)
        void w.idle().then(() => {
          if (![...this.running.values()].some((o) => o.rule.action === action) && this.webhooks.get(key) === w) {
            w.stop();
            this.webhooks.delete(key);
          }
        });
    }
    return 'deleted';
  }

  get(id: string): Record<string, unknown> | undefined {
    const r = this.running.get(id);
    return r && this.view(r);
  }

  /** GET /api/alert: every rule keyed by UUID (Skydive's shape), with its state and instances. */
  list(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of this.running.values()) out[r.rule.id] = this.view(r);
    return out;
  }

  private view(r: Running): Record<string, unknown> {
    const s = r.state.summary();
    return skydiveView(r.rule, {
      State: s.state,
      Firing: s.firing,
      Pending: s.pending,
      Held: s.held,
      Instances: r.state.view(),
      ...(r.lastEvaluated !== undefined ? { LastEvaluated: r.lastEvaluated } : {}),
      ...(r.lastError ? { LastError: r.lastError } : {}),
    });
  }

  /** Resolves when every webhook queue is empty (tests). */
  async idle(): Promise<void> {
    await this.cycling;
    await Promise.all([...this.webhooks.values()].map((w) => w.idle()));
  }

  status(): Record<string, unknown> {
    let firing = 0;
    for (const r of this.running.values()) firing += r.state.summary().firing;
    return {
      rules: this.running.size,
      firing,
      cycles: this.cycles,
      lastCycleMs: Math.round(this.lastCycleMs * 10) / 10,
      webhooks: [...this.webhooks.values()].map((w) => ({ format: w.format, pending: w.pending })),
      errors: [...this.running.values()].filter((r) => r.lastError).map((r) => ({ rule: r.rule.name, error: r.lastError })),
    };
  }
}
