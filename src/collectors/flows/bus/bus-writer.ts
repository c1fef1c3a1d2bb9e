// The writer side of the flow bus: a durable pull consumer all writers share (JetStream hands each
// batch to one of them), each batch written to the flow store in one call and acknowledged only
// after it is stored. A batch whose write fails is handed back (nak with a delay) for this or
// another writer; one that does not decode is terminated and counted. Message IDs of the batches
// written lately are remembered, so a redelivery to this writer (an ack lost on the way) is not
// written twice.
import type { Counter, Registry } from 'prom-client';
import type { ConsumerMessages, JsMsg } from 'nats';
import { RateLimitedLog, type Logger } from '../../../util/log.ts';
import { counter } from '../../../util/metrics.ts';
import type { FlowEntry } from '../flow-store.ts';
import { decodeBatch } from './batch-codec.ts';
import type { FlowBusConfig } from './config.ts';
import { ensureConsumer, type NatsLink } from './nats-link.ts';

/** How long a writer may take to store and ack a batch before JetStream redelivers it. */
export const ACK_WAIT_MS = 30_000;
const RECENT_IDS = 65_536;
const NAK_DELAY_MS = 2000;

/** Whatever the flow store's write returns (a count now; a promise once a store is remote). */
export type WriteEntries = (entries: FlowEntry[]) => unknown;

export class FlowBusWriter {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly recent = new Set<string>();
  private readonly warn: RateLimitedLog;
  private readonly m: { batches: Counter; entries: Counter; duplicates: Counter; refused: Counter; failures: Counter };
  batches = 0;
  entries = 0;
  duplicates = 0;
  refused = 0;
  failures = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly cfg: FlowBusConfig,
    private readonly write: WriteEntries,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.warn = new RateLimitedLog(log);
    this.m = {
      batches: counter(registry, 'canopy_flow_bus_written_batches_total', 'Flow batches consumed from JetStream and stored'),
      entries: counter(registry, 'canopy_flow_bus_written_entries_total', 'Flow-table entries stored from consumed batches'),
      duplicates: counter(
        registry,
        'canopy_flow_bus_duplicate_batches_total',
        'Redelivered batches this writer had already stored (acked, not written)',
      ),
      refused: counter(registry, 'canopy_flow_bus_refused_batches_total', 'Batches that did not decode (terminated, not redelivered)'),
      failures: counter(registry, 'canopy_flow_bus_write_failures_total', 'Batch writes that failed (handed back for redelivery)'),
    };
  }

  async start(): Promise<void> {
    await ensureConsumer(this.link, this.cfg, ACK_WAIT_MS);
    const consumer = await this.link.js.consumers.get(this.cfg.stream, this.cfg.consumer);
    this.messages = await consumer.consume({ max_messages: 64 });
    const msgs = this.messages;
    this.loop = (async () => {
      for await (const m of msgs) await this.handle(m);
    })().catch((err: unknown) => this.log.error({ err }, 'flow bus consumer stopped'));
  }

  private async handle(m: JsMsg): Promise<void> {
    const id = m.headers?.get('Nats-Msg-Id') || `${m.info.stream}:${m.seq}`;
    if (this.recent.has(id)) {
      this.duplicates++;
      this.m.duplicates.inc();
      m.ack();
      return;
    }
    const batch = decodeBatch(m.data);
    if (typeof batch === 'string') {
      this.refused++;
      this.m.refused.inc();
      this.warn.warn('flow-bus-refused', { subject: m.subject, id, reason: batch }, 'flow batch refused');
      m.term();
      return;
    }
    try {
      await this.write(batch.entries);
    } catch (err) {
      this.failures++;
      this.m.failures.inc();
      this.warn.error('flow-bus-write', { err, subject: m.subject }, 'flow batch write failed; handed back for redelivery');
      m.nak(NAK_DELAY_MS);
      return;
    }
    this.remember(id);
    this.batches++;
    this.entries += batch.entries.length;
    this.m.batches.inc();
    this.m.entries.inc(batch.entries.length);
    // Wait for the server to take the ack: until then a redelivery could reach another writer.
    await m.ackAck().catch(() => m.ack());
  }

  private remember(id: string): void {
    if (this.recent.size >= RECENT_IDS) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.add(id);
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
    this.messages = undefined;
  }
}
