// The flow writer's thread (flow-writer-thread.ts starts it): its own better-sqlite3 connection to
// the collector's file, the same SqliteFlowStore statements, so a flush of tens of thousands of
// entries never holds the receive thread. Writes go in short transactions with a pause between
// them: the main connection (graph writes) waits on SQLite's lock for one transaction at most.
// Batches wait here encoded and are decoded a chunk at a time just before they are written, so
// the entries die young: a flush of a few hundred thousand entries decoded at once grew this
// thread's heap to tens of MB, and its major collections ran on V8's helper threads beside the
// receive thread at full priority (docs/performance.md, "The writer's heap").
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteFlowStore } from '../../topology/store/sqlite-flows.ts';
import { decodeEntries, repointEncoded, type EncodedEntries } from './flow-entry-codec.ts';
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

/** Entries decoded per chunk: about one write step's worth (stepMs at a few µs an entry). */
const CHUNK = 1024;
/** Encoded batches waiting; `at`: entries of the first already taken into `chunk`. */
const batches: EncodedEntries[] = [];
let at = 0;
/** The decoded chunk being written; `inChunk`: its next entry. */
let chunk: FlowEntry[] = [];
let inChunk = 0;
let prune: { windowCut: number; rollupCut: number } | undefined;
let timer: NodeJS.Timeout | undefined;

function pendingRows(): number {
  return chunk.length - inChunk + batches.reduce((n, b) => n + b.count, 0) - at;
}

/** Makes `chunk` hold entries not yet written, decoding the next ones; false when none are left. */
function nextChunk(): boolean {
  if (inChunk < chunk.length) return true;
  while (batches.length > 0 && at >= batches[0]!.count) {
    batches.shift();
    at = 0;
  }
  const b = batches[0];
  if (!b) return false;
  const to = Math.min(b.count, at + CHUNK);
  chunk = decodeEntries(b, at, to);
  inChunk = 0;
  at = to;
  return true;
}

function dropPending(err: unknown): void {
  const rows = pendingRows();
  batches.length = 0;
  at = 0;
  chunk = [];
  inChunk = 0;
  state[STATE.dropped] = state[STATE.dropped]! + rows;
  port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err), rows });
}

/** Writes until `deadline` (performance.now()); returns whether anything is left. */
function writeUntil(deadline: number): boolean {
  let transactions = 0;
  try {
    while (performance.now() < deadline && nextChunk()) {
      const next = store.writeSome(chunk, inChunk, deadline);
      state[STATE.written] = state[STATE.written]! + (next - inChunk);
      state[STATE.lastWrite] = Date.now();
      transactions++;
      inChunk = next;
    }
    while (prune && !nextChunk() && performance.now() < deadline) {
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
  return nextChunk() || prune !== undefined;
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
      batches.push(m);
      schedule();
      break;
    case 'repoint': {
      const moved = new Map(m.moved);
      for (let i = inChunk; i < chunk.length; i++) {
        const e = chunk[i]!;
        e.deviceId = moved.get(e.deviceId) ?? e.deviceId;
        if (e.inPortId !== null) e.inPortId = moved.get(e.inPortId) ?? e.inPortId;
        if (e.outPortId !== null) e.outPortId = moved.get(e.outPortId) ?? e.outPortId;
      }
      batches.forEach((b, n) => repointEncoded(b, n === 0 ? at : 0, moved));
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
