// FlowRecordStore on ClickHouse (flows.store: clickhouse), over its HTTP interface. Writes are sent
// behind through a worker thread and never block or fail the flow writer: rows beyond a bound while
// the server is slow or down are dropped and counted. Reads (synchronous, like every storage read)
// wait on the worker, which answers them after the inserts queued before (fast failure while down).
// Raw rows plus 1 m / 5 m / 1 h rollups (materialized views); retention drops whole partitions and
// hides the rows of a partition that is only partly past its cut until it goes.
import { MessageChannel, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { siblingModule, startWorker } from '../../util/worker-module.ts';
import type { FlowAggregate, FlowEntry, FlowQuery, FlowRecordStore } from './flow-records.ts';
import type { ChNotice, ChReply, ChRequest, ChWorkerConfig } from './clickhouse-protocol.ts';
import { aggregateOf, int, querySql, RAW, repointStatements, rowLine, str, TIERS, type Source } from './clickhouse-sql.ts';
import { redactUrl } from './postgres-link.ts';

export interface ClickhouseOptions {
  /** http://[user[:password]@]host:port[/database] */
  url: string;
  /** Rows accepted but not yet confirmed by the server; beyond it new rows are dropped (counted). */
  maxQueuedRows?: number;
  /** How long one query may take (an insert: six times this; one not answered by then is not sent again, its rows count as dropped). */
  requestTimeoutMs?: number;
  /** How long a synchronous read may wait (inserts queued ahead of it) before it throws. */
  syncTimeoutMs?: number;
  /** Retention of the 5 m and 1 h rollups (ms); 0: the 1 m rollups' cut (the one prune() is given). */
  retention5mMs?: number;
  retention1hMs?: number;
  /** Retries, drops and failures, for the owner's rate-limited logger. */
  onProblem?: (what: 'retry' | 'dropped' | 'failed' | 'down' | 'prune', error: string) => void;
  now?: () => number;
}

export interface ClickhouseStats {
  queuedRows: number;
  writtenRows: number;
  /** Rows dropped because the queue was full, or after the server refused them. */
  droppedRows: number;
  up: boolean;
  lastError: string | null;
}

export class ClickhouseFlowStore implements FlowRecordStore {
  readonly stats: ClickhouseStats = { queuedRows: 0, writtenRows: 0, droppedRows: 0, up: true, lastError: null };
  private readonly worker: Worker;
  private readonly replies = new MessageChannel();
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly maxQueued: number;
  private readonly syncTimeoutMs: number;
  private readonly now: () => number;
  private nextId = 0;
  private sent = 0;
  private done = 0;
  private readonly waiters: { upTo: number; resolve: () => void }[] = [];
  private closed = false;
  /** Visible-from cuts: raw rows by `last`, rollups by bucket start (raised by prune). */
  private cutRaw = 0;
  private readonly cuts = [0, 0, 0];

  constructor(private readonly opts: ClickhouseOptions) {
    this.maxQueued = opts.maxQueuedRows ?? 1_000_000;
    this.syncTimeoutMs = opts.syncTimeoutMs ?? 15_000;
    this.now = opts.now ?? Date.now;
    const cfg: ChWorkerConfig = {
      url: opts.url,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      // Inserts of this size take a few seconds on a busy 18.16 server, well inside their timeout.
      maxInsertRows: 50_000,
      signal: this.signal.buffer,
      replies: this.replies.port2,
    };
    this.worker = startWorker(siblingModule(import.meta.url, 'clickhouse-worker'), cfg, [this.replies.port2]);
    this.worker.unref();
    this.worker.on('message', (n: ChNotice) => this.notice(n));
    this.worker.on('error', (e) => this.problem('failed', `worker: ${e.message}`));
  }

  private problem(what: Parameters<NonNullable<ClickhouseOptions['onProblem']>>[0], error: string): void {
    this.stats.lastError = error;
    this.opts.onProblem?.(what, error);
  }

  private notice(n: ChNotice): void {
    if (n.op === 'done') {
      this.done = n.upTo;
      this.stats.queuedRows = Math.max(0, this.stats.queuedRows - n.rows);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.waiters[i]!.upTo <= this.done) this.waiters.splice(i, 1)[0]!.resolve();
      }
    } else if (n.op === 'failed') {
      this.stats.droppedRows += n.rows;
      this.stats.writtenRows -= n.rows;
      this.problem('failed', n.error);
    } else if (n.op === 'retry') this.problem('retry', n.error);
    else if (n.op === 'state') {
      this.stats.up = n.up;
      if (!n.up) this.problem('down', n.error ?? 'unreachable');
    }
  }

  private post(r: ChRequest): void {
    if (this.closed) throw new Error('clickhouse flow store is closed');
    this.worker.postMessage(r);
  }

  writeSome(entries: readonly FlowEntry[], start: number, deadline: number): number {
    let i = start;
    if (i >= entries.length) return i;
    let body = '';
    for (; i < entries.length; i++) {
      body += rowLine(entries[i]!) + '\n';
      if ((i & 31) === 31 && performance.now() > deadline) {
        i++;
        break;
      }
    }
    const rows = i - start;
    if (this.stats.queuedRows + rows > this.maxQueued) {
      // The server is behind or away: the flow writer must go on, so these rows go (counted).
      this.stats.droppedRows += rows;
      this.problem('dropped', `${rows} flow rows dropped: ${this.stats.queuedRows} rows already queued for ${redactUrl(this.opts.url)}`);
      return i;
    }
    const id = ++this.nextId;
    this.sent = id;
    this.stats.queuedRows += rows;
    this.stats.writtenRows += rows;
    this.post({ op: 'insert', id, rows, body });
    return i;
  }

  repointNodes(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0) return;
    const id = ++this.nextId;
    this.sent = id;
    this.post({ op: 'exec', id, sql: repointStatements(moved) });
  }

  /** Answers of statements run after everything queued (blocking this thread until they come). */
  private sync(sql: string[]): string[] {
    const id = ++this.nextId;
    const deadline = Date.now() + this.syncTimeoutMs;
    let last = Atomics.load(this.signal, 0);
    this.post({ op: 'sync', id, sql });
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`clickhouse (${redactUrl(this.opts.url)}): no answer within ${this.syncTimeoutMs} ms`);
      Atomics.wait(this.signal, 0, last, left);
      last = Atomics.load(this.signal, 0);
      for (let m = receiveMessageOnPort(this.replies.port1); m; m = receiveMessageOnPort(this.replies.port1)) {
        const reply = m.message as ChReply;
        if (reply.id !== id) continue; // a read that timed out earlier
        if (!reply.ok) throw new Error(`clickhouse (${redactUrl(this.opts.url)}): ${reply.error}`);
        return reply.results!;
      }
    }
  }

  prune(windowCut: number, rollupCut: number): number {
    const now = this.now();
    const next = [
      Math.max(this.cuts[0]!, rollupCut),
      Math.max(this.cuts[1]!, this.opts.retention5mMs ? now - this.opts.retention5mMs : rollupCut),
      Math.max(this.cuts[2]!, this.opts.retention1hMs ? now - this.opts.retention1hMs : rollupCut),
    ];
    const rawCut = Math.max(this.cutRaw, windowCut);
    const tables: string[] = [RAW.table, ...TIERS.map((t) => t.table)];
    const olds = [this.cutRaw, ...this.cuts];
    const news = [rawCut, ...next];
    // The writer asks at every flush (seconds apart): a round trip to the server once the cuts have moved a minute is enough.
    if (news.every((c, k) => c - olds[k]! < 60_000)) return 0;
    // What leaves the visible range now, counted before its partitions go.
    const counts = tables.map(
      (t, k) => `SELECT count() FROM ${t} WHERE ${k ? 't' : 'last'} >= ${int(olds[k]!)} AND ${k ? 't' : 'last'} < ${int(news[k]!)}`,
    );
    let answers: string[];
    try {
      answers = this.sync([
        ...counts,
        `SELECT table, partition FROM system.parts WHERE database = currentDatabase() AND active AND table IN (${tables.map(str).join(', ')})
          GROUP BY table, partition FORMAT JSONEachRow`,
      ]);
    } catch (e) {
      // Retention is best effort: a server away now is pruned on a later pass (and the writer keeps its rows).
      this.problem('prune', (e as Error).message);
      return 0;
    }
    this.cutRaw = rawCut;
    next.forEach((c, k) => (this.cuts[k] = c));
    const spans = [RAW.partition, ...TIERS.map((t) => t.partition)];
    const drops: string[] = [];
    for (const line of answers[answers.length - 1]!.split('\n')) {
      if (!line) continue;
      const p = JSON.parse(line) as { table: string; partition: string };
      const k = tables.indexOf(p.table);
      // A partition wholly before its table's cut: dropped (ClickHouse 18.16 has no TTL).
      if (k >= 0 && (Number(p.partition) + 1) * spans[k]! <= news[k]!)
        drops.push(`ALTER TABLE ${p.table} DROP PARTITION ${int(Number(p.partition))}`);
    }
    if (drops.length) {
      const id = ++this.nextId;
      this.sent = id;
      this.post({ op: 'exec', id, sql: drops });
    }
    // Counted as the contract has it: window rows and 1-minute rollups (the coarser tiers go silently).
    return Number(answers[0]!.trim()) + Number(answers[1]!.trim());
  }

  query(q: FlowQuery, windowStart: number): FlowAggregate[] {
    let src: Source;
    if (q.from === undefined || q.from >= windowStart) src = { table: RAW.table, first: 'first', last: 'last', width: 0, cut: this.cutRaw };
    else {
      // The finest rollup reaching back to `from` (or reaching back furthest).
      let k = 0;
      while (k < TIERS.length - 1 && q.from < this.cuts[k]! && this.cuts.slice(k + 1).some((c) => c < this.cuts[k]!)) k++;
      src = { table: TIERS[k]!.table, first: 't', last: 't', width: TIERS[k]!.width, cut: this.cuts[k]! };
    }
    const sql = querySql(q, src);
    if (!sql) return [];
    const [body] = this.sync([sql]);
    return body!
      .split('\n')
      .filter((l) => l)
      .map((l) => aggregateOf(JSON.parse(l) as Record<string, unknown>));
  }

  /** Resolves once every row and statement sent so far has been answered (written or given up). */
  flush(): Promise<void> {
    const upTo = this.sent;
    if (upTo <= this.done) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  /** Waits (blocking, bounded) for the queued writes, then ends the worker; rows still queued are counted as dropped. */
  close(): void {
    if (this.closed) return;
    // The worker's 'done' notices are not delivered while this thread blocks: a read that came back means all went.
    let drained = this.sent <= this.done;
    if (!drained && this.stats.up) {
      try {
        this.sync(['SELECT 1']);
        drained = true;
      } catch (e) {
        this.problem('failed', `closing with ${this.stats.queuedRows} rows not confirmed: ${(e as Error).message}`);
      }
    }
    if (!drained) this.stats.droppedRows += this.stats.queuedRows;
    this.stats.queuedRows = 0;
    this.closed = true;
    void this.worker.terminate();
    this.replies.port1.close();
  }
}
