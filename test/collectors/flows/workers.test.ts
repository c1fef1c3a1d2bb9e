// sflow.workers: N receive/decode threads on one port (SO_REUSEPORT) against a real collector over
// loopback. What is stored must not depend on the thread count; threads end with the collector; a
// worker that throws is counted, logged and started again while the collector keeps receiving.
import { describe, it, expect, afterEach } from 'vitest';
import dgram from 'node:dgram';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { FlowReceive } from '../../../src/collectors/flows/flow-receive.ts';
import { siblingModule } from '../../../src/util/worker-module.ts';
import { DG, DG_ROWS_END, extrasOf, type SflowBatch } from '../../../src/collectors/sflow/worker-batch.ts';
import { loadUdpBatch } from '../../../src/collectors/flows/udp-batch.ts';
import { startTestCollector, type TestCollector } from '../../api/helpers.ts';
import { SFLOW_FIXTURES, datagrams } from '../sflow/fixtures.ts';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';

const available = loadUdpBatch() !== undefined;

let t: TestCollector | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function status(t: TestCollector, component: string): Record<string, unknown> {
  const st = t.collector.status() as { components: Record<string, Record<string, unknown>> };
  return st.components[component]!;
}

function portOf(t: TestCollector, component: string): number {
  return Number((status(t, component).listen as string[])[0]!.split(':').pop());
}

/**
 * Each exporter from its own socket (its own source port), as real agents send: SO_REUSEPORT keeps a
 * 4-tuple on one worker, so an exporter's sequence numbers reach the main thread in order. (An agent
 * sending one sequence from several source ports would be spread over workers and its gaps
 * miscounted: docs/performance.md, "Workers".)
 */
