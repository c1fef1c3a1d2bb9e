// The ClickHouse link's worker thread: owns the HTTP requests. Queued inserts (merged into one
// INSERT while they wait) and mutations run strictly in order, then a synchronous read sees them.
// A server that does not answer is retried with backoff, and while it is down reads are answered at
// once (failing fast) instead of waiting behind the retries: the main thread never blocks for long.
import { parentPort, workerData } from 'node:worker_threads';
import type { ChRequest, ChNotice, ChReply, ChWorkerConfig } from './clickhouse-protocol.ts';
import { INSERT_QUERY, schemaStatements } from './clickhouse-sql.ts';

const cfg = workerData as ChWorkerConfig;
const port = parentPort!;
const signal = new Int32Array(cfg.signal);
const base = new URL(cfg.url);
const database = decodeURIComponent(base.pathname.replace(/^\/+|\/+$/g, '')) || 'default';
const auth =
  base.username || base.password
    ? {
        Authorization: `Basic ${Buffer.from(`${decodeURIComponent(base.username || 'default')}:${decodeURIComponent(base.password)}`).toString('base64')}`,
      }
    : undefined;
const endpoint = `${base.protocol}//${base.host}/`;

/** The server could not be reached or dropped the connection: worth retrying, unlike an error it sent. */
class Unreachable extends Error {}
/**
 * The server took the request but did not answer in time: it may still apply it, so an insert is
 * not sent again (a retry would store the rows twice; plain MergeTree does not deduplicate).
 */
class Unanswered extends Error {}

async function request(sql: string, body?: string, withDb = true): Promise<string> {
  // An insert may take longer than a query on a busy server; giving up on it early only loses rows.
  const timeoutMs = body === undefined ? cfg.requestTimeoutMs : cfg.requestTimeoutMs * 6;
  const params = new URLSearchParams();
  if (withDb) params.set('database', database);
  if (body !== undefined) params.set('query', sql);
  let r: Response;
  try {
    r = await fetch(`${endpoint}?${params}`, {
      method: 'POST',
      body: body ?? sql,
      ...(auth ? { headers: auth } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new Unanswered(`no answer within ${timeoutMs} ms`);
    const c = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Unreachable(c?.code ?? c?.message ?? (e as Error).message);
  }
  const text = await r.text().catch((e: unknown) => {
    throw new Unanswered(String(e));
  });
  if (!r.ok) throw new Error(`HTTP ${r.status}: ${text.trim().slice(0, 500)}`);
  return text;
}

const queue: ChRequest[] = [];
let running = false;
let schemaReady = false;
let down = false;
let backoff = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const notice = (n: ChNotice) => port.postMessage(n);

function setDown(d: boolean, error?: string): void {
  if (d === down) return;
  down = d;
  notice({ op: 'state', up: !d, ...(error ? { error } : {}) });
}

async function ensureSchema(): Promise<void> {
  if (schemaReady) return;
  if (database !== 'default') await request(`CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '')}\``, undefined, false);
  for (const s of schemaStatements()) await request(s);
  schemaReady = true;
}

/** Runs `work` until the server answers; an error the server sends is retried twice, then given up. */
async function persist(work: () => Promise<void>): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureSchema();
      await work();
      backoff = 100;
      setDown(false);
      return undefined;
    } catch (e) {
      if (e instanceof Unreachable) {
        setDown(true, message(e));
        notice({ op: 'retry', error: message(e) });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        attempt = 0;
        continue;
      }
      // Unanswered: given up at once (see above); an error the server sent: retried twice.
      if (e instanceof Unanswered || attempt >= 3) return message(e);
      await sleep(50 * attempt);
    }
  }
}

async function waitMutations(): Promise<void> {
  // Mutations run in the background; a read after a repoint must see it (18.16 has no mutations_sync).
  const deadline = Date.now() + cfg.requestTimeoutMs;
  while (Date.now() < deadline) {
    const n = Number((await request('SELECT count() FROM system.mutations WHERE database = currentDatabase() AND is_done = 0')).trim());
    if (n === 0) return;
    await sleep(20);
  }
}

async function runSync(r: Extract<ChRequest, { op: 'sync' }>): Promise<void> {
  let reply: ChReply;
  try {
    await ensureSchema();
    const results: string[] = [];
    for (const s of r.sql) results.push(await request(s));
    reply = { id: r.id, ok: true, results };
    setDown(false);
  } catch (e) {
    if (e instanceof Unreachable) setDown(true, message(e));
    reply = { id: r.id, ok: false, error: message(e) };
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
      if (head.op === 'insert') {
        // Inserts waiting together go as one request (ClickHouse prefers few large inserts).
        let n = 0;
        let rows = 0;
        while (n < queue.length && queue[n]!.op === 'insert' && rows < cfg.maxInsertRows) rows += (queue[n++] as { rows: number }).rows;
        const items = queue.splice(0, n) as Extract<ChRequest, { op: 'insert' }>[];
        const body = items.map((i) => i.body).join('');
        const error = await persist(async () => void (await request(INSERT_QUERY, body)));
        if (error) notice({ op: 'failed', rows, error });
        notice({ op: 'done', upTo: items[items.length - 1]!.id, rows });
      } else if (head.op === 'exec') {
        queue.shift();
        const error = await persist(async () => {
          for (const s of head.sql) await request(s);
          await waitMutations();
        });
        if (error) notice({ op: 'failed', rows: 0, error });
        notice({ op: 'done', upTo: head.id, rows: 0 });
      } else if (head.op === 'sync') {
        queue.shift();
        await runSync(head);
      } else {
        queue.shift();
        notice({ op: 'closed' });
        port.close();
        return;
      }
    }
  } finally {
    running = false;
  }
}

port.on('message', (r: ChRequest) => {
  // While the server is down the queue is stuck retrying: a read is tried at once instead.
  if (r.op === 'sync' && down && running) {
    void runSync(r);
    return;
  }
  queue.push(r);
  void pump();
});
