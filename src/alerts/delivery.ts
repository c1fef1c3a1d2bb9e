// Webhook delivery (docs/alerts.md#webhooks): one bounded queue and one sender per webhook, so a
// slow or dead receiver only fills its own queue — evaluation only enqueues and never waits. A
// failed request is retried with doubling backoff, then dropped; every outcome is counted.
import type { Counter } from 'prom-client';
import type { RateLimitedLog } from '../util/log.ts';
import { payload, type Notice, type WebhookFormat } from './formats.ts';

export interface DeliveryOptions {
  queueSize: number;
  retries: number;
  retryBackoffMs: number;
  timeoutMs: number;
}

export type DeliveryResult = 'ok' | 'failed' | 'dropped';

export class Webhook {
  private readonly queue: Notice[][] = [];
  private running = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private wake?: () => void;
  /** Resolved when the queue is empty and nothing is in flight (tests, shutdown). */
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly url: string,
    readonly format: WebhookFormat,
    private readonly opts: DeliveryOptions,
    private readonly counted: Counter<'format' | 'result'>,
    private readonly log: RateLimitedLog,
  ) {}

  /** Queues one batch; drops it (counted) when the queue is full. Never waits. */
  enqueue(notices: readonly Notice[]): void {
    if (this.stopped || notices.length === 0) return;
    if (this.queue.length >= this.opts.queueSize) {
      this.counted.inc({ format: this.format, result: 'dropped' }, notices.length);
      this.log.warn(this.url, { webhook: redact(this.url), queued: this.queue.length }, 'alert webhook queue full; dropped');
      return;
    }
    this.queue.push([...notices]);
    if (!this.running) void this.run();
  }

  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.abort.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let batch = this.queue.shift(); batch && !this.stopped; batch = this.queue.shift()) {
        const ok = await this.deliver(batch);
        if (!this.stopped) this.counted.inc({ format: this.format, result: ok ? 'ok' : 'failed' }, batch.length);
      }
    } finally {
      this.running = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async deliver(batch: Notice[]): Promise<boolean> {
    const body = JSON.stringify(payload(this.format, batch));
    for (let attempt = 0; !this.stopped; attempt++) {
      let why: string;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return true;
        why = `HTTP ${res.status}`;
      } catch (e) {
        why = (e as Error).message;
      }
      if (attempt >= this.opts.retries) {
        this.log.warn(this.url, { webhook: redact(this.url), error: why, attempts: attempt + 1 }, 'alert delivery failed; dropped');
        return false;
      }
      await this.sleep(this.opts.retryBackoffMs * 2 ** attempt);
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      t.unref();
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

/** A webhook URL for logs: Slack-style URLs carry their secret in the path. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : '/'}`;
  } catch {
    return 'invalid URL';
  }
}