async function replay(port: number, files: Buffer[][]): Promise<void> {
  for (const payloads of files) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    for (const p of payloads) await new Promise<void>((r, j) => s.send(p, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    s.close();
  }
}

// Flow rows without the columns that hold times; rows a flush split in two are summed back.
const ROW_KEY = `protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto,
  src_port, dst_port, src_mac, dst_mac, ether_type, sampling_rate, sampling_missing`;
function flowRows(dir: string): { flows: unknown[]; ports: unknown[] } {
  const db = new Database(join(dir, 'canopy.db'), { readonly: true });
  try {
    // Port counters from counter samples (the records a worker hands over as objects).
    const ports = db
      .prepare(
        `SELECT node_id, source, rx_bytes, tx_bytes, rx_packets, tx_packets, rx_errors, tx_errors, rx_dropped, tx_dropped FROM port_metrics
         ORDER BY node_id, source, rx_bytes, tx_bytes`,
      )
      .all();
    const flows = db
      .prepare(
        `SELECT ${ROW_KEY}, SUM(bytes) AS bytes, SUM(packets) AS packets, SUM(flows) AS flows FROM flows GROUP BY ${ROW_KEY} ORDER BY ${ROW_KEY}`,
      )
      .all();
    return { flows, ports };
  } finally {
    db.close();
  }
}

/** The fixtures' datagrams grouped by their sFlow agent (those that name none by their file). */
function sflowFiles(): Buffer[][] {
  const by = new Map<string, Buffer[]>();
  for (const f of SFLOW_FIXTURES) {
    for (const d of datagrams(f.name, f.skip)) {
      const agent = decodeSflow(d).agent || f.name;
      by.set(agent, [...(by.get(agent) ?? []), d]);
    }
  }
  return [...by.values()];
}

/** Replays, waits until every datagram is accounted for, stops (the table flushes) and reads the rows. */
/** Threads of this process (the main thread, libuv's and V8's, and worker threads). */
const threadCount = () => readdirSync('/proc/self/task').length;

interface Exporter {
  address: string;
  datagrams: number;
  records: number;
  decodeErrors: number;
  sequenceGaps: number;
  samplingRateMissing: number;
}

async function sflowRun(
  workers: number,
): Promise<{ rows: { flows: unknown[]; ports: unknown[] }; exporters: unknown[]; threads: number; spread: number[]; leaked: number }> {
  const before = threadCount();
  const files = sflowFiles();
  const total = files.reduce((n, f) => n + f.length, 0);
  t = await startTestCollector({ 'sflow.workers': workers, 'storage.flowFlushInterval': 3600 });
  expect(status(t, 'sflow').workers).toBe(workers);
  const threads = status(t, 'sflow').workerThreads as number;
  await replay(portOf(t, 'sflow'), files);
  const counted = () => {
    const exp = (status(t!, 'sflow').exporters ?? []) as Exporter[];
    return exp.reduce((n, e) => n + e.datagrams, 0);
  };
  await expect.poll(counted, { timeout: 10_000 }).toBe(total);
  // Per exporter, what accounting says (times and rates left out).
  const exporters = ((status(t, 'sflow').exporters ?? []) as Exporter[])
    .map((e) => ({
      address: e.address,
      datagrams: e.datagrams,
      records: e.records,
      decodeErrors: e.decodeErrors,
      sequenceGaps: e.sequenceGaps,
      samplingRateMissing: e.samplingRateMissing,
    }))
    .sort((a, b) => a.address.localeCompare(b.address));
  const spread = (status(t, 'sflow').workerDatagrams as number[][])[0] ?? [];
  const dir = t.dir;
  await t.stop(true);
  t = undefined;
  const rows = flowRows(dir);
  rmSync(dir, { recursive: true, force: true });
  // Threads the collector started are gone once stop() returns (V8 and libuv pools stay as they were).
  return { rows, exporters, threads, spread, leaked: threadCount() - before };
}

describe.runIf(available)('flow receive workers (SO_REUSEPORT)', () => {
  it('sFlow: the fixtures replayed over loopback store the same flow rows with 1 and with 2 workers', async () => {
    const one = await sflowRun(1);
    const two = await sflowRun(2);
    expect(one.threads).toBe(0);
    expect(two.threads).toBe(2);
    // The kernel spread the exporters over both workers (about twenty source ports).
    expect(two.spread).toHaveLength(2);
    expect(Math.min(...two.spread)).toBeGreaterThan(0);
    expect(one.rows.flows.length).toBeGreaterThan(20);
    expect(two.rows.flows).toEqual(one.rows.flows);
    expect(one.rows.ports.length).toBeGreaterThan(3);
    expect(two.rows.ports).toEqual(one.rows.ports);
    expect(two.exporters).toEqual(one.exporters);
    expect(one.exporters.length).toBeGreaterThan(5);
    expect(two.leaked).toBeLessThanOrEqual(0);
  });
});

describe.runIf(available)('flow receive worker lifecycle', () => {
  const receivers: FlowReceive<SflowBatch>[] = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.stop();
  });

  function sflowReceive(workers: number) {
    const lines: { msg: string; level: number; worker?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as never) });
    const registry = new Registry();
    const got = { datagrams: 0, flows: 0 };
    const r = new FlowReceive<SflowBatch>({
      protocol: 'sflow',
      listen: '127.0.0.1:0',
      receiveBuffer: 1 << 20,
      queueSize: 1024,
      receiver: 'auto',
      dropped: new Counter({ name: 'dropped', help: 'd', labelNames: ['protocol', 'reason'], registers: [registry] }),
      log,
      registry,
      workers,
      entry: siblingModule(new URL('../../../src/collectors/sflow/component.ts', import.meta.url).href, 'worker'),
      handle: () => undefined,
      afterBatch: () => undefined,
      onBatch: (b) => {
        got.datagrams += b.datagrams;
        // Fast-path sample rows, and general-path records.
        got.flows += (b.datagrams ? b.dgs[(b.datagrams - 1) * DG + DG_ROWS_END]! : 0) + extrasOf(b).reduce((n, e) => n + e.flows.length, 0);
      },
    });
    receivers.push(r);
    return { r, lines, registry, got };
  }

  const port = (r: FlowReceive<SflowBatch>) => Number(r.bound[0]!.split(':').pop());
  const payload = datagrams('ovs-sflow.pcap');

  it('a worker that throws is counted, logged and started again; the port keeps receiving', async () => {
    const { r, lines, registry, got } = sflowReceive(2);
    await r.start();
    expect(r.threadIds).toHaveLength(2);
    const before = r.threadIds;
    r.crashWorker(0);
    await expect.poll(() => r.workerCrashes, { timeout: 5000 }).toBe(1);
    // Started again: two threads, one of them new.
    await expect.poll(() => r.threadIds.length, { timeout: 5000 }).toBe(2);
    expect(r.threadIds.filter((id) => !before.includes(id))).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'flow worker crashed; starting it again' && l.level === 50)).toBe(true);
    expect(await registry.getSingleMetricAsString('canopy_flow_worker_restarts_total')).toMatch(/protocol="sflow"} 1/);
    // Every sender still reaches a live worker: the crashed one's socket was closed with it.
    const senders = 12;
    await replay(
      port(r),
      Array.from({ length: senders }, () => payload),
    );
    await expect.poll(() => got.datagrams, { timeout: 5000 }).toBe(senders * payload.length);
    expect(got.flows).toBeGreaterThan(0);
  });

  it('stop() ends every worker thread and frees the port', async () => {
    const before = threadCount();
    const { r } = sflowReceive(2);
    await r.start();
    expect(threadCount()).toBeGreaterThanOrEqual(before + 2);
    const p = port(r);
    await r.stop();
    expect(r.threadIds).toEqual([]);
    expect(threadCount()).toBeLessThanOrEqual(before);
    // The port is free again: a plain socket (no SO_REUSEPORT) binds it.
    const s = dgram.createSocket('udp4');
    await new Promise<void>((res, rej) => {
      s.once('error', rej);
      s.bind(p, '127.0.0.1', () => res());
    });
    s.close();
  });

  it('workers: 1 receives in the main thread (no worker thread)', async () => {
    const { r } = sflowReceive(1);
    await r.start();
    expect(r.threadIds).toEqual([]);
    expect(r.status()).toMatchObject({ workers: 1, workerThreads: 0 });
  });
});
