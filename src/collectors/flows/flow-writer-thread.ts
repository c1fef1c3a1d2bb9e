// The flow writer on a thread of its own (issue 25): flow-table flushes, retention deletes and
// the repointing of merged nodes run on a second better-sqlite3 connection in a worker thread
// (flow-writer-worker.ts), so a slow flush never stalls the receive path. Entries go over as one
// transferred Float64Array and a string table (flow-entry-codec.ts). Same surface as FlowWriter;
// readers that must see every flow still call flushAll(), which waits for the thread.
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../util/log.ts';
import { encodeEntries } from './flow-entry-codec.ts';
import { repointEntry, type FlowEntry } from './flow-store.ts';
import { STATE, STATE_SLOTS, type WriterMessage, type WriterReport, type WriterThreadData } from './flow-writer-protocol.ts';
import type { FlowWriter } from './flow-writer.ts';
import { siblingModule, startWorker } from '../../util/worker-module.ts';

export interface FlowWriterThreadOptions {
  stepMs: number;
  pauseMs: number;
  pruneBatch: number;
  /** How long a synchronous flush waits for the thread before giving up (and logging). */
  flushWaitMs: number;
  /** Nice value of the thread: the receive thread comes first on a busy core. */
  nice: number;
  /** Entries encoded and handed over per turn of the event loop. */
  chunk: number;
}

// 20 ms transactions with 2 ms between them: a graph write on the main connection waits for the
// SQLite lock one transaction at most; shorter ones cost more CPU per entry (each commit writes the
// touched index pages again: 2 ms steps took ~0.8 µs more per datagram than 5–20 ms in the bench
// stream), and the receive path no longer waits on them.
const DEFAULTS: FlowWriterThreadOptions = { stepMs: 20, pauseMs: 2, pruneBatch: 500, flushWaitMs: 30_000, nice: 10, chunk: 2_000 };

export class FlowWriterThread {
  private worker: Worker | undefined;
  private readonly state = new Float64Array(new SharedArrayBuffer(STATE_SLOTS * 8));
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;
  private sent = 0;
  /** Entries not handed over yet: encoding a 180k-entry flush at once held the receive thread ~0.2 s. */
  private readonly queue: FlowEntry[][] = [];
  private at = 0;
  private queued = 0;
  private pump: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly opts: FlowWriterThreadOptions;
  onTransaction: (() => void) | undefined;
  onFailure: ((err: unknown, rows: number) => void) | undefined;

