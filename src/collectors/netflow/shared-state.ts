// NetFlow v9/IPFIX state shared by every inlet through a JetStream KV bucket (docs/scale-out.md,
// "Flow bus"): templates and options-learned sampling rates. What this inlet learns is put there;
// what other inlets put is watched and adopted (data sets held for it are decoded then), and a
// data set whose template is unknown here triggers a direct look-up, so after a failover or a
// restart any inlet decodes any exporter's data without waiting for its next template refresh.
// Values carry the inlet that put them: our own echoes are skipped (a late echo of an older
// template must not replace a newer one).
import type { Registry } from 'prom-client';
import type { KV, KvEntry, QueuedIterator } from 'nats';
import { RateLimitedLog, type Logger } from '../../util/log.ts';
import { counter } from '../../util/metrics.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import type { FlowBusConfig } from '../flows/bus/config.ts';
import { closeLink, inletName, openBucket, openLink, type NatsLink } from '../flows/bus/nats-link.ts';
import type { NetflowDecoder } from './decoder.ts';
import type { Template } from './plan.ts';
import type { TemplateChange } from './template-cache.ts';
import type { SharedChange } from './worker-batch.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

export const templateKvKey = (scope: string, domain: number, id: number) => `t.${b64(scope)}.${domain}.${id}`;
export const rateKvKey = (exporter: string, domain: number, samplerId: number) => `s.${b64(exporter)}.${domain}.${samplerId}`;

/** A key whose template nobody had is not asked for again sooner than this. */
const NEGATIVE_MS = 1000;
const MAX_LOOKUPS = 4096;

interface TemplateValue {
  inlet: string;
  template: Template;
}
interface RateValue {
  inlet: string;
  rate: number;
}

