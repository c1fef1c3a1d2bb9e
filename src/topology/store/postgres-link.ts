// The main thread's side of the PostgreSQL connection. Canopy's storage interfaces are synchronous
// (docs/architecture.md, "Reads are synchronous"), `pg` is not: a worker thread owns the pool, and
// this link either queues statements behind (writes: `send`, acknowledged later, `flush` awaits them)
// or blocks on an Atomics wait until the worker answers (reads and the few writes that return a
// value: `sync`). One queue in the worker keeps both in order, so a read sees every write before it.
import { MessageChannel, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { siblingModule, startWorker } from '../../util/worker-module.ts';
import type { ChangeRow, Notice, Request, Stmt, StmtResult, SyncReply, WorkerConfig } from './postgres-protocol.ts';

export interface PostgresOptions {
  /** postgres://user[:password]@host:port/db */
  url: string;
  /** Server-side statement_timeout (ms). */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** How long a synchronous read may wait (queued writes ahead of it, reconnects) before it throws. */
  syncTimeoutMs?: number;
  poolSize?: number;
}

export interface LinkStats {
  queued: number;
  written: number;
  retries: number;
  failed: number;
  lastError: string | null;
  feedUp: boolean;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export class PostgresLink {
  private readonly worker: Worker;
  private readonly replies: MessageChannel;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 0;
  private sent = 0;
  private done = 0;
  private readonly waiters: { upTo: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly failures: { id: number; error: string }[] = [];
  private closed = false;
  private dead = false;
  readonly stats: LinkStats = { queued: 0, written: 0, retries: 0, failed: 0, lastError: null, feedUp: false };
  /** Rows of the change log written by anyone (the graph store filters its own). */
  onChanges: (rows: ChangeRow[]) => void = () => undefined;
  /** Retries and failures, for the owner's logger. */
  onProblem: (what: 'retry' | 'failed' | 'feed-down', error: string) => void = () => undefined;
  private readonly syncTimeoutMs: number;

  constructor(readonly opts: PostgresOptions) {
    this.syncTimeoutMs = opts.syncTimeoutMs ?? 30_000;
    this.replies = new MessageChannel();
    const cfg: WorkerConfig = {
      url: opts.url,
      statementTimeoutMs: opts.statementTimeoutMs ?? 15_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
      poolSize: opts.poolSize ?? 4,
      signal: this.signal.buffer,
      replies: this.replies.port2,
      channel: 'canopy_graph',
    };
    this.worker = startWorker(siblingModule(import.meta.url, 'postgres-worker'), cfg, [this.replies.port2]);
    // The worker never keeps the process alive by itself; close() drains it.
    this.worker.unref();
    this.worker.on('message', (n: Notice) => this.notice(n));
    this.worker.on('error', (e) => {
      this.stats.lastError = e.message;
      this.onProblem('failed', `worker: ${e.message}`);
    });
    // A worker gone while writes are unconfirmed: whoever awaits them hears it.
    this.worker.on('exit', () => {
      this.dead = true;
      for (const w of this.waiters.splice(0))
        w.reject(new Error(`postgres: connection worker ended (${this.stats.lastError ?? 'closed'})`));
    });
  }

  private notice(n: Notice): void {
    switch (n.op) {
      case 'done': {
        this.stats.written += n.upTo - this.done;
        this.done = n.upTo;
        this.stats.queued = this.sent - this.done;
        let reported = 0;
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          const w = this.waiters[i]!;
          if (w.upTo > this.done) continue;
          this.waiters.splice(i, 1);
          const failed = this.failures.filter((f) => f.id <= w.upTo);
          if (failed.length) {
            w.reject(new Error(`postgres: ${failed.length} write(s) failed: ${failed[0]!.error}`));
            reported = Math.max(reported, w.upTo);
          } else w.resolve();
        }
        // A failure stays until a flush has reported it (to every flush settled with it), then is forgotten.
        if (reported) this.failures.splice(0, this.failures.length, ...this.failures.filter((f) => f.id > reported));
        break;
      }
      case 'failed':
        this.stats.failed++;
        this.stats.lastError = n.error;
        this.failures.push({ id: n.id, error: n.error });
        this.onProblem('failed', n.error);
        break;
      case 'retry':
        this.stats.retries++;
        this.stats.lastError = n.error;
        this.onProblem('retry', n.error);
        break;
      case 'changes':
        this.onChanges(n.rows);
        break;
      case 'feed':
        this.stats.feedUp = n.state === 'up';
        if (n.state === 'down') this.onProblem('feed-down', n.error ?? '');
        break;
      case 'closed':
        break;
    }
  }

  private post(r: Request): void {
    if (this.closed) throw new Error('postgres storage is closed');
    if (this.dead) throw new Error(`postgres: connection worker ended (${this.stats.lastError ?? 'unknown'})`);
    this.worker.postMessage(r);
  }

  /** Queues statements to run in one transaction, behind; `lock` serialises graph batches across collectors. */
  send(stmts: Stmt[], lock = false): void {
    if (stmts.length === 0) return;
    const id = ++this.nextId;
    this.sent = id;
    this.stats.queued = this.sent - this.done;
    this.post({ op: 'tx', id, stmts, lock });
  }

  /** Runs statements after everything queued and waits for their results (blocking this thread). */
  sync(stmts: Stmt[], tx = false): StmtResult[] {
    const id = ++this.nextId;
    const seen = Atomics.load(this.signal, 0);
    const deadline = Date.now() + this.syncTimeoutMs;
    this.post({ op: 'sync', id, stmts, tx, deadline });
    let last = seen;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`postgres (${redactUrl(this.opts.url)}): no answer within ${this.syncTimeoutMs} ms`);
      Atomics.wait(this.signal, 0, last, left);
      last = Atomics.load(this.signal, 0);
      // Replies to reads that timed out earlier may come first: skip them.
      for (let m = receiveMessageOnPort(this.replies.port1); m; m = receiveMessageOnPort(this.replies.port1)) {
        const reply = m.message as SyncReply;
        if (reply.id === -1) {
          this.dead = true;
          this.stats.lastError = reply.error ?? 'connection worker failed';
          throw new Error(`postgres: ${this.stats.lastError}`);
        }
        if (reply.id !== id) continue;
        if (!reply.ok) throw new Error(`postgres (${redactUrl(this.opts.url)}): ${reply.error}`);
        return reply.results!;
      }
    }
  }

  /** The rows of one statement, run synchronously. */
  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): T[] {
    return this.sync([{ sql, params }])[0]!.rows as T[];
  }

  /** Starts delivering change-log rows after `since` to onChanges. */
  follow(since: number): void {
    this.post({ op: 'follow', since });
  }

  /** Resolves once every statement sent so far is committed; rejects when one of them failed for good. */
  flush(): Promise<void> {
    const upTo = this.sent;
    if (upTo <= this.done && this.failures.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject });
      if (upTo <= this.done) this.notice({ op: 'done', upTo: this.done });
    });
  }

  /** Ends the worker at once, without waiting for queued writes (an open that failed has none). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
    this.replies.port1.close();
  }

  /** Waits (blocking) for the queued writes, then ends the pool and the worker. */
  close(): void {
    if (this.closed) return;
    let drained = true;
    try {
      this.sync([{ sql: 'SELECT 1' }]);
    } catch (e) {
      drained = false;
      this.onProblem('failed', `closing with ${this.sent - this.done} write(s) not confirmed: ${(e as Error).message}`);
    }
    this.closed = true;
    if (drained) this.worker.postMessage({ op: 'close' } satisfies Request);
    else void this.worker.terminate();
    this.replies.port1.close();
  }
}
