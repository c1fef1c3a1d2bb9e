// ingest.stages: the per-datagram cost of each stage of sFlow ingest, in process, on the real
// fixture datagrams the sflow.ingest bench replays (bench/sflow-ingest.bench.ts templates(), keys
// rewritten the way its sender does, ~120k distinct keys a minute at 100k datagrams/s):
//   receive   — loopback datagrams read by the native recvmmsg receiver, handler empty
//   decode    — decodeSflow alone (the general decoder: every record's fields)
//   handle    — the whole sFlow handler (decode, accounting, aggregate, attribute, metrics) into a
//               flow pipeline on a real SQLite file
//   aggregate — the flow table's add() alone, records decoded beforehand, attribution cached
//   aggregate.fast — the table's addSflow() alone, fed the fast path's numbers (what the handler calls)
//   attribute — the attribution of each new flow-table entry (exporter, ports), cache hits
//   worker    — a receive worker's side (sflow.workers > 1): decode into an aggregated batch
//   apply     — the main thread's side of the same batches (accounting, table, counters)
//   flush     — writing the table's entries to SQLite (the writer thread, for a file), per datagram that fed them
//   total     — the whole collector process (all threads) fed over loopback at a fixed rate by the
//               sflow.ingest sender, beside sfacctd (with its plugin process) fed the same way
// CPU time (user + system), so a shared machine's waits are not counted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Registry } from 'prom-client';
import { defaultConfig } from '../src/config/load.ts';
import { openSqliteStorage } from '../src/topology/store/sqlite-storage.ts';
import { FlowPipeline } from '../src/collectors/flows/pipeline.ts';
import { createSflowHandler } from '../src/collectors/sflow/component.ts';
import { decodeSflow } from '../src/collectors/sflow/decode.ts';
import { DG, DG_ROWS_END, SflowBatchBuilder, type SflowBatch } from '../src/collectors/sflow/worker-batch.ts';
import { BatchSocket, loadUdpBatch } from '../src/collectors/flows/udp-batch.ts';
import type { FlowRecord } from '../src/collectors/common/flow-record.ts';
import type { FlowTable } from '../src/collectors/flows/flow-table.ts';
import type { FlowSink } from '../src/collectors/sflow/fast-flow.ts';
import type { Datagram } from '../src/collectors/flows/udp-listener.ts';
import { silentLogger } from '../src/util/log.ts';
import type { ComponentContext } from '../src/component/contract.ts';
import { templates } from './sflow-ingest.bench.ts';
import { treeCpuNs } from './lib/process-cpu.ts';
import type { Bench, Emit } from './run.ts';

const ROUNDS = Number(process.env.INGEST_STAGES_DATAGRAMS ?? 200_000);
const KEYS_PER_MINUTE = 120_000;
const RATE = 100_000;
const RECEIVE_RATE = 50_000;
const RECEIVE_SECONDS = 4;

/** ROUNDS datagrams as the sender makes them: templates round-robin, keys rewritten. */
export function stream(n = ROUNDS): Buffer[] {
  const tpl = templates().map((t) => ({ buf: Buffer.from(t.hex, 'hex'), rewrite: t.rewrite }));
  const perRecord = tpl.reduce((s, t) => s + t.rewrite.length / 2, 0) / tpl.length;
  const recordsPerKey = Math.max(1, Math.floor((RATE * perRecord * 60) / KEYS_PER_MINUTE));
  const out: Buffer[] = [];
  let key = 0;
  let records = 0;
  for (let i = 0; i < n; i++) {
    const t = tpl[i % tpl.length]!;
    for (let j = 0; j < t.rewrite.length; j += 2) {
      const a = t.rewrite[j]!;
      const l4 = t.rewrite[j + 1]!;
      if (++records % recordsPerKey === 0) key = (key + 1) % 16_000_000;
      t.buf.writeUInt32BE((0x0a000000 | (key & 0xffff)) >>> 0, a);
      t.buf.writeUInt32BE((0x0b000000 | (key >>> 4)) >>> 0, a + 4);
      if (l4 > 0) {
        t.buf.writeUInt16BE(1024 + (key % 50_000), l4);
        t.buf.writeUInt16BE(443, l4 + 2);
      }
    }
    out.push(Buffer.from(t.buf));
  }
  return out;
}

