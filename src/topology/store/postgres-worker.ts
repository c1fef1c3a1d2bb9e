// The PostgreSQL link's worker thread: owns the `pg` pool and the LISTEN connection, runs the
// statements the main thread sends strictly in arrival order (queued writes, then a synchronous read
// sees them), retries what failed on the connection with backoff, and follows the change log.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import {
  isConnectionError,
  type ChangeRow,
  type Notice,
  type Request,
  type StmtResult,
  type SyncReply,
  type WorkerConfig,
} from './postgres-protocol.ts';

// bigint (count, epoch ms) and numeric (sum) as numbers: every value Canopy stores fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

const cfg = workerData as WorkerConfig;
const port = parentPort!;
const signal = new Int32Array(cfg.signal);
const pool = new pg.Pool({
  connectionString: cfg.url,
  max: cfg.poolSize,
  statement_timeout: cfg.statementTimeoutMs,
  query_timeout: cfg.statementTimeoutMs + 1000,
  connectionTimeoutMillis: cfg.connectTimeoutMs,
  application_name: 'canopy',
});
// An idle client losing its server must not crash the worker; the next checkout reconnects.
pool.on('error', () => undefined);

// A bug here must not leave the main thread blocked on a read until its timeout: tell it, then end.
process.on('uncaughtException', (e) => {
  cfg.replies.postMessage({ id: -1, ok: false, error: `connection worker failed: ${message(e)}` } satisfies SyncReply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
  throw e;
});

const queue: Request[] = [];
let running = false;
let closing = false;
const notice = (n: Notice) => port.postMessage(n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function runStmts(client: pg.PoolClient, stmts: { sql: string; params?: unknown[] }[]): Promise<StmtResult[]> {
  const out: StmtResult[] = [];
  for (const s of stmts) {
    const r = await client.query(s.sql, s.params);
    out.push({ rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 });
  }
  return out;
}

/** One transaction; throws what failed (the connection is released as broken when it was one). */
async function transaction<T>(body: (c: pg.PoolClient) => Promise<T>, wrap = true): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The server may drop a checked-out connection between statements: an unheard 'error' would end the worker.
  const onError = (e: Error) => (broken = e);
  client.on('error', onError);
  try {
    if (wrap) await client.query('BEGIN');
    const r = await body(client);
    if (wrap) await client.query('COMMIT');
    return r;
  } catch (e) {
    if (isConnectionError(e)) broken = e as Error;
    else if (wrap) await client.query('ROLLBACK').catch((x: unknown) => (broken = x as Error));
    throw e;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

const GRAPH_LOCK = 'SELECT pg_advisory_xact_lock(7220155)';
let backoff = 50;

/** Runs queued writes (`items`, all op 'tx') as one transaction; on a statement error, one by one. */
async function runWrites(items: Extract<Request, { op: 'tx' }>[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await transaction(async (c) => {
        // Graph batches serialise across collectors, so the change log's order is the commit order.
        if (items.some((i) => i.lock)) await c.query(GRAPH_LOCK);
        for (const i of items) await runStmts(c, i.stmts);
      });
      backoff = 50;
      notice({ op: 'done', upTo: items[items.length - 1]!.id });
      return;
    } catch (e) {
      if (isConnectionError(e)) {
        notice({ op: 'retry', error: message(e), delayMs: backoff });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        attempt = 0;
        continue;
      }
      if (items.length > 1) {
        // Find the batch at fault; the others commit on their own.
        for (const i of items) await runWrites([i]);
        return;
      }
      if (attempt >= 3) {
        notice({ op: 'failed', id: items[0]!.id, error: message(e) });
        notice({ op: 'done', upTo: items[0]!.id });
        return;
      }
      await sleep(50 * attempt);
    }
  }
}

async function runSync(r: Extract<Request, { op: 'sync' }>): Promise<void> {
  let reply: SyncReply;
  // Answer before the caller gives up, so that it hears why (refused, authentication, DNS) rather than a timeout.
  const giveUp = r.deadline - 300;
  for (;;) {
    try {
      const results = await transaction((c) => runStmts(c, r.stmts), r.tx);
      reply = { id: r.id, ok: true, results };
      break;
    } catch (e) {
      // A read waits out a reconnect like a write does (the caller's own timeout bounds it).
      if (isConnectionError(e) && !closing && Date.now() + backoff < giveUp) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      reply = { id: r.id, ok: false, error: message(e) || String((e as { code?: unknown }).code ?? e) };
      break;
    }
  }
  cfg.replies.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

async function pump(): Promise<void> {
  if (running) return;
  running = true;
  try {
    while (queue.length) {
      const head = queue[0]!;
      if (head.op === 'tx') {
        // Consecutive writes share one transaction: one commit (and one fsync) for many batches.
        let n = 0;
        while (n < queue.length && n < 256 && queue[n]!.op === 'tx') n++;
        const items = queue.splice(0, n) as Extract<Request, { op: 'tx' }>[];
        await runWrites(items);
      } else {
        queue.shift();
        if (head.op === 'sync') await runSync(head);
        else if (head.op === 'close') {
          closing = true;
          stopFeed();
          await pool.end().catch(() => undefined);
          notice({ op: 'closed' });
          port.close();
          return;
        }
      }
    }
  } finally {
    running = false;
  }
}

// ---- change feed: LISTEN, then read the log after the last sequence number seen ----

let since = -1;
let listener: pg.Client | undefined;
let fetching = false;
let again = false;
let feedBackoff = 100;
let poll: NodeJS.Timeout | undefined;
let reconnect: NodeJS.Timeout | undefined;

async function fetchChanges(): Promise<void> {
  if (since < 0 || closing) return;
  if (fetching) {
    again = true;
    return;
  }
  fetching = true;
  try {
    do {
      again = false;
      const r = await pool.query('SELECT seq, instance, events, aliases FROM graph_changes WHERE seq > $1 ORDER BY seq LIMIT 5000', [
        since,
      ]);
      const rows = r.rows as ChangeRow[];
      if (rows.length) {
        since = rows[rows.length - 1]!.seq;
        notice({ op: 'changes', rows });
        if (rows.length === 5000) again = true;
      }
    } while (again && !closing);
  } catch {
    // The next notification, reconnect or poll reads from the same place.
  } finally {
    fetching = false;
  }
}

async function listen(): Promise<void> {
  if (closing) return;
  const c = new pg.Client({ connectionString: cfg.url, connectionTimeoutMillis: cfg.connectTimeoutMs, application_name: 'canopy-feed' });
  const down = (e: unknown) => {
    if (listener !== c) return;
    listener = undefined;
    c.end().catch(() => undefined);
    notice({ op: 'feed', state: 'down', error: message(e) });
    if (!closing) reconnect = setTimeout(() => void listen(), feedBackoff);
    feedBackoff = Math.min(feedBackoff * 2, 5000);
  };
  listener = c;
  c.on('error', down);
  c.on('end', () => down(new Error('connection ended')));
  c.on('notification', () => void fetchChanges());
  try {
    await c.connect();
    await c.query(`LISTEN ${cfg.channel}`);
    feedBackoff = 100;
    notice({ op: 'feed', state: 'up' });
    await fetchChanges(); // what was committed while not listening
  } catch (e) {
    down(e);
  }
}

function stopFeed(): void {
  clearInterval(poll);
  clearTimeout(reconnect);
  const c = listener;
  listener = undefined;
  void c?.end().catch(() => undefined);
}

port.on('message', (r: Request) => {
  if (r.op === 'follow') {
    since = r.since;
    void listen();
    // A notification lost with its connection is caught up on reconnect; this covers the rest.
    poll = setInterval(() => void fetchChanges(), 5000);
    poll.unref();
    return;
  }
  queue.push(r);
  void pump();
});
