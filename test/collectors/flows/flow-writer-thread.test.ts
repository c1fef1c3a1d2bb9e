// The flow writer's thread (src/collectors/flows/flow-writer-thread.ts): with SQLite on a file the
// flow pipeline writes its flushes from a thread of its own, on its own connection, so a flush
// goes in while the receive (main) thread is busy, and readers still see every flow after flush().
import { afterEach, describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { defaultConfig } from '../../../src/config/load.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { FlowPipeline } from '../../../src/collectors/flows/pipeline.ts';
import { decodeEntries, encodeEntries, repointEncoded } from '../../../src/collectors/flows/flow-entry-codec.ts';
import type { FlowEntry } from '../../../src/collectors/flows/flow-store.ts';
import { silentLogger } from '../../../src/util/log.ts';

function entries(n: number, last = Date.now()): FlowEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    protocol: 'sflow',
    exporter: '10.0.0.1',
    deviceId: 'dev',
    inIf: 1,
    outIf: 2,
    inPortId: i % 3 === 0 ? null : `port-${i % 7}`,
    outPortId: null,
    vlan: i % 2,
    srcAddr: `10.0.${(i >> 8) & 255}.${i & 255}`,
    dstAddr: '10.1.0.1',
    proto: 6,
    srcPort: i & 0xffff,
    dstPort: 443,
    srcMac: i % 5 ? '' : '02:00:00:00:00:01',
    dstMac: '',
    etherType: 0x0800,
    first: last - 10,
    last,
    bytes: 10 * 2 ** 33 + i,
    packets: 1,
    flows: 1,
    samplingRate: 512,
    samplingMissing: i % 11 === 0,
  }));
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-writer-'));
  dirs.push(dir);
  const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
  const pipeline = new FlowPipeline(defaultConfig(), storage, new Registry(), silentLogger());
  const db = storage.graph.database;
  const count = (table = 'flows') => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { storage, pipeline, count };
}

const threads = () => readdirSync('/proc/self/task').length;
/** Nice values of this process's threads (/proc/self/task/TID/stat, field 19). */
const nices = () =>
  readdirSync('/proc/self/task').map((t) => {
    const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });

