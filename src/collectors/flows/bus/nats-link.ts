// One NATS connection and the JetStream objects the flow bus uses: the stream of flow batches and
// the KV bucket of NetFlow/IPFIX state. Both are created when missing, so the first collector up
// sets them; `--check` reaches the server and JetStream without creating anything.
import {
  AckPolicy,
  DiscardPolicy,
  Events,
  RetentionPolicy,
  StorageType,
  connect,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
  type NatsConnection,
} from 'nats';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../../util/log.ts';
import type { FlowBusConfig } from './config.ts';

/** Unique per collector process: message IDs never repeat across restarts or hosts. */
export function inletName(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export interface NatsLink {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Connects; a running collector reconnects for ever (the bus is down, not the collector). */
export async function openLink(cfg: FlowBusConfig, name: string, log?: Logger): Promise<NatsLink> {
  const nc = await connect({
    servers: cfg.url.split(',').map((s) => s.trim()),
    name,
    timeout: cfg.connectTimeout * 1000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: false,
  });
  if (log) {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === Events.Disconnect || s.type === Events.Reconnect || s.type === Events.Error)
          log.warn({ nats: s.type, data: String(s.data) }, 'NATS connection status');
      }
    })().catch(() => undefined);
  }
  const jsm = await nc.jetstreamManager({ timeout: cfg.connectTimeout * 1000 });
  return { nc, js: nc.jetstream(), jsm };
}

/** The stream of flow batches: work-queue retention (a batch is gone once a writer acks it). */
export async function ensureStream(link: NatsLink, cfg: FlowBusConfig): Promise<void> {
  const want = {
    name: cfg.stream,
    subjects: [`${cfg.subject}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(cfg.maxAge * 1000),
    duplicate_window: nanos(cfg.duplicateWindow * 1000),
  };
  try {
    await link.jsm.streams.info(cfg.stream);
  } catch {
    try {
      await link.jsm.streams.add(want);
    } catch (e) {
      // Another collector created it between our look and our add.
      await link.jsm.streams.info(cfg.stream).catch(() => {
        throw e;
      });
    }
  }
}

/** The writers' shared durable consumer: explicit acks, redelivery after ackWait. */
export async function ensureConsumer(link: NatsLink, cfg: FlowBusConfig, ackWaitMs: number): Promise<void> {
  try {
    await link.jsm.consumers.info(cfg.stream, cfg.consumer);
  } catch {
    await link.jsm.consumers.add(cfg.stream, {
      durable_name: cfg.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: 10_000,
      filter_subject: `${cfg.subject}.>`,
    });
  }
}

/** The shared NetFlow/IPFIX state: one value per key, kept on file. */
export async function openBucket(link: NatsLink, cfg: FlowBusConfig): Promise<KV> {
  return link.js.views.kv(cfg.kvBucket, { history: 1, storage: StorageType.File });
}

export async function closeLink(link: NatsLink | undefined): Promise<void> {
  if (!link || link.nc.isClosed()) return;
  try {
    await link.nc.drain();
  } catch {
    await link.nc.close();
  }
}

/** `canopy collector --check`: undefined when the server answers and has JetStream, else why not. */
export async function checkFlowBus(cfg: FlowBusConfig): Promise<string | undefined> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: cfg.url.split(',').map((s) => s.trim()), timeout: cfg.connectTimeout * 1000, maxReconnectAttempts: 0 });
    const jsm = await nc.jetstreamManager({ timeout: cfg.connectTimeout * 1000 });
    await jsm.getAccountInfo();
    return undefined;
  } catch (e) {
    const msg = (e as Error).message || String(e);
    return /503|jetstream not enabled/i.test(msg) ? `JetStream is not enabled on ${cfg.url} (nats-server -js)` : msg;
  } finally {
    await nc?.close().catch(() => undefined);
  }
}
