// Query engine figures (parse + evaluate, no HTTP) on the seeded synthetic fabric: 4 spines,
// 100 leaves × 48 ports, 4,000 hosts × 2 NICs, 8 containers per host, 100k nodes / 200k edges,
// in a SQLite file. Also the store's insert rate while building it. The same build and queries on
// PostgreSQL (storage.backend: postgres, a durable server of its own), queried from a second storage
// that loaded the graph from the server as another collector would: `query.postgres.*`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench, Emit } from './run.ts';
import { openGraphStore } from '../src/topology/store/sqlite-store.ts';
import { generateFabric, DEFAULT_FABRIC } from '../src/topology/synthetic.ts';
import { runQuery } from '../src/topology/query/index.ts';
import { createApp } from '../src/api/app.ts';
import { startApiServer } from '../src/api/server.ts';
import { Auth } from '../src/api/auth.ts';
import { defaultConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/util/log.ts';
import { createRegistry } from '../src/util/metrics.ts';
import { makeQueryRunner } from '../src/topology/query-adapters.ts';
import { makeFilterCompiler } from '../src/api/ws/compile-filter.ts';
import type { GraphStore } from '../src/topology/store/graph-store.ts';
import { openPostgresStorage } from '../src/topology/store/postgres-storage.ts';
import { postgresMissing, startPostgres } from '../test/support/postgres-server.ts';

const SEED = 42;
const HOUR = 3_600_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs fn until maxRuns or budgetMs, after a warm-up; returns sorted durations in ms. */
function time(fn: () => unknown, maxRuns: number, budgetMs: number): number[] {
  for (let i = 0; i < 3; i++) fn();
  const out: number[] = [];
  const stop = performance.now() + budgetMs;
  while (out.length < maxRuns && (out.length < 10 || performance.now() < stop)) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

type Query = [string, string, number];

/** Builds the fabric through `store` (its clock moved by `setClock`), with an hour of history; returns the queries. */
function build(
  store: GraphStore,
  setClock: (t: number) => void,
  start: number,
  emit: Emit,
  prefix: string,
): { queries: Query[]; now: number } {
  const fab = generateFabric(store, { ...DEFAULT_FABRIC, seed: SEED });
  emit({
    bench: `${prefix}.insert`,
    value: Math.round(fab.nodes / (fab.nodeWriteMs / 1000)),
    unit: 'nodes/s',
    nodes: fab.nodes,
    batch: 5000,
  });
  emit({ bench: `${prefix}.insert_edges`, value: Math.round(fab.edges / (fab.edgeWriteMs / 1000)), unit: 'edges/s', edges: fab.edges });

  // History for At('-1h'): 90 minutes after the build, 2,000 leaf ports change state.
  setClock(start + 90 * 60_000);
  const ports = store.findNodes('Type', 'port').slice(0, 2000);
  store.write((tx) => {
    for (const p of ports) tx.upsertNode({ ID: p.ID, Metadata: { ...p.Metadata, State: p.Metadata.State === 'UP' ? 'DOWN' : 'UP' } });
  });
  const now = start + 2 * HOUR;
  setClock(now);
  const host = fab.sample.hostName;
  return {
    now,
    queries: [
      ['host_out', `G.V().Has('Type','host').Has('Name','${host}').Out()`, 2000],
      ['mac', `G.V().Has('MAC','${fab.sample.hostMac}')`, 2000],
      ['shortest_path', `G.V().Has('Name','${host}').ShortestPathTo(Metadata('Name','${fab.sample.spineName}'))`, 500],
      ['at_1h', `G.At('-1h').V().Has('Type','host').Has('Name','${host}').Out()`, 20],
    ],
  };
}

function measure(store: GraphStore, queries: Query[], now: number, prefix: string, emit: Emit): void {
  for (const [name, q, maxRuns] of queries) {
    const opts = { now, timeoutMs: 120_000 }; // At() rebuilds the instant in the store: give it room
    const result = runQuery(store, q, opts);
    const size = Array.isArray(result.value) ? result.value.length : result.value;
    const d = time(() => runQuery(store, q, opts), maxRuns, 10_000);
    emit({
      bench: `${prefix}.${name}`,
      value: +percentile(d, 50).toFixed(3),
      unit: 'ms',
      p99: +percentile(d, 99).toFixed(3),
      runs: d.length,
      results: size,
      query: q,
    });
  }
}

async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-query-bench-'));
  const start = Date.now() - 3 * HOUR;
  let clock = start;
  const store = openGraphStore({ path: join(dir, 'graph.db'), now: () => clock });
  try {
    const { queries, now } = build(store, (t) => (clock = t), start, emit, 'store');
    measure(store, queries, now, 'query.engine', emit);
    await endToEnd(store, queries, emit, 'api.topology');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same graph and queries on PostgreSQL: built through collector A's storage, queried on B's. */
async function runPostgres(emit: Emit): Promise<void> {
  if (postgresMissing) {
    console.error(`query.postgres skipped: ${postgresMissing}`);
    return;
  }
  const server = await startPostgres({ durable: true });
  try {
    const url = server.createDatabase('querybench');
    const start = Date.now() - 3 * HOUR;
    let clock = start;
    const a = openPostgresStorage({ url, now: () => clock });
    let built: ReturnType<typeof build>;
    try {
      built = build(a.graph, (t) => (clock = t), start, emit, 'store.postgres');
      const t0 = performance.now();
      await a.flush();
      emit({ bench: 'store.postgres.durable_after_build', value: Math.round(performance.now() - t0), unit: 'ms' });
    } finally {
      a.close();
    }
    const t0 = performance.now();
    const b = openPostgresStorage({ url, now: () => clock });
    emit({
      bench: 'store.postgres.open',
      value: Math.round(performance.now() - t0),
      unit: 'ms',
      nodes: b.graph.nodeCount(),
      edges: b.graph.edgeCount(),
    });
    try {
      measure(b.graph, built.queries, built.now, 'query.postgres', emit);
      await endToEnd(b.graph, built.queries, emit, 'api.topology.postgres');
    } finally {
      b.close();
    }
  } finally {
    await server.stop();
  }
}

/** The same queries as POST /api/topology over HTTP (keep-alive), through the real API server. */
async function endToEnd(store: GraphStore, queries: Query[], emit: Emit, prefix: string): Promise<void> {
  const config = defaultConfig();
  const limits = { maxResults: config.api.queryMaxResults, timeoutMs: 120_000 };
  const log = silentLogger();
  const registry = createRegistry(false);
  const auth = new Auth(config);
  const app = createApp({ store, auth, registry, log, config, query: makeQueryRunner(store, limits), status: () => ({}) });
  const server = await startApiServer('127.0.0.1:0', { app, store, auth, log, registry, compileFilter: makeFilterCompiler(store, limits) });
  try {
    for (const [name, q, maxRuns] of queries) {
      const body = JSON.stringify({ GremlinQuery: q });
      const post = async () => {
        const r = await fetch(`http://${server.addresses[0]}/api/topology`, {
          method: 'POST',
          body,
          headers: { 'Content-Type': 'application/json' },
        });
        if (r.status !== 200) throw new Error(`${q}: HTTP ${r.status}`);
        await r.arrayBuffer();
      };
      for (let i = 0; i < 3; i++) await post();
      const d: number[] = [];
      const stop = performance.now() + 10_000;
      while (d.length < maxRuns && (d.length < 10 || performance.now() < stop)) {
        const t = performance.now();
        await post();
        d.push(performance.now() - t);
      }
      d.sort((a, b) => a - b);
      emit({
        bench: `${prefix}.${name}`,
        value: +percentile(d, 50).toFixed(3),
        unit: 'ms',
        p99: +percentile(d, 99).toFixed(3),
        runs: d.length,
        query: q,
      });
    }
  } finally {
    await server.close();
  }
}

export const benches: Bench[] = [
  { name: 'query.engine', run },
  { name: 'query.postgres', run: runPostgres },
];
