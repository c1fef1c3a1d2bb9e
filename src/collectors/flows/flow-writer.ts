// Paces flow-table flushes and window pruning into SQLite on the collector's one thread: each
// step writes for at most a few milliseconds, then yields, so receive queues keep draining while
// a 10-second flush of tens of thousands of entries goes in (written at once it stalled the
// receive path for over a second, and the kernel dropped datagrams). A backlog that keeps growing
// is written in longer steps; readers that must see everything call `flushAll()`.
import type { Logger } from '../../util/log.ts';
import { repointEntry, type FlowEntry, type FlowStore } from './flow-store.ts';

export interface FlowWriterOptions {
  /** Longest single write step (ms). */
  stepMs: number;
  /** Pause between steps (ms) while nothing is urgent. */
  pauseMs: number;
  /** Pending rows beyond which steps follow each other without a pause. */
  urgentRows: number;
  /** Rows deleted per prune statement. */
  pruneBatch: number;
}

// 2 ms of every ~12: a 10-second flush (20–60k rows at ~20 µs each) spreads over a few seconds
// while the receive path keeps over 80 % of the core.
const DEFAULTS: FlowWriterOptions = { stepMs: 2, pauseMs: 10, urgentRows: 200_000, pruneBatch: 500 };

export class FlowWriter {
  private readonly batches: FlowEntry[][] = [];
  /** Next row of batches[0]. */
  private at = 0;
  private pendingRows = 0;
  private prune: { windowCut: number; rollupCut: number } | undefined;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly opts: FlowWriterOptions;
  written = 0;
  transactions = 0;
  onTransaction: (() => void) | undefined;
  /** Counts and logs a failed write (rate-limited); without it each failure is logged. */
  onFailure: ((err: unknown, rows: number) => void) | undefined;
  lastWrite = 0;

  constructor(
    private readonly store: FlowStore,
    private readonly log: Logger,
    opts: Partial<FlowWriterOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  get pending(): number {
    return this.pendingRows;
  }

  enqueue(entries: FlowEntry[]): void {
    if (entries.length === 0) return;
    this.batches.push(entries);
    this.pendingRows += entries.length;
    this.schedule();
  }

  /** Rows not written yet that name a node merged away name where it lives now. */
  repoint(moved: ReadonlyMap<string, string>): void {
    this.batches.forEach((b, n) => {
      for (let i = n === 0 ? this.at : 0; i < b.length; i++) repointEntry(b[i]!, moved);
    });
  }

  /** Rows older than the cuts go, a bounded number per step. */
  pruneBefore(windowCut: number, rollupCut: number): void {
    this.prune = { windowCut, rollupCut };
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    if (this.pendingRows > this.opts.urgentRows) this.timer = setImmediate(() => this.step());
    else {
      this.timer = setTimeout(() => this.step(), this.opts.pauseMs);
      this.timer.unref();
    }
  }

  private step(): void {
    this.timer = undefined;
    const deadline = performance.now() + this.opts.stepMs;
    try {
      while (this.batches.length > 0 && performance.now() < deadline) this.writeFrom(deadline);
      while (this.batches.length === 0 && this.prune && performance.now() < deadline) {
        const n = this.store.prune(this.prune.windowCut, this.prune.rollupCut, this.opts.pruneBatch);
        if (n === 0) this.prune = undefined;
      }
    } catch (err) {
      this.dropPending(err);
      this.prune = undefined;
    }
    if (this.batches.length > 0 || this.prune) this.schedule();
  }

  private writeFrom(deadline: number): void {
    const b = this.batches[0]!;
    const next = this.store.writeSome(b, this.at, deadline);
    this.pendingRows -= next - this.at;
    this.written += next - this.at;
    this.transactions++;
    this.onTransaction?.();
    this.lastWrite = Date.now();
    this.at = next;
    if (this.at >= b.length) {
      this.batches.shift();
      this.at = 0;
    }
  }

  /** Writes everything pending now (readers that must see every flow, and stop()). */
  flushAll(): void {
    if (this.timer) {
      // Either kind: clearTimeout and clearImmediate each ignore the other's handle.
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    try {
      while (this.batches.length > 0) this.writeFrom(Infinity);
    } catch (err) {
      this.dropPending(err);
    }
    if (this.prune) this.schedule();
  }

  /** Writes what is pending; pruning waits for the next start. */
  stop(): void {
    this.prune = undefined;
    this.flushAll();
  }

  /** A failing database must not take the collector down: what could not be written is dropped. */
  private dropPending(err: unknown): void {
    if (this.onFailure) this.onFailure(err, this.pendingRows);
    else this.log.error({ err, rows: this.pendingRows }, 'flow write failed; pending entries dropped');
    this.batches.length = 0;
    this.at = 0;
    this.pendingRows = 0;
  }
}
