// The flood (docs/reliability.md#flood): a real collector process fed real sFlow datagrams over
// loopback, first in short steps of rising rate to find its loss-free rate (the sflow.ingest
// method: loss = sent − received), then at `factor` × that rate for `seconds` by a bounded sender.
// While it floods, GET /api/status and a Gremlin query are timed and the collector's RSS is read
// from /proc. Afterwards the accounting, exactly:
//   sent = received + dropped(socket_overflow, queue_full, truncated) + kernel drops not seen by the
//          collector (node:dgram receiver only; RcvbufErrors is machine-wide, so reported, not asserted);
//          `sent` includes a 0.5 s trailer at 200/s after the flood, which carries the last drops' count
//   accepted = received − dropped(malformed, handler_error)
//   records  = canopy_sflow_records_total{kind="flow"} (flow records in the accepted datagrams)
//   stored   = SELECT sum(flows) FROM flows after a clean stop (every flow-table entry counts
//              the records folded into it), and sum(flows) of flows_1m must match it.
// Every accepted record stored: stored == records.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { templates } from '../sflow-ingest.bench.ts';
import { freeTcpPort, freeUdpPort, HAVE_TASKSET, spawnCollector, type CollectorProcess } from './collector-child.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FloodOptions {
  /** Flood length (s). */
  seconds: number;
  /** Multiple of the loss-free rate the flood runs at. */
  factor: number;
  /** The loss-free rate (datagrams/s); measured when absent. */
  lossFreeRate?: number;
  /** Seconds per measuring step. */
  stepSeconds: number;
  /** RSS bound (bytes) the collector must stay under. */
  rssMax: number;
  /** Distinct flow keys per minute in the stream. */
  keysPerMinute: number;
  /** Highest rate a measuring step tries. */
  maxRate: number;
  /** Bisection steps between the last clean and the first lossy rate. */
  refine: number;
  progress?: (line: string) => void;
}

export interface FloodReport {
  lossFreeRate: number;
  measured: boolean;
  steps: { rate: number; sent: number; received: number; loss: number }[];
  targetRate: number;
  achievedRate: number;
  seconds: number;
  sent: number;
  received: number;
  dropped: Record<string, number>;
  kernelRcvbufErrors: number;
  records: number;
  stored: number;
  storedRollup: number;
  rssStartBytes: number;
  rssMaxBytes: number;
  rssBoundBytes: number;
  api: { status: Latency; gremlin: Latency };
  stillUp: boolean;
  receiver: string;
}

export interface Latency {
  n: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  return Number(lines[1]!.split(/\s+/)[names.indexOf('RcvbufErrors')]);
}

async function send(tplFile: string, port: number, rate: number, seconds: number, keys: number): Promise<number> {
  const args = [
    process.execPath,
    '--import',
    'tsx',
    join(ROOT, 'bench/lib/udp-sender.ts'),
    tplFile,
    '127.0.0.1',
    String(port),
    String(rate),
    String(seconds),
    String(keys),
  ];
  // The sender on CPU 1, the collector on CPU 0 (as bench/sflow-ingest.bench.ts does).
  if (HAVE_TASKSET) args.unshift('taskset', '-c', '1');
  const p = spawn(args[0]!, args.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += String(d)));
  await new Promise((r) => p.on('exit', r));
  return (JSON.parse(out.trim()) as { sent: number }).sent;
}

const RECEIVED = /^canopy_datagrams_received_total\{protocol="sflow"\}/;
const RECORDS = /^canopy_sflow_records_total\{kind="flow"\}/;
const droppedRe = (reason: string) => new RegExp(`^canopy_datagrams_dropped_total\\{protocol="sflow",reason="${reason}"\\}`);
const REASONS = ['socket_overflow', 'queue_full', 'truncated', 'malformed', 'handler_error'];

/** Waits until the received counter stops moving (the receive queue has drained). */
async function settle(c: CollectorProcess): Promise<number> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const r = await c.metric(RECEIVED);
    if (r === last) return r;
    last = r;
    await sleep(500);
  }
  return last;
}

function latency(samples: number[], failures: number): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : 0);
  return { n: s.length, failures, p50Ms: +at(0.5).toFixed(1), p99Ms: +at(0.99).toFixed(1), maxMs: +(s.at(-1) ?? 0).toFixed(1) };
}

async function timed(f: () => Promise<Response>): Promise<number | undefined> {
  const t0 = performance.now();
  try {
    const r = await f();
    await r.arrayBuffer();
    return r.ok ? performance.now() - t0 : undefined;
  } catch {
    return undefined;
  }
}