  constructor(
    private readonly file: string,
    private readonly log: Logger,
    /** Writes on the main connection what comes after stop() (a last reader's flush at shutdown). */
    private readonly after: FlowWriter,
    opts: Partial<FlowWriterThreadOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  get written(): number {
    return this.state[STATE.written]!;
  }

  get transactions(): number {
    return this.state[STATE.transactions]!;
  }

  get lastWrite(): number {
    return this.state[STATE.lastWrite]!;
  }

  /** Entries handed over and neither written nor dropped yet. */
  get pending(): number {
    return this.inThread() + this.queued + this.after.pending;
  }

  private inThread(): number {
    return this.sent - this.state[STATE.written]! - this.state[STATE.dropped]!;
  }

  private post(m: WriterMessage, transfer: ArrayBuffer[] = []): void {
    this.thread().postMessage(m, transfer);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const data: WriterThreadData = {
      file: this.file,
      state: this.state.buffer,
      done: this.done.buffer,
      stepMs: this.opts.stepMs,
      pauseMs: this.opts.pauseMs,
      pruneBatch: this.opts.pruneBatch,
      // Waiting on the main connection's lock costs this thread only.
      busyTimeoutMs: 30_000,
      nice: this.opts.nice,
    };
    const w = startWorker(siblingModule(import.meta.url, 'flow-writer-worker'), data);
    // Never keeps the process alive by itself: stop() writes what is pending and closes it.
    w.unref();
    w.on('message', (r: WriterReport) => {
      if (r.type === 'wrote') for (let i = 0; i < r.transactions; i++) this.onTransaction?.();
      else this.failed(new Error(r.message), r.rows);
    });
    w.on('error', (err) => {
      // What the thread held is lost with it; the next enqueue starts another.
      const rows = this.inThread();
      this.state[STATE.dropped] = this.state[STATE.dropped]! + rows;
      this.failed(err, rows);
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
    });
    this.worker = w;
    return w;
  }

  private failed(err: unknown, rows: number): void {
    if (this.onFailure) this.onFailure(err, rows);
    else this.log.error({ err, rows }, 'flow write failed; pending entries dropped');
  }

  /**
   * Starts the thread now rather than at the first flush: loading its modules costs a core for a
   * moment, better spent before the listeners open than in the middle of ingest.
   */
  start(): void {
    if (!this.stopped) this.thread();
  }

  enqueue(entries: FlowEntry[]): void {
    if (this.stopped) return this.after.enqueue(entries);
    if (entries.length === 0) return;
    this.queue.push(entries);
    this.queued += entries.length;
    this.pump ??= setImmediate(() => this.handOver(this.opts.chunk));
  }

  /** Encodes and posts up to `max` queued entries; the rest a turn of the event loop later. */
  private handOver(max: number): void {
    this.pump = undefined;
    let left = max;
    while (left > 0 && this.queue.length > 0) {
      const b = this.queue[0]!;
      const end = Math.min(b.length, this.at + left);
      const enc = encodeEntries(this.at === 0 && end === b.length ? b : b.slice(this.at, end));
      left -= enc.count;
      this.queued -= enc.count;
      this.sent += enc.count;
      this.post({ type: 'rows', ...enc }, [enc.nums.buffer as ArrayBuffer]);
      this.at = end;
      if (this.at >= b.length) {
        this.queue.shift();
        this.at = 0;
      }
    }
    if (this.queue.length > 0) this.pump = setImmediate(() => this.handOver(this.opts.chunk));
  }

  /** Pending rows and rows already stored that name a node merged away name where it lives now. */
  repoint(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0 || this.stopped) return;
    this.queue.forEach((b, n) => {
      for (let i = n === 0 ? this.at : 0; i < b.length; i++) repointEntry(b[i]!, moved);
    });
    this.post({ type: 'repoint', moved: [...moved] });
  }

  pruneBefore(windowCut: number, rollupCut: number): void {
    if (this.stopped) return;
    this.post({ type: 'prune', windowCut, rollupCut });
  }

  /** Waits until the thread has written everything handed over so far. */
  flushAll(): void {
    if (this.stopped) return this.after.flushAll();
    if (!this.worker && this.queued === 0) return;
    this.request('flush');
  }

  /** Writes what is pending and closes the thread's connection; later entries are ignored. */
  stop(): void {
    if (this.stopped) return;
    if (this.worker || this.queued > 0) this.request('stop');
    this.stopped = true;
  }

  /** Resolves once the thread has exited (at once when none runs). */
  exited(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    return new Promise((res) => {
      w.once('exit', () => res());
      // Its connection is closed and everything written (stop()): nothing is lost by ending it now.
      if (this.stopped) void w.terminate();
    });
  }

  private request(type: 'flush' | 'stop'): void {
    if (this.pump) clearImmediate(this.pump);
    this.handOver(Infinity);
    const seq = ++this.seq;
    this.post({ type, seq });
    const until = Date.now() + this.opts.flushWaitMs;
    // Atomics.wait on the main thread: a synchronous reader (/api/flows) must see every flow.
    while (Atomics.load(this.done, 0) < seq) {
      const left = until - Date.now();
      if (left <= 0 || !this.worker) {
        this.log.error({ waitedMs: this.opts.flushWaitMs }, 'flow writer thread did not answer; flows may be missing from this read');
        return;
      }
      Atomics.wait(this.done, 0, Atomics.load(this.done, 0), Math.min(left, 100));
    }
  }
}
