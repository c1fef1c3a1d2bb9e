// The `flows` section: where flow rows are stored and the flow bus that carries them between collectors
// (docs/scale-out.md, "Flows on ClickHouse" and "Flow bus").
import { z } from 'zod';
import { durationSeconds, section } from '../../config/common.ts';
import { flowBusKeys } from './bus/config.ts';

const clickhouseUrl = z.string().superRefine((v, ctx) => {
  if (v === '') return; // unset: only an error with store clickhouse (config/schema.ts)
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || u.search || u.hash || /\/.+\//.test(u.pathname))
    ctx.addIssue({ code: 'custom', message: 'expected http://[user[:password]@]host:port[/database]' });
});

export const flowsSection = section({
  ...flowBusKeys,
  store: z
    .enum(['sqlite', 'postgres', 'clickhouse'])
    .optional()
    .describe(
      'Where flow rows and their rollups are kept: `sqlite` (the file in `storage.dataDir`), `postgres` (partitioned tables at `storage.postgres.url`) or `clickhouse` (`flows.clickhouse.url`). Unset: the same as `storage.backend`.',
    ),
  clickhouse: section({
    url: clickhouseUrl
      .default('')
      .describe(
        'ClickHouse HTTP interface, `http://[user[:password]@]host:8123[/database]` (database `default` when none; created when missing); required when `flows.store` is `clickhouse`.',
      ),
    maxQueuedRows: z
      .number()
      .int()
      .positive()
      .default(1_000_000)
      .describe('Flow rows waiting for the server at most; while it is slow or down, rows beyond this are dropped and counted.'),
    requestTimeout: durationSeconds
      .default(10)
      .describe(
        'A query gives up after this long, an insert after six times this (its rows then count as dropped: sent again, they could be stored twice).',
      ),
    retention5m: durationSeconds
      .default(0)
      .describe('How long the 5-minute rollups are kept; 0: as long as the 1-minute ones (`storage.flowRollupRetention`).'),
    retention1h: durationSeconds
      .default(0)
      .describe('How long the 1-hour rollups are kept; 0: as long as the 1-minute ones (`storage.flowRollupRetention`).'),
  }).describe('The ClickHouse flow store (`flows.store: clickhouse`).'),
}).describe('Where flows are stored and how they travel between collectors (graph storage is `storage`).');

export type FlowsConfig = z.infer<typeof flowsSection>;
export type FlowStoreKind = 'sqlite' | 'postgres' | 'clickhouse';

/** The configured flow store: `flows.store`, else the graph's backend. */
export function flowStoreKind(c: { flows: FlowsConfig; storage: { backend: 'sqlite' | 'postgres' } }): FlowStoreKind {
  return c.flows.store ?? c.storage.backend;
}
