// At(t) on PostgreSQL (the live graph in memory overlaid with the revisions valid at t) against
// SQLite's reader (the same rule in SQL): one seeded random history — creates, updates, metadata
// moves, deletes with their cascades, re-creations — written to both, then every reader method
// compared at instants across it. A second storage on the same database (a collector that loaded
// the graph and replayed the rest from the change feed) answers the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { openPostgresStorage, type PostgresStorage } from '../../../src/topology/store/postgres-storage.ts';
import type { GraphReader } from '../../../src/topology/store/graph-store.ts';
import type { Storage } from '../../../src/topology/store/storage.ts';
import { postgresMissing, startPostgres, type PostgresServer } from '../../support/postgres-server.ts';

const byId = <T extends { ID: string }>(xs: Iterable<T>) => [...xs].sort((a, b) => a.ID.localeCompare(b.ID));

function view(r: GraphReader, nodeIds: string[], edgeIds: string[]) {
  return {
    nodes: byId(r.allNodes()),
    edges: byId(r.allEdges()),
    counts: [r.nodeCount(), r.edgeCount()],
    get: nodeIds.map((id) => r.getNode(id) ?? null),
    getEdge: edgeIds.map((id) => r.getEdge(id) ?? null),
    ports: byId(r.findNodes('Type', 'port')),
    named: byId(r.findNodes('Name', 'n3')),
    mac: byId(r.findNodes('MAC', '02:00:00:00:00:05')),
    state: byId(r.findNodes('State', 'DOWN')),
    owned: byId(r.findEdges('RelationType', 'ownership')),
    around: nodeIds.slice(0, 12).map((id) => [byId(r.edgesOf(id, 'out')), byId(r.edgesOf(id, 'in')), byId(r.edgesOf(id, 'both'))]),
  };
}

describe.skipIf(postgresMissing)(`At(t) on PostgreSQL answers as SQLite's${postgresMissing ? ` (${postgresMissing})` : ''}`, () => {
  let server: PostgresServer;
  let dir: string;
  let sqlite: Storage;
  let pg: PostgresStorage;
  let clock = 1_000_000;
  const now = () => clock;
  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'canopy-pg-at-'));
    sqlite = openSqliteStorage({ path: join(dir, 'g.db'), now });
    pg = openPostgresStorage({ url: server.createDatabase('at'), now });
  }, 60_000);
  afterAll(async () => {
    sqlite?.close();
    pg?.close();
    rmSync(dir, { recursive: true, force: true });
    await server?.stop();
  });

  it('every reader method agrees at 80 instants across a random history of 400 steps', async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const nodeIds = Array.from({ length: 30 }, (_, i) => `n${i}`);
    const edgeIds: string[] = [];
    const instants: number[] = [];
    const both = (fn: (s: Storage) => void) => [sqlite, pg].forEach(fn);
    for (let step = 0; step < 400; step++) {
      clock += 1000;
      const id = pick(nodeIds);
      const r = rnd();
      if (r < 0.55) {
        const meta = {
          Type: rnd() < 0.6 ? 'port' : 'switch',
          Name: pick(['n1', 'n2', 'n3']),
          MAC: `02:00:00:00:00:0${Math.floor(rnd() * 8)}`,
          State: rnd() < 0.5 ? 'UP' : 'DOWN',
        };
        both((s) => s.graph.write((tx) => tx.upsertNode({ ID: id, Metadata: meta, Origin: 'test', Host: 'h' })));
      } else if (r < 0.85) {
        const other = pick(nodeIds);
        const rel = rnd() < 0.7 ? 'ownership' : 'layer2';
        const eid = `e-${id}-${other}-${rel}`;
        if (!edgeIds.includes(eid)) edgeIds.push(eid);
        both((s) =>
          s.graph.write((tx) => {
            // Only between live nodes, as the graph writers do.
            if (tx.getNode(id) && tx.getNode(other))
              tx.upsertEdge({ ID: eid, Parent: id, Child: other, Metadata: { RelationType: rel, Seen: step }, Origin: 'test', Host: 'h' });
          }),
        );
      } else if (r < 0.95) both((s) => s.graph.write((tx) => tx.deleteNode(id)));
      else if (edgeIds.length) {
        const eid = pick(edgeIds);
        both((s) => s.graph.write((tx) => tx.deleteEdge(eid)));
      }
      if (step % 10 === 5) instants.push(clock, clock - 500);
    }
    clock += 1000;
    await pg.flush();
    expect(pg.graph.nodeCount()).toBe(sqlite.graph.nodeCount());
    const compare = (a: GraphReader, b: GraphReader) => expect(view(a, nodeIds, edgeIds)).toEqual(view(b, nodeIds, edgeIds));
    for (const t of instants) compare(pg.graph.at(t), sqlite.graph.at(t));
    // Sanity: the instants see different graphs, and some have deleted elements back.
    const sizes = new Set(instants.map((t) => sqlite.graph.at(t).nodeCount() * 1000 + sqlite.graph.at(t).edgeCount()));
    expect(sizes.size).toBeGreaterThan(3);

    // Another collector on the same database: loaded the graph, answers At() the same.
    const other = openPostgresStorage({ url: server.url('at'), now });
    try {
      for (const t of instants.slice(-10)) compare(other.graph.at(t), sqlite.graph.at(t));
    } finally {
      other.close();
    }
  }, 60_000);
});