export async function runFlood(o: FloodOptions): Promise<FloodReport> {
  const log = o.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'canopy-flood-'));
  const tplFile = join(dir, 'templates.json');
  writeFileSync(tplFile, JSON.stringify(templates()));
  const sport = await freeUdpPort();
  const aport = await freeTcpPort();
  const c = await spawnCollector({
    configFile: join(dir, 'canopy.json'),
    apiPort: aport,
    cpu: 0,
    config: {
      api: { listen: `127.0.0.1:${aport}` },
      storage: { dataDir: join(dir, 'data') },
      sflow: { listen: `127.0.0.1:${sport}` },
      netflow: { enabled: false },
      ipfix: { enabled: false },
      snmp: { traps: { listen: '127.0.0.1:0' } },
    },
  });
  try {
    const status = (await (await fetch(`${c.base}/api/status`)).json()) as { components: { sflow: { receiver: string } } };
    const receiver = String(status.components.sflow.receiver);
    const rssStartBytes = c.rss();
    // The kernel tells a socket's overflow count with the next datagram it delivers (SO_RXQ_OVFL):
    // drops in a step's or the flood's last burst reach the collector with this calm trailer, and
    // are not counted against what follows.
    const trailer = () => send(tplFile, sport, 200, 0.5, o.keysPerMinute);
    // Warm-up (not measured): exporter and port state, JIT.
    await send(tplFile, sport, 2000, 2, o.keysPerMinute);
    await settle(c);

    const steps: FloodReport['steps'] = [];
    let lossFreeRate = o.lossFreeRate ?? 0;
    if (o.lossFreeRate === undefined) {
      const step = async (rate: number): Promise<boolean> => {
        const r0 = await c.metric(RECEIVED);
        const sent = (await send(tplFile, sport, rate, o.stepSeconds, o.keysPerMinute)) + (await trailer());
        const received = (await settle(c)) - r0;
        steps.push({ rate, sent, received, loss: sent - received });
        log(`step ${rate}/s: sent ${sent} received ${received} loss ${sent - received}`);
        if (sent - received > 0) return false;
        lossFreeRate = Math.max(lossFreeRate, Math.round(sent / o.stepSeconds));
        return true;
      };
      // Doubling until the first loss, then halving the gap between the last clean and the lossy step.
      let lo = 0;
      let hi = 0;
      for (let rate = 5000; rate <= o.maxRate; rate *= 2) {
        if (!(await step(rate))) {
          hi = rate;
          break;
        }
        lo = rate;
      }
      for (let i = 0; i < o.refine && lo > 0 && hi > 0; i++) {
        const mid = Math.round((lo + hi) / 2);
        if (await step(mid)) lo = mid;
        else hi = mid;
      }
      if (lossFreeRate === 0) throw new Error(`no loss-free rate found: ${JSON.stringify(steps)}`);
    }
    const targetRate = Math.round(lossFreeRate * o.factor);
    log(`loss-free ${lossFreeRate}/s; flooding at ${targetRate}/s for ${o.seconds} s`);

    const r0 = await c.metric(RECEIVED);
    const d0: Record<string, number> = {};
    for (const r of REASONS) d0[r] = await c.metric(droppedRe(r));
    const k0 = rcvbufErrors();
    let rssMaxBytes = c.rss();
    const statusMs: number[] = [];
    const gremlinMs: number[] = [];
    let statusFail = 0;
    let gremlinFail = 0;
    let flooding = true;
    const t0 = performance.now();
    const sending = send(tplFile, sport, targetRate, o.seconds, o.keysPerMinute).finally(() => (flooding = false));
    // One client, as a dashboard would poll: status, then a query, every 100 ms.
    const probe = (async () => {
      while (flooding) {
        const s = await timed(() => fetch(`${c.base}/api/status`, { signal: AbortSignal.timeout(10_000) }));
        if (s === undefined) statusFail++;
        else statusMs.push(s);
        const g = await timed(() =>
          fetch(`${c.base}/api/topology`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ GremlinQuery: "G.V().Has('Type', 'exporter').Count()" }),
            signal: AbortSignal.timeout(10_000),
          }),
        );
        if (g === undefined) gremlinFail++;
        else gremlinMs.push(g);
        if (!c.exited()) rssMaxBytes = Math.max(rssMaxBytes, c.rss());
        await sleep(100);
      }
    })();
    const flooded = await sending;
    const elapsed = (performance.now() - t0) / 1000;
    await probe;
    const sent = flooded + (await trailer());
    const received = (await settle(c)) - r0;
    rssMaxBytes = Math.max(rssMaxBytes, c.rss());
    const dropped: Record<string, number> = {};
    for (const r of REASONS) dropped[r] = (await c.metric(droppedRe(r))) - d0[r]!;
    const kernelRcvbufErrors = rcvbufErrors() - k0;
    const records = await c.metric(RECORDS);
    const stillUp = !c.exited();
    log(`flood done: sent ${sent} received ${received} dropped ${JSON.stringify(dropped)}; stopping`);
    // A clean stop writes the flow table and every pending row.
    const code = await c.stop();
    if (code !== 0) throw new Error(`collector exit code ${code}: ${c.output().slice(-2000)}`);
    const db = new Database(join(dir, 'data', 'canopy.db'), { readonly: true });
    const stored = Number((db.prepare('SELECT coalesce(sum(flows), 0) AS n FROM flows').get() as { n: number }).n);
    const storedRollup = Number((db.prepare('SELECT coalesce(sum(flows), 0) AS n FROM flows_1m').get() as { n: number }).n);
    db.close();
    return {
      lossFreeRate,
      measured: o.lossFreeRate === undefined,
      steps,
      targetRate,
      achievedRate: Math.round(flooded / elapsed),
      seconds: +elapsed.toFixed(1),
      sent,
      received,
      dropped,
      kernelRcvbufErrors,
      records,
      stored,
      storedRollup,
      rssStartBytes,
      rssMaxBytes,
      rssBoundBytes: o.rssMax,
      api: { status: latency(statusMs, statusFail), gremlin: latency(gremlinMs, gremlinFail) },
      stillUp,
      receiver,
    };
  } finally {
    await c.kill9();
    rmSync(dir, { recursive: true, force: true });
  }
}
