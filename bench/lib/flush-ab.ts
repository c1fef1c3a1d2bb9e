// Scratch: CPU per entry of SqliteFlowStore.writeSome on real bench entries, with variants.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/topology/store/sqlite-storage.ts';
import type { FlowEntry } from '../../src/topology/store/flow-records.ts';
import { rig, stream } from '../ingest-stages.bench.ts';

const set = stream(Number(process.argv[2] ?? 200_000));
const batches: FlowEntry[][] = [];
{
  const r = rig();
  const now = Date.now();
  for (let i = 0; i < set.length; i++) {
    r.handle({ data: set[i]!, address: '127.0.0.1', port: 9999, localPort: 6343, receivedAt: now + Math.floor(i / 10) });
    if (i % 50_000 === 49_999) batches.push(r.pipeline.table.drain().map((e) => ({ ...e })));
  }
  r.close();
}
const variants: Record<string, { prep?: (db: import('better-sqlite3').Database) => void; sort?: (a: FlowEntry, b: FlowEntry) => number }> =
  {
    base: {},
    sortSrc: { sort: (a, b) => (a.srcAddr < b.srcAddr ? -1 : a.srcAddr > b.srcAddr ? 1 : 0) },
    noSrcDst: { prep: (db) => db.exec('DROP INDEX flows_src; DROP INDEX flows_dst') },
    noNodeIdx: { prep: (db) => db.exec('DROP INDEX flows_device; DROP INDEX flows_in_port; DROP INDEX flows_out_port') },
    rollupWithoutRowid: {
      prep: (db) => {
        const sql = (db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'flows_1m'`).get() as { sql: string }).sql;
        db.exec(`DROP TABLE flows_1m; ${sql} WITHOUT ROWID`);
      },
    },
    noRollup: { prep: (db) => db.exec(`CREATE TRIGGER no_roll BEFORE INSERT ON flows_1m BEGIN SELECT RAISE(IGNORE); END`) },
    no1mDevice: { prep: (db) => db.exec('DROP INDEX flows_1m_device') },
  };
const which = process.argv.slice(3);
for (const [name, v] of Object.entries(variants)) {
  if (which.length && !which.includes(name)) continue;
  const dir = mkdtempSync(join(tmpdir(), 'canopy-flush-ab-'));
  const s = openSqliteStorage({ path: join(dir, 'canopy.db') });
  v.prep?.((s.flows as unknown as { db: import('better-sqlite3').Database }).db);
  let n = 0;
  const c0 = process.cpuUsage();
  for (const b of batches) {
    const es = v.sort ? [...b].sort(v.sort) : b;
    for (let i = 0; i < es.length;) i = s.flows.writeSome(es, i, Infinity);
    n += es.length;
  }
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ variant: name, entries: n, usPerEntry: +((c.user + c.system) / n).toFixed(2) }));
  s.close();
  rmSync(dir, { recursive: true, force: true });
}
