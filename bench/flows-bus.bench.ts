// flows.bus.inlets: NetFlow v9 ingest through the flow bus with N = 1, 2, 3 inlet collectors (child
// processes, unpinned) and one writer on a real nats-server (test/support/nats-server.ts), the
// writer's SQLite as the flow store. The exporter's templates go to the first inlet only (the others
// get them from the KV bucket); then a fixed number of data datagrams is sprayed round-robin over
// the inlets as fast as one sender goes. Figures per N: datagrams/s the inlets decoded over the
// burst (and its ratio to N = 1), each inlet's CPU ns per datagram (receive, decode, attribute,
// aggregate, publish: what predicts N-fold scaling where this machine's 2 cores cannot show it),
// the writer's CPU ns per stored entry, and the share of decoded packets that landed (1 = once each).
import { createSocket } from 'node:dgram';
import { resolve } from 'node:path';
import { natsMissing, startNats } from '../test/support/nats-server.ts';
import { V9Exporter } from '../test/support/netflow-v9.ts';
import { startCollector, type RunningCollector } from '../test/install/collector-process.ts';
import { treeCpuNs } from './lib/process-cpu.ts';
import { sleep } from './lib/ingest-harness.ts';
import type { Bench, Emit } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DATAGRAMS = Number(process.env.BENCH_BUS_DATAGRAMS ?? 60_000);
const RECORDS = 10;
const PACKETS = 2;
const RATE = 10;

type Status = { components: Record<string, Record<string, unknown>> };
const status = async (c: RunningCollector) => (await (await fetch(`${c.url}/api/status`)).json()) as Status;
const decoded = async (c: RunningCollector) => ((await status(c)).components.netflow?.decoder as { messages: number }).messages;

async function landedPackets(writer: RunningCollector): Promise<number> {
  const rows = (await (await fetch(`${writer.url}/api/flows?top=10000&since=-1h`)).json()) as { packets: number }[];
  return rows.reduce((s, r) => s + r.packets, 0);
}

/** `n` inlets and a writer; `n` = 0: one collector with `flows.bus: none` (what an inlet is compared with). */
interface RunFigures {
  inlets: number;
  sent: number;
  decoded: number;
  decodedPerSecond: number;
  sendSeconds: number;
  cpuNsPerDatagram: number;
  cpuNsPerDatagramByInlet: number[];
  writerCpuNsPerEntry: number;
  writtenEntries: number;
  idleCpuMsPerSecond: number;
  landedShare: number;
}

