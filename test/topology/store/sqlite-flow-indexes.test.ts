// The flow tables on SQLite carry only indexes some query uses: each one costs every flushed entry
// (docs/performance.md). flows_1m is always read by its primary key's minute range (a node query is
// device_id OR in_port_id OR out_port_id, which a device-only index cannot serve), so it has no other.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import type { FlowQuery } from '../../../src/topology/store/flow-records.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SHAPES: Record<string, FlowQuery> = {
  all: {},
  exporter: { exporter: '192.0.2.1' },
  node: { node: 'n1' },
  nodes: { nodes: ['n1', 'n2'] },
  hostWithPorts: { hosts: [{ macs: ['02:00:00:00:00:0a'], addrs: ['192.0.2.9'], ports: ['p1'] }] },
  hostWithoutPorts: { hosts: [{ macs: [], addrs: ['192.0.2.9'], ports: [] }] },
  addr: { addr: '192.0.2.9' },
  src: { src: '192.0.2.9' },
  dstMac: { dst: '02:00:00:00:00:0a' },
  port: { port: 443 },
  proto: { proto: 6 },
};

describe('SQLite flow indexes', () => {
  it('flows_1m has only its primary key, and every rollup query shape reads through it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-flow-idx-'));
    dirs.push(dir);
    const s = openSqliteStorage({ path: join(dir, 'canopy.db') });
    try {
      const db = (s.flows as unknown as { db: Database }).db;
      const indexes = (
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flows_1m'`).all() as { name: string }[]
      ).map((r) => r.name);
      expect(indexes).toEqual(['sqlite_autoindex_flows_1m_1']);

      // Every query shape on the rollup (a `from` before the raw window) and on the raw table, planned.
      const plans: Record<string, string> = {};
      const prepare = db.prepare.bind(db);
      const now = 10 * 3_600_000;
      let shape = '';
      // query() prepares its SQL and runs all(params): plan that SQL with those params first.
      db.prepare = ((sql: string) => {
        const st = prepare(sql);
        return {
          all: (p: Record<string, unknown>) => {
            plans[shape] = (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(p) as { detail: string }[]).map((r) => r.detail).join(' | ');
            return st.all(p);
          },
        };
      }) as unknown as Database['prepare'];
      try {
        for (const [name, q] of Object.entries(SHAPES)) {
          for (const rollup of [true, false]) {
            shape = `${rollup ? '1m' : 'raw'} ${name}`;
            s.flows.query({ ...q, from: rollup ? now - 7_200_000 : now - 60_000, to: now }, now - 3_600_000);
          }
        }
      } finally {
        db.prepare = prepare;
      }
      for (const [name, plan] of Object.entries(plans)) {
        if (name.startsWith('1m'))
          expect(plan, name).toMatch(/^SEARCH flows_1m USING INDEX sqlite_autoindex_flows_1m_1 \(minute>\? AND minute<\?\)/);
        else expect(plan, name).toMatch(/USING INDEX flows_/);
      }
      // The node and address shapes on the raw table use the indexes kept for them.
      expect(plans['raw node']).toMatch(/flows_device.*flows_in_port.*flows_out_port/);
      expect(plans['raw addr']).toMatch(/flows_src.*flows_dst/);
      expect(Object.keys(plans)).toHaveLength(2 * Object.keys(SHAPES).length);
    } finally {
      s.close();
    }
  });
});
