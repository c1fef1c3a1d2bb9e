import { z } from 'zod';
import { durationSeconds, section } from '../config/common.ts';
import { parseFabricLine } from './fabric-dsl.ts';

const postgresUrl = z.string().superRefine((v, ctx) => {
  if (v === '') return; // unset: only an error with backend postgres (below)
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') || !u.hostname || u.pathname.length < 2)
    ctx.addIssue({ code: 'custom', message: 'expected postgres://user@host:port/db' });
});

export const storageSection = section({
  backend: z
    .enum(['sqlite', 'postgres'])
    .default('sqlite')
    .describe(
      'Where the graph and the stores beside it live: `sqlite` (one file in `dataDir`), or `postgres` (shared by several collectors, docs/scale-out.md).',
    ),
  postgres: section({
    url: postgresUrl
      .default('')
      .describe('`postgres://user@host:port/db` (a password in the URL or in `PGPASSWORD`); required when `backend` is `postgres`.'),
    statementTimeout: durationSeconds.default(15).describe('Server-side statement timeout; a write that times out is retried.'),
    connectTimeout: durationSeconds.default(5).describe('Connecting to the server gives up after this long (then retries with backoff).'),
    poolSize: z.number().int().min(1).max(64).default(4).describe('Connections in the pool (plus one that LISTENs for the change feed).'),
  }).describe('The PostgreSQL backend (`storage.backend: postgres`).'),
  dataDir: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory of the SQLite database (`canopy.db`: graph, history, flows, SNMP observations, NetFlow templates).'),
  retention: durationSeconds
    .default(7 * 86400)
    .describe('How long archived revisions and deleted elements are kept (history for `At()` and time travel).'),
  pruneInterval: durationSeconds.default(3600).describe('How often history and flows past their retention are deleted.'),
  flowFlushInterval: durationSeconds
    .default(10)
    .describe('The in-memory flow table is written to SQLite this often (`/api/flows` also flushes it before answering).'),
  flowTableSize: z
    .number()
    .int()
    .positive()
    .default(200_000)
    .describe('Entries the in-memory flow table holds before it hands them to the writer early (before `flowFlushInterval`).'),
  flowTableMaxEntries: z
    .number()
    .int()
    .positive()
    .default(2_000_000)
    .describe(
      'Flow entries held in memory at most (in the table and waiting to be written); beyond it records of new flows are dropped and counted (`canopy_flow_table_evictions_total`).',
    ),
  flowTableMaxBytes: z
    .number()
    .int()
    .positive()
    .default(768 * 1024 * 1024)
    .describe(
      'The same bound in bytes, estimated per entry (docs/performance.md, "Memory"); whichever of the two is reached first applies.',
    ),
  flowWindow: durationSeconds
    .default(3600)
    .describe('How long flushed flow-table entries (10 s resolution) are kept; older ranges are answered from the 1-minute rollups.'),
  flowRollupRetention: durationSeconds.default(7 * 86400).describe('How long 1-minute flow rollups are kept.'),
  metricsWindow: durationSeconds
    .default(3600)
    .describe('How long raw port counter rows (one per reading) are kept; older ranges are answered from the rollups below.'),
  metricsRetention1m: durationSeconds.default(2 * 86400).describe('How long 1-minute port counter rollups are kept.'),
  metricsRetention5m: durationSeconds.default(14 * 86400).describe('How long 5-minute port counter rollups are kept.'),
  metricsRetention1h: durationSeconds.default(400 * 86400).describe('How long 1-hour port counter rollups are kept.'),
  counterUpdateInterval: durationSeconds
    .default(10)
    .describe('Port counters from flow exporters (sFlow counter samples) update the graph at most this often per port.'),
})
  .superRefine((s, ctx) => {
    if (s.backend === 'postgres' && !s.postgres.url)
      ctx.addIssue({ code: 'custom', path: ['postgres', 'url'], message: 'required when storage.backend is postgres' });
  })
  .describe('Where and for how long the graph, its history and the flows are kept.');

export const topologySection = section({
  fabric: z
    .array(
      z
        .string()
        .min(1)
        .superRefine((line, ctx) => {
          try {
            parseFabricLine(line);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: (e as Error).message });
          }
        }),
    )
    .default([])
    .describe(
      'Static fabric in the Skydive fabric DSL, one statement per line (`"TOR1[Name=tor1] -> TOR1_PORT1[Name=port1]"`, `"TOR1_PORT1 --> *[Type=host,Name=web1]/eth0"`); reloaded on SIGHUP or `POST /api/config/reload`.',
    ),
  cablingIntent: z
    .string()
    .default('')
    .describe(
      'A cabling plan (a `.csv` with the header `a_device,a_port,b_device,b_port`, any other file the fabric DSL) that `GET /api/cabling` and the wall display check the observed links against; read on each request. Empty: none.',
    ),
  linkRetention: durationSeconds.default(86400).describe('Links DOWN for this long are removed (never on the first missed poll).'),
  roles: z
    .record(z.string(), z.enum(['spine', 'leaf', 'border', 'switch']))
    .default({})
    .describe(
      "Switch roles by name pattern (regular expression → role). Accepted but not applied yet: the wall takes a switch's `Role` metadata (set it with `topology.fabric`) and otherwise infers spine/leaf from the cabling.",
    ),
}).describe('What is not discovered: static fabric statements, the cabling plan, link ageing, switch roles.');