function cpuNs(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1000;
}

interface Rig {
  pipeline: FlowPipeline;
  handle: (d: Datagram) => void;
  flushMetrics: () => void;
  applyBatch: (b: SflowBatch) => void;
  close: () => void;
}

export function rig(overrides: (c: ReturnType<typeof defaultConfig>) => void = () => undefined): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-stages-'));
  const config = defaultConfig();
  config.storage.dataDir = dir;
  overrides(config);
  const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
  const registry = new Registry();
  const log = silentLogger();
  const pipeline = new FlowPipeline(config, storage, registry, log);
  const ctx = { config, store: storage.graph, storage, registry, log } as unknown as ComponentContext;
  const { handle, flushMetrics, applyBatch } = createSflowHandler(ctx, pipeline);
  return {
    pipeline,
    handle,
    flushMetrics,
    applyBatch,
    close: () => {
      pipeline.stop();
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const dgOf = (data: Buffer, now: number): Datagram => ({ data, address: '127.0.0.1', port: 9999, localPort: 6343, receivedAt: now });

/** Runs the whole handler over the stream; returns CPU ns per datagram for handle and for the flushes. */
function handleStage(set: Buffer[]): { handle: number; flush: number; entries: number } {
  const r = rig();
  try {
    const warm = set.slice(0, 20_000);
    for (const b of warm) r.handle(dgOf(b, Date.now()));
    r.pipeline.flush();
    let now = Date.now();
    const c0 = process.cpuUsage();
    let flushNs = 0;
    let entries = 0;
    for (let i = 0; i < set.length; i++) {
      r.handle(dgOf(set[i]!, now));
      if ((i & 511) === 511) {
        r.flushMetrics();
        now = Date.now();
      }
      // A flush every 10 s of a 100k datagrams/s stream: 1M datagrams; scaled down, every 50k.
      if (i % 50_000 === 49_999) {
        const f0 = process.cpuUsage();
        const drained = r.pipeline.table.drain();
        entries += drained.length;
        r.pipeline.writer.enqueue(drained);
        r.pipeline.writer.flushAll();
        flushNs += cpuNs(f0);
      }
    }
    const total = cpuNs(c0);
    return { handle: (total - flushNs) / set.length, flush: flushNs / set.length, entries };
  } finally {
    r.close();
  }
}

function decodeStage(set: Buffer[]): { ns: number; records: FlowRecord[][] } {
  for (let i = 0; i < 20_000; i++) decodeSflow(set[i % set.length]!);
  // Timed without keeping the records (keeping them all would time the garbage collector).
  let n = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < set.length; i++) n += decodeSflow(set[i]!).flows.length;
  const ns = cpuNs(c0) / set.length;
  const records: FlowRecord[][] = new Array<FlowRecord[]>(set.length);
  for (let i = 0; i < set.length; i++) records[i] = decodeSflow(set[i]!).flows;
  return { ns: n > 0 ? ns : NaN, records };
}

/** The fast path's decode alone (flow samples read into a sink that keeps nothing); undefined before it existed. */
function fastDecodeStage(set: Buffer[]): number | undefined {
  const sink = { addrKey: () => 0, add: () => undefined };
  const opts = { flowSink: sink } as Parameters<typeof decodeSflow>[1];
  if (!('fastFlows' in decodeSflow(set[0]!, opts))) return undefined;
  for (let i = 0; i < 20_000; i++) decodeSflow(set[i % set.length]!, opts);
  const c0 = process.cpuUsage();
  for (let i = 0; i < set.length; i++) decodeSflow(set[i]!, opts);
  return cpuNs(c0) / set.length;
}

/**
 * The two sides of a receive worker (sflow.workers > 1), in this thread: the worker's decode into
 * a batch (aggregated rows, extras as JSON) per 1,024 datagrams, and the main thread's apply.
 */
function workerStages(set: Buffer[]): { worker: number; apply: number; rows: number } {
  const b = new SflowBatchBuilder();
  const r = rig();
  let applyNs = 0;
  let rows = 0;
  // Each batch applied as soon as it is taken (as the main thread would): keeping them all would
  // time the garbage collector.
  const apply = () => {
    const { batch } = b.take();
    if (batch.datagrams) rows += batch.dgs[(batch.datagrams - 1) * DG + DG_ROWS_END]!;
    const c1 = process.cpuUsage();
    r.applyBatch(batch);
    applyNs += cpuNs(c1);
  };
  try {
    const c0 = process.cpuUsage();
    for (let i = 0; i < set.length; i++) {
      const at = 1_000_000 + i;
      b.at = at;
      b.datagram('127.0.0.1', at, decodeSflow(set[i]!, { flowSink: b }));
      if (b.datagrams >= 1024) apply();
    }
    apply();
    // The worker's side is the loop less the applies timed inside it.
    return { worker: (cpuNs(c0) - applyNs) / set.length, apply: applyNs / set.length, rows: rows / set.length };
  } finally {
    r.pipeline.table.drain();
    r.close();
  }
}

/**
 * The fast path's calls for the stream (numbers off the wire, collectors/sflow/fast-flow.ts), kept
 * flat so replaying them into addSflow times the table and not the replay.
 */
function fastCalls(set: Buffer[]): { exporters: string[]; nums: Float64Array } {
  const exporters: string[] = [];
  const rows: number[] = [];
  const sink: FlowSink = {
    addrKey: () => 0,
    add: (exporter, ...rest) => {
      exporters.push(exporter);
      rows.push(...rest);
    },
  };
  for (const b of set) decodeSflow(b, { flowSink: sink });
  return { exporters, nums: Float64Array.from(rows) };
}

function replayFast(t: FlowTable, calls: { exporters: string[]; nums: Float64Array }, now: number): void {
  const n = calls.nums;
  for (let i = 0, o = 0; i < calls.exporters.length; i++, o += 14) {
    // prettier-ignore
    t.addSflow(calls.exporters[i]!, n[o]!, n[o + 1]!, n[o + 2]!, n[o + 3]!, n[o + 4]!, n[o + 5]!, n[o + 6]!, n[o + 7]!, n[o + 8]!, n[o + 9]!, n[o + 10]!, n[o + 11]!, n[o + 12]!, n[o + 13]!, now);
  }
}

/** The flow table's add() with attribution asked of a cache; the fast path's addSflow; and the attribution alone. */
function tableStages(records: FlowRecord[][], set: Buffer[]): { aggregate: number; aggregateFast: number; attribute: number } {
  const r = rig();
  try {
    const t = r.pipeline.table;
    const now = Date.now();
    // Warm the attribution (exporter and port nodes exist), then time add() twice over.
    for (let i = 0; i < 20_000; i++) for (const f of records[i % records.length]!) t.add('sflow', f, f.samplingRate ?? 1, false, now);
    t.drain();
    const c0 = process.cpuUsage();
    for (const fs of records) for (const f of fs) t.add('sflow', f, f.samplingRate ?? 1, false, now);
    const aggregate = cpuNs(c0) / records.length;
    t.drain();
    const calls = fastCalls(set);
    replayFast(t, calls, now);
    t.drain();
    const c2 = process.cpuUsage();
    replayFast(t, calls, now);
    const aggregateFast = cpuNs(c2) / set.length;
    t.drain();
    const a = r.pipeline.attribution('sflow');
    const c1 = process.cpuUsage();
    for (const fs of records) for (const f of fs) a.attribute(f.exporter, f.subAgentId ?? 0, f.inIf, f.outIf, now);
    const attribute = cpuNs(c1) / records.length;
    return { aggregate, aggregateFast, attribute };
  } finally {
    r.close();
  }
}

/**
 * Loopback datagrams through the native receiver with an empty handler: CPU ns of this process per
 * datagram received. The sender is bench/lib/udp-sender.ts in a child process (not counted).
 */
async function receiveStage(): Promise<number | undefined> {
  if (!loadUdpBatch()) return undefined;
  let got = 0;
  const sock = new BatchSocket({
    host: '127.0.0.1',
    port: 0,
    receiveBuffer: 32 * 1024 * 1024,
    slots: 1024,
    batch: 512,
    handle: () => void got++,
    afterBatch: () => undefined,
    onLoss: () => undefined,
  });
  const dir = mkdtempSync(join(tmpdir(), 'canopy-stages-'));
  try {
    const file = join(dir, 'templates.json');
    writeFileSync(file, JSON.stringify(templates()));
    const c0 = process.cpuUsage();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'lib/udp-sender.ts'),
        file,
        '127.0.0.1',
        String(sock.port),
        String(RECEIVE_RATE),
        String(RECEIVE_SECONDS),
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    await new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    return got > 0 ? cpuNs(c0) / got : undefined;
  } finally {
    sock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const TOTAL_RATE = Number(process.env.INGEST_STAGES_RATE ?? 50_000);
const TOTAL_SECONDS = Number(process.env.INGEST_STAGES_SECONDS ?? 6);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function sendAt(file: string, port: number, rate: number, seconds: number): Promise<number> {
  const p = spawn(
    'taskset',
    [
      '-c',
      '1',
      process.execPath,
      '--import',
      'tsx',
      join(import.meta.dirname, 'lib/udp-sender.ts'),
      file,
      '127.0.0.1',
      String(port),
      String(rate),
      String(seconds),
      String(KEYS_PER_MINUTE),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += String(d)));
  await new Promise((r) => p.on('exit', r));
  return (JSON.parse(out.trim()) as { sent: number }).sent;
}

async function received(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^canopy_datagrams_received_total\{protocol="sflow"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** CPU ns per datagram of a whole process tree fed at TOTAL_RATE, after a warm-up. */
async function totalOf(
  start: (dir: string) => { proc: ChildProcess; port: number; ready: () => Promise<void>; count?: () => Promise<number> },
): Promise<{ ns: number; sent: number; got: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-stages-'));
  const file = join(dir, 'templates.json');
  writeFileSync(file, JSON.stringify(templates()));
  const s = start(dir);
  try {
    await s.ready();
    await sendAt(file, s.port, 5000, 3);
    await sleep(1000);
    const g0 = (await s.count?.()) ?? 0;
    const c0 = treeCpuNs(s.proc.pid!);
    const sent = await sendAt(file, s.port, TOTAL_RATE, TOTAL_SECONDS);
    await sleep(2000);
    const ns = treeCpuNs(s.proc.pid!) - c0;
    const got = s.count ? (await s.count()) - g0 : sent;
    return { ns: ns / Math.max(1, got), sent, got };
  } finally {
    s.proc.kill('SIGKILL');
    await new Promise((r) => s.proc.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function canopyTotal(): Promise<{ ns: number; sent: number; got: number }> {
  return totalOf((dir) => {
    const port = 26543;
    const base = 'http://127.0.0.1:28282';
    const env = {
      ...process.env,
      CANOPY_LOG_LEVEL: 'error',
      CANOPY_API_LISTEN: '127.0.0.1:28282',
      CANOPY_SFLOW_LISTEN: `127.0.0.1:${port}`,
      CANOPY_NETFLOW_ENABLED: 'false',
      CANOPY_IPFIX_ENABLED: 'false',
      CANOPY_SNMP_TRAPS_LISTEN: '127.0.0.1:0',
      CANOPY_STORAGE_DATADIR: dir,
    };
    const proc = spawn('taskset', ['-c', '0', process.execPath, join(import.meta.dirname, '../bin/canopy.js'), 'collector'], {
      env,
      stdio: 'ignore',
    });
    return {
      proc,
      port,
      ready: async () => {
        for (let i = 0; i < 150; i++) {
          if (
            await fetch(`${base}/healthz`).then(
              (r) => r.ok,
              () => false,
            )
          )
            return;
          await sleep(200);
        }
        throw new Error('collector did not start');
      },
      count: () => received(base),
    };
  });
}

function sfacctdTotal(): Promise<{ ns: number; sent: number; got: number }> | undefined {
  if (spawnSync('which', ['sfacctd']).status !== 0) return undefined;
  return totalOf((dir) => {
    const port = 26544;
    const conf = join(dir, 'sfacctd.conf');
    // The configuration sflow.ingest gives it.
    writeFileSync(
      conf,
      [
        'daemonize: false',
        'sfacctd_ip: 127.0.0.1',
        `sfacctd_port: ${port}`,
        'plugins: print[out]',
        'aggregate[out]: peer_src_ip, in_iface, out_iface, src_host, dst_host, proto, src_port, dst_port',
        'print_output[out]: csv',
        `print_output_file[out]: ${join(dir, 'out.csv')}`,
        'print_refresh_time[out]: 10',
        'plugin_buffer_size: 102400',
        'plugin_pipe_size: 10240000',
        'sfacctd_pipe_size: 33554432',
      ].join('\n'),
    );
    const proc = spawn('taskset', ['-c', '0', 'sfacctd', '-f', conf], { stdio: 'ignore' });
    return { proc, port, ready: () => sleep(1500) };
  });
}

async function run(emit: Emit): Promise<void> {
  // First, while this process holds little: the datagram sets below would make it time their GC.
  const recv = await receiveStage();
  const set = stream();
  const samples = set.reduce((s, b) => s + decodeSflow(b).stats.samples, 0) / set.length;
  const dec = decodeStage(set);
  const fast = fastDecodeStage(set);
  const tab = tableStages(dec.records, set);
  const h = handleStage(set);
  const w = workerStages(set);
  const base = { datagrams: set.length, samplesPerDatagram: Math.round(samples * 100) / 100 };
  if (process.env.INGEST_STAGES_TOTAL !== '0') {
    const ours = await canopyTotal();
    const peer = await sfacctdTotal();
    emit({
      bench: 'ingest.stages.total',
      value: Math.round(ours.ns),
      unit: 'CPU ns/datagram',
      rate: TOTAL_RATE,
      seconds: TOTAL_SECONDS,
      sent: ours.sent,
      received: ours.got,
      ...(peer ? { peer: 'sfacctd', peerValue: Math.round(peer.ns), ratio: +(peer.ns / ours.ns).toFixed(2) } : {}),
    });
  }
  if (recv !== undefined) emit({ bench: 'ingest.stages.receive', value: Math.round(recv), unit: 'ns/datagram', ...base });
  emit({ bench: 'ingest.stages.decode', value: Math.round(dec.ns), unit: 'ns/datagram', ...base });
  if (fast !== undefined) emit({ bench: 'ingest.stages.decode.fast', value: Math.round(fast), unit: 'ns/datagram', ...base });
  emit({ bench: 'ingest.stages.aggregate', value: Math.round(tab.aggregate), unit: 'ns/datagram', ...base });
  emit({ bench: 'ingest.stages.aggregate.fast', value: Math.round(tab.aggregateFast), unit: 'ns/datagram', ...base });
  emit({ bench: 'ingest.stages.attribute', value: Math.round(tab.attribute), unit: 'ns/datagram', ...base });
  emit({ bench: 'ingest.stages.handle', value: Math.round(h.handle), unit: 'ns/datagram', ...base });
  emit({ bench: 'ingest.stages.worker', value: Math.round(w.worker), unit: 'ns/datagram', rowsPerDatagram: +w.rows.toFixed(2), ...base });
  emit({ bench: 'ingest.stages.apply', value: Math.round(w.apply), unit: 'ns/datagram', ...base });
  emit({ bench: 'ingest.stages.flush', value: Math.round(h.flush), unit: 'ns/datagram', entries: h.entries, ...base });
}

export const benches: Bench[] = [{ name: 'ingest.stages', run }];
