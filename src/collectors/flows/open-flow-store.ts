// Opens the configured flow store (flows.store, default storage.backend): the storage's own flow
// tables when they are in the same place, else a store of its own (ClickHouse; PostgreSQL or the
// SQLite file beside a graph kept elsewhere). ClickHouse's queue, drops and state become metrics.
import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { CanopyConfig } from '../../config/schema.ts';
import type { FlowRecordStore } from '../../topology/store/flow-records.ts';
import type { Storage } from '../../topology/store/storage.ts';
import { ClickhouseFlowStore } from '../../topology/store/clickhouse-flows.ts';
import { PostgresLink, redactUrl } from '../../topology/store/postgres-link.ts';
import { migratePostgres } from '../../topology/store/postgres-migrations.ts';
import { PostgresFlowStore } from '../../topology/store/postgres-flows.ts';
import { openSqliteStorage } from '../../topology/store/sqlite-storage.ts';
import { checkStorage } from '../../topology/store/open-storage.ts';
import { counterOf, gaugeOf } from '../../util/metrics.ts';
import { RateLimitedLog } from '../../util/log.ts';
import { flowStoreKind, type FlowStoreKind } from './flows-config.ts';

export interface OpenedFlowStore {
  kind: FlowStoreKind;
  records: FlowRecordStore;
  /** Where, for logs and status (no password). */
  location: string;
  /** Resolves once the rows sent so far are written (or given up). */
  flush(): Promise<void>;
  /** Closes what was opened here (the storage's own tables stay with the storage). */
  close(): void;
}

export function openFlowStore(config: CanopyConfig, storage: Pick<Storage, 'flows'>, registry: Registry, log: Logger): OpenedFlowStore {
  const kind = flowStoreKind(config);
  const s = config.storage;
  if (kind === s.backend) {
    return {
      kind,
      records: storage.flows,
      location: kind === 'sqlite' ? s.dataDir : redactUrl(s.postgres.url),
      flush: () => Promise.resolve(),
      close: () => undefined,
    };
  }
  if (kind === 'sqlite') {
    const own = openSqliteStorage({ path: join(resolve(s.dataDir), 'canopy.db') });
    return { kind, records: own.flows, location: s.dataDir, flush: () => Promise.resolve(), close: () => own.close() };
  }
  if (kind === 'postgres') {
    const link = new PostgresLink({
      url: s.postgres.url,
      statementTimeoutMs: s.postgres.statementTimeout * 1000,
      connectTimeoutMs: s.postgres.connectTimeout * 1000,
      poolSize: s.postgres.poolSize,
      syncTimeoutMs: Math.max(30_000, s.postgres.connectTimeout * 3000),
    });
    const warn = new RateLimitedLog(log, 60_000, 1);
    link.onProblem = (what, error) => warn.warn(`postgres-${what}`, { what, error }, 'postgres flow store problem');
    try {
      migratePostgres(link);
    } catch (e) {
      link.abort();
      throw e;
    }
    return {
      kind,
      records: new PostgresFlowStore(link),
      location: redactUrl(s.postgres.url),
      flush: () => link.flush(),
      close: () => link.close(),
    };
  }
  const c = config.flows.clickhouse;
  const warn = new RateLimitedLog(log, 60_000, 1);
  const store = new ClickhouseFlowStore({
    url: c.url,
    maxQueuedRows: c.maxQueuedRows,
    requestTimeoutMs: c.requestTimeout * 1000,
    syncTimeoutMs: c.requestTimeout * 1000 + 5000,
    retention5mMs: c.retention5m * 1000,
    retention1hMs: c.retention1h * 1000,
    // Once a minute per kind: an outage repeats the same message for every batch.
    onProblem: (what, error) => warn.warn(`clickhouse-${what}`, { what, error }, 'clickhouse flow store problem'),
  });
  gaugeOf(
    registry,
    'canopy_flow_store_queued_rows',
    'Flow rows accepted and not yet confirmed by the flow store server (ClickHouse)',
    () => store.stats.queuedRows,
  );
  counterOf(
    registry,
    'canopy_flow_store_dropped_rows_total',
    'Flow rows the flow store dropped: its queue was full (flows.clickhouse.maxQueuedRows) or the server refused them',
    () => store.stats.droppedRows,
  );
  gaugeOf(registry, 'canopy_flow_store_up', '1 while the flow store server (ClickHouse) answers, 0 while it does not', () =>
    store.stats.up ? 1 : 0,
  );
  return { kind, records: store, location: redactUrl(c.url), flush: () => store.flush(), close: () => store.close() };
}

/**
 * `canopy collector --check` for the flow store, when it is not the storage's own: undefined when
 * it answers, else the config key and the reason.
 */
export async function checkFlowStore(config: CanopyConfig, timeoutMs = 5000): Promise<{ key: string; reason: string } | undefined> {
  const kind = flowStoreKind(config);
  if (kind === 'postgres' && config.storage.backend !== 'postgres') {
    const reason = await checkStorage({ ...config.storage, backend: 'postgres' });
    return reason ? { key: 'storage.postgres.url', reason } : undefined;
  }
  if (kind !== 'clickhouse') return undefined;
  const url = config.flows.clickhouse.url;
  try {
    const u = new URL(url);
    const headers: Record<string, string> = {};
    if (u.username || u.password)
      headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username || 'default')}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    // A query, not /ping: it proves the credentials too.
    const r = await fetch(`${u.protocol}//${u.host}/`, {
      method: 'POST',
      body: 'SELECT version()',
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await r.text()).trim();
    if (!r.ok) return { key: 'flows.clickhouse.url', reason: `cannot use ${redactUrl(url)}: HTTP ${r.status}: ${body.slice(0, 300)}` };
    return undefined;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return {
      key: 'flows.clickhouse.url',
      reason: `cannot use ${redactUrl(url)}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    };
  }
}