describe('flow writer thread', () => {
  it('entries cross to the thread unchanged, and decode a chunk at a time', () => {
    const e = entries(300);
    const b = encodeEntries(e);
    expect(decodeEntries(b)).toEqual(e);
    expect([...decodeEntries(b, 0, 128), ...decodeEntries(b, 128, 256), ...decodeEntries(b, 256, 300)]).toEqual(e);
    expect(decodeEntries(b, 300, 300)).toEqual([]);
  });

  it('waiting entries are repointed in their encoded form: node IDs from the given entry on, nothing else', () => {
    const e = entries(50);
    // An address equal to a moved ID stays: only the device and port fields are node IDs.
    e[40]!.srcAddr = 'port-1';
    const b = encodeEntries(e);
    repointEncoded(
      b,
      20,
      new Map([
        ['dev', 'dev-merged'],
        ['port-1', 'port-9'],
      ]),
    );
    const want = e.map((x, i) =>
      i < 20 ? x : { ...x, deviceId: 'dev-merged', inPortId: x.inPortId === 'port-1' ? 'port-9' : x.inPortId },
    );
    expect(decodeEntries(b)).toEqual(want);
    expect(decodeEntries(b)[40]!.srcAddr).toBe('port-1');
  });

  it('a merge while a flush waits in the thread: the waiting rows are stored under the new IDs', async () => {
    const { storage, pipeline, count } = rig();
    const db = storage.graph.database;
    pipeline.writer.enqueue(entries(60_000));
    while ((pipeline.writer as unknown as { queued: number }).queued > 0) await new Promise((r) => setImmediate(r));
    expect(count()).toBeLessThan(60_000);
    pipeline.writer.repoint(new Map([['port-1', 'port-merged']]));
    pipeline.flush();
    const by = (id: string) => (db.prepare('SELECT count(*) AS n FROM flows WHERE in_port_id = ?').get(id) as { n: number }).n;
    expect(count()).toBe(60_000);
    expect(by('port-1')).toBe(0);
    expect(by('port-merged')).toBe(entries(60_000).filter((x) => x.inPortId === 'port-1').length);
    pipeline.stop();
    await pipeline.closed();
    storage.close();
  });

  it('writes a flush while the main thread is busy, at a lower priority; flush() makes every row visible; stop() ends the thread', async () => {
    const before = threads();
    const { storage, pipeline, count } = rig();
    pipeline.writer.enqueue(entries(100_000));
    // Entries are handed to the thread a few thousand per turn of the event loop.
    while ((pipeline.writer as unknown as { queued: number }).queued > 0) await new Promise((r) => setImmediate(r));
    const handed = count();
    // Busy for up to 10 s without yielding to the event loop, as a receive burst would be: a writer
    // on this thread could not write a row meanwhile.
    const until = Date.now() + 10_000;
    let seen = handed;
    while (Date.now() < until && (seen = count()) === handed) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    expect(seen).toBeGreaterThan(handed);
    // The writer yields the core to the receive thread: it alone runs at a lower priority.
    expect(nices().filter((n) => n === 10)).toHaveLength(1);
    expect(nices().filter((n) => n === 0).length).toBeGreaterThan(0);
    pipeline.writer.enqueue(entries(500));
    pipeline.flush();
    expect(count()).toBe(100_500);
    expect(count('flows_1m')).toBeGreaterThan(0);
    expect(pipeline.writer.pending).toBe(0);
    expect(pipeline.writer.written).toBe(100_500);
    pipeline.stop();
    await pipeline.closed();
    expect(threads()).toBeLessThanOrEqual(before);
    // A reader's flush after stop() still stores (on the main connection).
    pipeline.writer.enqueue(entries(5));
    pipeline.flush();
    expect(count()).toBe(100_505);
    storage.close();
  });

  it('graph and series writes on the main connection wait for the thread instead of failing with SQLITE_BUSY', async () => {
    const { storage, pipeline, count } = rig();
    pipeline.writer.enqueue(entries(60_000));
    // While the thread commits its flush transaction after transaction, the main connection writes
    // in transactions that read first (an upsert archives the node's previous version): a deferred
    // one could not take the write lock after the thread committed, busy handler or not.
    const failures: unknown[] = [];
    let writes = 0;
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      try {
        storage.graph.write((tx) => tx.upsertNode({ ID: 'n1', Metadata: { Type: 'host', Name: `h${writes}` } }, { merge: true }));
        writes++;
      } catch (err) {
        failures.push(err);
      }
      await new Promise((r) => setImmediate(r));
      if (count() >= 60_000 && writes > 200) break;
    }
    pipeline.flush();
    expect(failures.map(String)).toEqual([]);
    expect(count()).toBe(60_000);
    expect(writes).toBeGreaterThan(200);
    pipeline.stop();
    await pipeline.closed();
    storage.close();
  });

  it('stores the same rows as the writer on the main connection (in-memory database)', () => {
    const rows = (file: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'canopy-writer-'));
      dirs.push(dir);
      const storage = openSqliteStorage({ path: file ? join(dir, 'canopy.db') : ':memory:' });
      const pipeline = new FlowPipeline(defaultConfig(), storage, new Registry(), silentLogger());
      pipeline.writer.enqueue(entries(3_000, 1_700_000_000_000));
      pipeline.flush();
      const db = storage.graph.database;
      const out = {
        flows: db.prepare('SELECT * FROM flows ORDER BY rowid').all(),
        rollup: db.prepare('SELECT * FROM flows_1m ORDER BY rowid').all(),
      };
      pipeline.stop();
      storage.close();
      return out;
    };
    const thread = rows(true);
    expect(thread.flows).toHaveLength(3_000);
    expect(thread).toEqual(rows(false));
  });
});
