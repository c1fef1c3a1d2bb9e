// The flow writer's thread (flow-writer-thread.ts starts it): its own better-sqlite3 connection to
// the collector's file, the same SqliteFlowStore statements, so a flush of tens of thousands of
// entries never holds the receive thread. Writes go in short transactions with a pause between
// them: the main connection (graph writes) waits on SQLite's lock for one transaction at most.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteFlowStore } from '../../topology/store/sqlite-flows.ts';
import { decodeEntries } from './flow-entry-codec.ts';
import type { FlowEntry } from './flow-store.ts';
import { STATE, type WriterMessage, type WriterThreadData } from './flow-writer-protocol.ts';

const data = workerData as WriterThreadData;
const port = parentPort!;
const state = new Float64Array(data.state);
const done = new Int32Array(data.done);
// Lower priority for this thread alone (Linux: a thread's ID names it to setpriority): on a busy
// core the receive thread is served first and the flush takes the idle time, its backlog held
// within storage.flowTableMaxEntries/MaxBytes (pending rows count against them).
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0 && data.nice > 0) setPriority(tid, data.nice);
} catch {
  // Not Linux, or /proc not mounted: the thread keeps the process's priority.
}
const db = new Database(data.file);
// Per connection: the main connection's settings (sqlite-migrations.ts) do not carry over.
db.pragma('synchronous = NORMAL');
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
const store = new SqliteFlowStore(db);

const batches: FlowEntry[][] = [];
let at = 0;
let prune: { windowCut: number; rollupCut: number } | undefined;
let timer: NodeJS.Timeout | undefined;

function dropPending(err: unknown): void {
  const rows = batches.reduce((n, b) => n + b.length, 0) - at;
  batches.length = 0;
  at = 0;
  state[STATE.dropped] = state[STATE.dropped]! + rows;
  port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err), rows });
}

/** Writes until `deadline` (performance.now()); returns whether anything is left. */
function writeUntil(deadline: number): boolean {
  let transactions = 0;
  try {
    while (batches.length > 0 && performance.now() < deadline) {
      const b = batches[0]!;
      const next = store.writeSome(b, at, deadline);
      state[STATE.written] = state[STATE.written]! + (next - at);
      state[STATE.lastWrite] = Date.now();
      transactions++;
      at = next;
      if (at >= b.length) {
        batches.shift();
        at = 0;
      }
    }
    while (batches.length === 0 && prune && performance.now() < deadline) {
      if (store.prune(prune.windowCut, prune.rollupCut, data.pruneBatch) === 0) prune = undefined;
    }
  } catch (err) {
    dropPending(err);
    prune = undefined;
  }
  if (transactions > 0) {
    state[STATE.transactions] = state[STATE.transactions]! + transactions;
    port.postMessage({ type: 'wrote', transactions });
  }
  return batches.length > 0 || prune !== undefined;
}

function schedule(): void {
  timer ??= setTimeout(step, data.pauseMs);
}

function step(): void {
  timer = undefined;
  if (writeUntil(performance.now() + data.stepMs)) schedule();
}

function flushAll(seq: number, close = false): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  const p = prune;
  prune = undefined;
  writeUntil(Infinity);
  if (close) db.close();
  else {
    prune = p;
    if (prune) schedule();
  }
  Atomics.store(done, 0, seq);
  Atomics.notify(done, 0);
}

port.on('message', (m: WriterMessage) => {
  switch (m.type) {
    case 'rows':
      batches.push(decodeEntries(m));
      schedule();
      break;
    case 'repoint': {
      const moved = new Map(m.moved);
      batches.forEach((b, n) => {
        for (let i = n === 0 ? at : 0; i < b.length; i++) {
          const e = b[i]!;
          e.deviceId = moved.get(e.deviceId) ?? e.deviceId;
          if (e.inPortId !== null) e.inPortId = moved.get(e.inPortId) ?? e.inPortId;
          if (e.outPortId !== null) e.outPortId = moved.get(e.outPortId) ?? e.outPortId;
        }
      });
      // Rows this thread committed after the main thread repointed the stored ones.
      try {
        store.repointNodes(moved);
      } catch (err) {
        port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err), rows: 0 });
      }
      break;
    }
    case 'prune':
      prune = { windowCut: m.windowCut, rollupCut: m.rollupCut };
      schedule();
      break;
    case 'flush':
      flushAll(m.seq);
      break;
    case 'stop':
      prune = undefined;
      flushAll(m.seq, true);
      port.close();
      break;
  }
});
