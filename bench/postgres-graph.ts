// The figures of docs/scale-out.md "Graph on PostgreSQL", on a durable (fsync on) server of its
// own: write throughput (100k nodes + 100k edges in 1,000-element batches; 2,000 one-node
// batches), time to open a collector's storage on that 100k-node graph (load into memory), and the
// change-feed latency between two collectors. Run: npx tsx bench/postgres-graph.ts
import { openPostgresStorage } from '../src/topology/store/postgres-storage.ts';
import { postgresMissing, startPostgres } from '../test/support/postgres-server.ts';

if (postgresMissing) {
  console.log(`skipped: ${postgresMissing}`);
  process.exit(0);
}
const N = Number(process.env.NODES ?? 100_000);
const server = await startPostgres({ durable: true });
try {
  const url = server.createDatabase('bench');
  const a = openPostgresStorage({ url });
  let t0 = performance.now();
  const sw = (i: number) => `sw${Math.floor(i / 50)}`;
  for (let b = 0; b < N; b += 1000) {
    a.graph.write((tx) => {
      for (let i = b; i < Math.min(N, b + 1000); i++) {
        if (i % 50 === 0)
          tx.upsertNode({
            ID: sw(i),
            Metadata: { Type: 'switch', Name: sw(i), MgmtAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
          });
        else {
          tx.upsertNode({
            ID: `p${i}`,
            Metadata: {
              Type: 'port',
              Name: `eth${i % 50}`,
              IfIndex: i % 50,
              MAC: `02:00:00:${(i >> 16) & 255}:${(i >> 8) & 255}:${i & 255}`,
            },
          });
          tx.upsertEdge({ ID: `e${i}`, Parent: sw(i), Child: `p${i}`, Metadata: { RelationType: 'ownership' } });
        }
      }
    });
  }
  const applied = performance.now() - t0;
  await a.flush();
  const bulk = performance.now() - t0;
  const elements = a.graph.nodeCount() + a.graph.edgeCount();
  console.log(
    `bulk: ${elements} elements in ${N / 1000} batches: applied in memory ${applied.toFixed(0)} ms, durable after ${bulk.toFixed(0)} ms (${Math.round(elements / (bulk / 1000))} elements/s)`,
  );

  t0 = performance.now();
  for (let i = 0; i < 2000; i++)
    a.graph.write((tx) => tx.upsertNode({ ID: `p${i + 1}`, Metadata: { Name: `renamed${i}` } }, { merge: true }));
  await a.flush();
  const small = performance.now() - t0;
  console.log(`small: 2000 one-node update batches durable after ${small.toFixed(0)} ms (${Math.round(2000 / (small / 1000))} batches/s)`);

  t0 = performance.now();
  const b = openPostgresStorage({ url, syncTimeoutMs: 120_000 });
  const load = performance.now() - t0;
  console.log(
    `load: open + read ${b.graph.nodeCount()} nodes / ${b.graph.edgeCount()} edges into memory in ${load.toFixed(0)} ms; rss ${Math.round(process.memoryUsage().rss / 1e6)} MB (two storages)`,
  );

  const arrived = new Map<string, number>();
  b.graph.subscribe((evs) => {
    const t = performance.now();
    for (const e of evs) if ('node' in e) arrived.set(e.node.ID, t);
  });
  const lat: number[] = [];
  for (let i = 0; i < 500; i++) {
    const id = `feed${i}`;
    const s = performance.now();
    a.graph.write((tx) => tx.upsertNode({ ID: id, Metadata: { Type: 'host' } }));
    while (!arrived.has(id)) await new Promise((r) => setTimeout(r, 1));
    lat.push(arrived.get(id)! - s);
  }
  lat.sort((x, y) => x - y);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);
  console.log(`feed: 500 writes A → B subscriber: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);

  t0 = performance.now();
  for (let i = 0; i < 1000; i++) b.graph.findNodes('MAC', `02:00:00:0:${(i * 7) >> 8}:${(i * 7) & 255}`);
  console.log(`query: 1000 indexed findNodes on the in-memory graph: ${((performance.now() - t0) / 1000).toFixed(3)} ms each`);
  a.close();
  b.close();
} finally {
  await server.stop();
}