async function runN(n: number): Promise<RunFigures> {
  const nats = n > 0 ? await startNats() : undefined;
  const env = (role: string): Record<string, string> => ({
    CANOPY_LOG_LEVEL: 'warn',
    CANOPY_STORAGE_FLOWFLUSHINTERVAL: '2',
    ...(nats ? { CANOPY_FLOWS_BUS: 'nats', CANOPY_FLOWS_ROLE: role, CANOPY_FLOWS_NATS_URL: nats.url } : {}),
  });
  const bin = [resolve(ROOT, 'bin/canopy.js')];
  const all = await Promise.all([
    startCollector(process.execPath, bin, { env: env('writer') }),
    ...Array.from({ length: n }, () => startCollector(process.execPath, bin, { env: env('inlet') })),
  ]);
  const writer = all[0];
  const inlets = n > 0 ? all.slice(1) : all;
  n = inlets.length;
  const sock = createSocket('udp4');
  try {
    const ports: number[] = [];
    for (const c of inlets) ports.push(Number(((await status(c)).components.netflow?.listen as string[])[0]!.split(':').pop()));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const send = (m: Buffer, port: number) => new Promise<void>((r) => sock.send(m, port, '127.0.0.1', () => r()));
    const ex = new V9Exporter(1, RATE);
    await send(ex.templates(), ports[0]!);
    for (const c of inlets) {
      for (let i = 0; i < 100 && ((await status(c)).components.netflow?.templates as number) < 2; i++) await sleep(100);
    }
    // One datagram per exporter sequence number; the exporter's 10 flows vary by source port.
    const msgs = Array.from({ length: 64 }, (_, i) => ex.data(RECORDS, PACKETS, 1000 + i * RECORDS, i % 8));
    // Idle cost (timers, the status polls below) over 2 s, taken off the burst's CPU time.
    const idle0 = inlets.map((c) => treeCpuNs(c.child.pid!));
    const widle0 = treeCpuNs(writer.child.pid!);
    const idleT0 = performance.now();
    for (let i = 0; i < 8; i++) {
      await Promise.all(inlets.map(decoded));
      await sleep(250);
    }
    const idleNsPerMs = inlets.map((c, i) => (treeCpuNs(c.child.pid!) - idle0[i]!) / (performance.now() - idleT0));
    const writerIdleNsPerMs = (treeCpuNs(writer.child.pid!) - widle0) / (performance.now() - idleT0);
    const before = await Promise.all(inlets.map(decoded));
    const cpu0 = inlets.map((c) => treeCpuNs(c.child.pid!));
    const wcpu0 = treeCpuNs(writer.child.pid!);
    const t0 = performance.now();
    // Sends are not awaited one by one (that capped the sender near 7k/s): 128 queued, then the last awaited.
    for (let i = 0; i < DATAGRAMS; i++) {
      if (i % 128 === 127) await send(msgs[i % msgs.length]!, ports[i % n]!);
      else sock.send(msgs[i % msgs.length]!, ports[i % n], '127.0.0.1');
    }
    const sendMs = performance.now() - t0;
    // The burst is over when no inlet decodes any more.
    let last = before;
    let lastChange = performance.now();
    for (;;) {
      await sleep(250);
      const now = await Promise.all(inlets.map(decoded));
      if (now.some((v, i) => v !== last[i])) {
        last = now;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 1500) break;
    }
    const elapsed = Math.max(sendMs, lastChange - t0 - 250) / 1000;
    const got = last.map((v, i) => v - before[i]!);
    const windowMs = performance.now() - t0;
    const cpu = inlets.map((c, i) => Math.max(0, treeCpuNs(c.child.pid!) - cpu0[i]! - idleNsPerMs[i]! * windowMs));
    const total = got.reduce((s, v) => s + v, 0);
    const want = total * RECORDS * PACKETS * RATE;
    let landed = 0;
    for (let i = 0; i < 120; i++) {
      landed = await landedPackets(writer);
      if (landed >= want) break;
      await sleep(500);
    }
    const writtenEntries = nats ? ((await status(writer)).components.flowBus?.writtenEntries as number) : 0;
    const wcpu = !nats ? 0 : Math.max(0, treeCpuNs(writer.child.pid!) - wcpu0 - writerIdleNsPerMs * (performance.now() - t0));
    return {
      inlets: nats ? n : 0,
      sent: DATAGRAMS,
      decoded: total,
      decodedPerSecond: Math.round(total / elapsed),
      sendSeconds: +(sendMs / 1000).toFixed(2),
      cpuNsPerDatagram: Math.round(cpu.reduce((s, v) => s + v, 0) / Math.max(1, total)),
      cpuNsPerDatagramByInlet: got.map((g, i) => Math.round(cpu[i]! / Math.max(1, g))),
      writerCpuNsPerEntry: Math.round(wcpu / Math.max(1, writtenEntries)),
      writtenEntries,
      idleCpuMsPerSecond: +((idleNsPerMs.reduce((a, b) => a + b, 0) / n) * 1e-3).toFixed(1),
      landedShare: +(landed / Math.max(1, want)).toFixed(4),
    };
  } finally {
    sock.close();
    await Promise.all(all.map((c) => c.stop()));
    await nats?.stop();
  }
}

async function measure(emit: Emit): Promise<void> {
  if (natsMissing) {
    process.stderr.write(`flows.bus.inlets skipped: ${natsMissing}\n`);
    return;
  }
  const local = await runN(0);
  emit({
    bench: 'flows.bus.local',
    value: local.decodedPerSecond,
    unit: 'datagrams/s decoded',
    ...local,
    recordsPerDatagram: RECORDS,
    note: 'one collector, flows.bus none: decode and SQLite writes in one process (cpuNsPerDatagram includes the writes)',
  });
  let base: number | undefined;
  for (const n of [1, 2, 3]) {
    const r = await runN(n);
    base ??= r.decodedPerSecond;
    const perInlet = r.cpuNsPerDatagram;
    emit({
      bench: 'flows.bus.inlets',
      value: r.decodedPerSecond,
      unit: 'datagrams/s decoded',
      ...r,
      ratioToOne: +(r.decodedPerSecond / base).toFixed(2),
      // The sender is one node process on the same 2 cores: a burst it sends slower than the inlets take caps this ratio.
      // N inlets on N free cores: each takes 1e9 / (its CPU ns per datagram) datagrams/s.
      predictedPerSecondOnNCores: Math.round((n * 1e9) / perInlet),
      recordsPerDatagram: RECORDS,
      note: 'unpinned; 2 shared cores also run nats-server, the writer and the sender',
    });
  }
}

export const benches: Bench[] = [{ name: 'flows.bus.inlets', run: measure }];