export class SharedNetflowState {
  private link: NatsLink | undefined;
  private kv: KV | undefined;
  private watcher: QueuedIterator<KvEntry> | undefined;
  /** Set while a remote value is applied: the decoder's change hooks must not put it back. */
  private applying = false;
  private readonly lookups = new Map<string, number>();
  private readonly outbox: { key: string; value: TemplateValue | RateValue | null }[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private readonly warn: RateLimitedLog;
  adopted = 0;
  put = 0;
  /** Told of each template or rate taken from the bucket (receive workers get it from here). */
  onRemote: ((c: SharedChange) => void) | undefined;
  lookedUp = 0;
  failures = 0;

  constructor(
    private readonly cfg: FlowBusConfig,
    private readonly inlet: string,
    private readonly decoder: NetflowDecoder,
    /** Flows decoded from held data once their template arrived from the KV. */
    private readonly emit: (flows: FlowRecord[], now: number) => void,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.warn = new RateLimitedLog(log);
    const c = counter(
      registry,
      'canopy_netflow_shared_templates_total',
      'NetFlow/IPFIX templates and sampling rates exchanged through the KV bucket',
      ['op'],
    );
    for (const op of ['put', 'adopted', 'lookup', 'failure'] as const) c.inc({ op }, 0);
    this.count = (op) => c.inc({ op });
  }

  private readonly count: (op: 'put' | 'adopted' | 'lookup' | 'failure') => void;

  /** Connects, hooks the decoder, and loads what the bucket holds before resolving. */
  async start(): Promise<void> {
    this.link = await openLink(this.cfg, `canopy ${this.inlet} netflow`, this.log);
    try {
      const kv = (this.kv = await openBucket(this.link, this.cfg));
      let initialized!: () => void;
      const loaded = new Promise<void>((r) => (initialized = r));
      this.watcher = await kv.watch({ key: '>', initializedFn: () => initialized() });
      const w = this.watcher;
      void (async () => {
        for await (const e of w) this.apply(e);
      })().catch((err: unknown) => this.log.error({ err }, 'NetFlow KV watch stopped'));
      await Promise.race([loaded, new Promise((r) => setTimeout(r, this.cfg.connectTimeout * 1000).unref())]);
    } catch (e) {
      await closeLink(this.link);
      this.link = undefined;
      throw e;
    }
    this.decoder.templates.onChange((c) => this.local(c));
    this.decoder.sampling.onLearn = (exporter, domain, samplerId, rate) => {
      if (!this.applying) this.send(rateKvKey(exporter, domain, samplerId), { inlet: this.inlet, rate });
    };
    this.decoder.onMissingTemplate = (scope, domain, id) => this.lookup(scope, domain, id);
  }

  async stop(): Promise<void> {
    if (this.flushTimer) {
      clearImmediate(this.flushTimer);
      this.flushOutbox();
    }
    this.decoder.onMissingTemplate = undefined;
    this.decoder.sampling.onLearn = undefined;
    this.watcher?.stop();
    const link = this.link;
    this.link = undefined;
    this.kv = undefined;
    await closeLink(link);
  }

  private local(c: TemplateChange): void {
    if (this.applying || !this.kv) return;
    if (c.kind === 'learn') this.send(templateKvKey(c.exporter, c.domain, c.template.id), { inlet: this.inlet, template: c.template });
    else this.send(templateKvKey(c.exporter, c.domain, c.templateId), null);
  }

  /**
   * Queued until the decoding turn is over, then put rates first: an inlet holding data for one of
   * these templates replays it on the template's arrival, and the rate from the same message must
   * be there by then (the decoder itself replays at the message end for the same reason).
   */
  private send(key: string, value: TemplateValue | RateValue | null): void {
    if (!this.kv) return;
    this.outbox.push({ key, value });
    this.flushTimer ??= setImmediate(() => this.flushOutbox());
  }

  private flushOutbox(): void {
    this.flushTimer = undefined;
    const kv = this.kv;
    const out = this.outbox.splice(0);
    if (!kv) return;
    const ordered = [...out.filter((o) => o.key.startsWith('s.')), ...out.filter((o) => !o.key.startsWith('s.'))];
    for (const o of ordered) {
      const done = o.value === null ? kv.delete(o.key) : kv.put(o.key, JSON.stringify(o.value));
      done.then(
        () => {
          this.put++;
          this.count('put');
        },
        (err: unknown) => this.failed(err),
      );
    }
  }

  private failed(err: unknown): void {
    this.failures++;
    this.count('failure');
    this.warn.warn(
      'netflow-kv',
      { err: (err as Error).message },
      'NetFlow KV bucket write failed; this inlet decodes on, others wait for the refresh',
    );
  }

  /** A data set found no template: ask the bucket (the watch may not have delivered it yet). */
  private lookup(scope: string, domain: number, id: number): void {
    const kv = this.kv;
    if (!kv) return;
    const key = templateKvKey(scope, domain, id);
    const now = Date.now();
    const last = this.lookups.get(key);
    if (last !== undefined && now - last < NEGATIVE_MS) return;
    if (this.lookups.size >= MAX_LOOKUPS) this.lookups.clear();
    this.lookups.set(key, now);
    kv.get(key).then(
      (e) => {
        this.lookedUp++;
        this.count('lookup');
        if (e && e.operation === 'PUT') this.apply(e, true);
      },
      (err: unknown) => this.failed(err),
    );
  }

  /** A value from the bucket (watch or look-up); `force`: a look-up answer, applied even if it is ours. */
  private apply(e: KvEntry, force = false): void {
    const parts = e.key.split('.');
    if (parts.length !== 4) return;
    const [kind, enc, domainS, idS] = parts as [string, string, string, string];
    const domain = Number(domainS);
    const id = Number(idS);
    if (!Number.isInteger(domain) || !Number.isInteger(id)) return;
    const name = unb64(enc);
    this.applying = true;
    try {
      if (e.operation !== 'PUT') {
        if (kind === 't') {
          this.decoder.templates.withdraw(name, domain, id);
          this.onRemote?.({ kind: 'withdraw', scope: name, domain, templateId: id });
        }
        return;
      }
      let v: Partial<TemplateValue & RateValue>;
      try {
        v = JSON.parse(e.string()) as Partial<TemplateValue & RateValue>;
      } catch {
        return; // not ours to read; counted nowhere, the next put replaces it
      }
      if (v.inlet === this.inlet && !force) return;
      if (kind === 's' && typeof v.rate === 'number' && v.rate > 0) {
        this.decoder.sampling.learnOptionsRate(name, domain, id, v.rate);
        this.onRemote?.({ kind: 'rate', exporter: name, domain, samplerId: id, rate: v.rate });
      } else if (kind === 't' && v.template && Array.isArray(v.template.fields)) {
        const out: FlowRecord[] = [];
        this.decoder.learnShared(name, domain, v.template, out);
        this.adopted++;
        this.count('adopted');
        if (out.length > 0) this.emit(out, Date.now());
        this.onRemote?.({ kind: 'learn', scope: name, domain, template: v.template });
      }
    } finally {
      this.applying = false;
    }
  }
}

/** The shared state for a collector whose `flows.bus` is `nats`; undefined otherwise. */
export function sharedNetflowState(
  ctx: { config: { flows: { bus: string; nats: FlowBusConfig } }; registry: Registry; log: Logger },
  decoder: NetflowDecoder,
  emit: (flows: FlowRecord[], now: number) => void,
): SharedNetflowState | undefined {
  if (ctx.config.flows.bus !== 'nats') return undefined;
  return new SharedNetflowState(
    ctx.config.flows.nats,
    inletName(),
    decoder,
    emit,
    ctx.registry,
    ctx.log.child({ component: 'netflow-kv' }),
  );
}
