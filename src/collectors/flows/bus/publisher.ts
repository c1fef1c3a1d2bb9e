// The inlet side of the flow bus: flow-table flushes, split per protocol and exporter and into
// messages of at most `batchEntries`, published to JetStream with a Nats-Msg-Id per message. A
// message the server did not acknowledge is published again with the same ID, so the stream's
// duplicate window keeps it once; while the server is away, at most `maxPending` messages wait
// (the oldest are dropped and counted beyond that).
import type { Counter, Registry } from 'prom-client';
import type { JetStreamClient } from 'nats';
import { RateLimitedLog, type Logger } from '../../../util/log.ts';
import { counter } from '../../../util/metrics.ts';
import type { FlowEntry } from '../flow-store.ts';
import { encodeBatch, subjectToken } from './batch-codec.ts';
import type { FlowBusConfig } from './config.ts';

interface Outgoing {
  subject: string;
  data: Uint8Array;
  id: string;
  entries: number;
}

/** Publishes in flight at once: enough to hide the round trip, few enough to keep order roughly. */
const IN_FLIGHT = 8;
const RETRY_MS = 500;

export class FlowPublisher {
  private readonly queue: Outgoing[] = [];
  private inFlight = 0;
  private seq = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly warn: RateLimitedLog;
  private readonly m: {
    batches: Counter;
    entries: Counter;
    failures: Counter;
    dropped: Counter;
    duplicates: Counter;
  };
  published = 0;
  publishedEntries = 0;
  droppedEntries = 0;
  failures = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly cfg: FlowBusConfig,
    /** Unique per collector process: the first part of every message ID. */
    readonly inlet: string,
    registry: Registry,
    log: Logger,
  ) {
    this.warn = new RateLimitedLog(log);
    this.m = {
      batches: counter(registry, 'canopy_flow_bus_published_batches_total', 'Flow batches published to JetStream and acknowledged'),
      entries: counter(registry, 'canopy_flow_bus_published_entries_total', 'Flow-table entries in the published batches'),
      failures: counter(registry, 'canopy_flow_bus_publish_failures_total', 'Publishes that failed and were retried'),
      dropped: counter(
        registry,
        'canopy_flow_bus_dropped_entries_total',
        'Flow-table entries dropped because flows.nats.maxPending batches already waited for the server',
      ),
      duplicates: counter(registry, 'canopy_flow_bus_duplicate_publishes_total', 'Republished batches the stream already held (kept once)'),
    };
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** One flush of the flow table (the pipeline's sink). Never throws, never waits. */
  submit(entries: readonly FlowEntry[]): void {
    if (entries.length === 0) return;
    const groups = new Map<string, FlowEntry[]>();
    for (const e of entries) {
      const subject = `${this.cfg.subject}.${subjectToken(e.protocol)}.${subjectToken(e.exporter)}`;
      let g = groups.get(subject);
      if (!g) groups.set(subject, (g = []));
      g.push(e);
    }
    const max = this.cfg.batchEntries;
    for (const [subject, g] of groups) {
      for (let i = 0; i < g.length; i += max) {
        const to = Math.min(g.length, i + max);
        this.queue.push({ subject, data: encodeBatch(this.inlet, g, i, to), id: `${this.inlet}-${++this.seq}`, entries: to - i });
      }
    }
    while (this.queue.length + this.inFlight > this.cfg.maxPending && this.queue.length > 0) {
      const gone = this.queue.shift()!;
      this.droppedEntries += gone.entries;
      this.m.dropped.inc(gone.entries);
    }
    this.pump();
  }

  private pump(): void {
    if (this.retryTimer || this.stopped) return;
    while (this.inFlight < IN_FLIGHT && this.queue.length > 0) {
      const o = this.queue.shift()!;
      this.inFlight++;
      void this.send(o);
    }
    if (this.inFlight === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async send(o: Outgoing): Promise<void> {
    try {
      const ack = await this.js.publish(o.subject, o.data, { msgID: o.id, timeout: 5000 });
      this.published++;
      this.publishedEntries += o.entries;
      this.m.batches.inc();
      this.m.entries.inc(o.entries);
      if (ack.duplicate) this.m.duplicates.inc();
      this.inFlight--;
      this.pump();
    } catch (err) {
      this.failures++;
      this.m.failures.inc();
      this.warn.warn('flow-bus-publish', { err: (err as Error).message, subject: o.subject }, 'flow batch publish failed; retrying');
      this.inFlight--;
      // Back to the front with the same ID: if the server did store it, the retry is a duplicate it drops.
      this.queue.unshift(o);
      if (!this.retryTimer && !this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, RETRY_MS);
        this.retryTimer.unref();
      }
    }
  }

  /** Resolves when nothing waits or `timeoutMs` passed; returns what still waits. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.pending === 0) return 0;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return this.pending;
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.idleWaiters.splice(0)) w();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
