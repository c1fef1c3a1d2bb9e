// sflow.ingest.workers: what the receive/decode workers cost. Two cores cannot show the scaling
// with a sender on one of them, so the figure is the collector's CPU time per datagram (user +
// system of every thread, /proc/<pid>/stat) at a fixed rate (BENCH_WORKERS_RATE, 50k/s, for
// BENCH_WORKERS_SECONDS, 20 s) with sflow.workers = 1 and = 2, the collector pinned to core 0 and
// the sender to core 1 as in sflow.ingest. Without an sflow.workers key in this tree the default
// configuration is measured once and the key is reported absent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configEnv, startCollector } from './lib/collector-process.ts';
import { affinity, allPinned, COLLECTOR_CORE, cpuNs, metric, sendStep, sleep, socketDrops, withRmemMax } from './lib/ingest-harness.ts';
import { templates } from './sflow-ingest.bench.ts';
import type { Bench, Emit } from './run.ts';

const RATE = Number(process.env.BENCH_WORKERS_RATE ?? 50_000);
const SECONDS = Number(process.env.BENCH_WORKERS_SECONDS ?? 20);
const PORT = 26346;
const API = 28085;

async function one(tplFile: string, workers: number | undefined) {
  const { env, absent } = configEnv(workers === undefined ? {} : { 'sflow.workers': workers });
  const c = await startCollector(API, { CANOPY_SFLOW_ENABLED: 'true', CANOPY_SFLOW_LISTEN: `127.0.0.1:${PORT}`, ...env });
  const received = /^canopy_datagrams_received_total\{protocol="sflow"\} (\d+)/;
  try {
    // Warm-up (exporter state, JIT), then the idle cost of the timers over a quiet interval.
    await sendStep({ tplFile, port: PORT, rate: 5000, seconds: 3 });
    await sleep(2000);
    const idle0 = cpuNs(c.pid);
    const idleStart = performance.now();
    await sleep(3000);
    const idlePerMs = (cpuNs(c.pid) - idle0) / (performance.now() - idleStart);
    const r0 = await metric(c.base, received);
    const s0 = socketDrops(PORT);
    const cpu0 = cpuNs(c.pid);
    const t0 = performance.now();
    const sent = await sendStep({ tplFile, port: PORT, rate: RATE, seconds: SECONDS });
    await sleep(2000);
    const cpu = cpuNs(c.pid) - cpu0;
    const ms = performance.now() - t0;
    const got = (await metric(c.base, received)) - r0;
    const processes = affinity(c.pid);
    const threads = processes.reduce((s, p) => s + p.threads, 0);
    const out = {
      workers: workers ?? 'default',
      cpuNsPerDatagram: got ? Math.round(cpu / got) : null,
      cpuNsPerDatagramLessIdle: got ? Math.round((cpu - idlePerMs * ms) / got) : null,
      cpuSeconds: +(cpu / 1e9).toFixed(2),
      sent: sent.sent,
      received: got,
      loss: sent.sent - got,
      socketDrops: socketDrops(PORT) - s0,
      threads,
      pinned: allPinned(processes, COLLECTOR_CORE),
      absentKeys: absent,
    };
    process.stderr.write(`sflow.ingest.workers ${JSON.stringify(out)}\n`);
    return out;
  } finally {
    await c.stop();
  }
}

async function measure(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'workers-tpl-'));
  try {
    const tplFile = join(dir, 'templates.json');
    writeFileSync(tplFile, JSON.stringify(templates()));
    const haveKey = configEnv({ 'sflow.workers': 1 }).absent.length === 0;
    const runs = haveKey ? [await one(tplFile, 1), await one(tplFile, 2)] : [await one(tplFile, undefined)];
    const first = runs[0]!;
    const second = runs[1];
    emit({
      bench: 'sflow.ingest.workers',
      value: first.cpuNsPerDatagram ?? 0,
      unit: haveKey ? 'CPU-ns/datagram (1 worker)' : 'CPU-ns/datagram (default config)',
      ...(second
        ? {
            workers2: second.cpuNsPerDatagram,
            ratio:
              first.cpuNsPerDatagram && second.cpuNsPerDatagram ? +(second.cpuNsPerDatagram / first.cpuNsPerDatagram).toFixed(2) : null,
          }
        : { note: 'sflow.workers absent in this tree: the default configuration was measured once' }),
      rate: RATE,
      seconds: SECONDS,
      runs,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'sflow.ingest.workers', run: (emit) => withRmemMax('sflow.ingest.workers', () => measure(emit)) }];
