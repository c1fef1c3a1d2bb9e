// ipfix.stages: where the time of IPFIX ingest goes, in process, on the stream the ipfix.ingest
// sender makes (bench/lib/ipfix-templates.ts, keys rewritten, ~120k keys a minute at 50k/s):
//   decode       — NetflowDecoder alone, every record decoded in full (FlowRecord objects)
//   decode.fast  — the same with the fast path (key-plan.ts) into a sink that keeps nothing
//   handle       — the whole NetFlow/IPFIX handler (decode, accounting, flow table, attribution of
//                  new entries, metrics) into a flow pipeline on a real SQLite file; with and
//                  without the fast path
//   flush        — writing the table's entries to SQLite, per datagram that fed them
// CPU time (user + system) per datagram, so a shared machine's waits are not counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { defaultConfig } from '../src/config/load.ts';
import { openSqliteStorage } from '../src/topology/store/sqlite-storage.ts';
import { FlowPipeline } from '../src/collectors/flows/pipeline.ts';
import { createNetflowHandler } from '../src/collectors/netflow/handler.ts';
import { NetflowDecoder } from '../src/collectors/netflow/decoder.ts';
import type { FlowRecord } from '../src/collectors/common/flow-record.ts';
import type { ComponentContext } from '../src/component/contract.ts';
import { silentLogger } from '../src/util/log.ts';
import { ipfixTemplates } from './lib/ipfix-templates.ts';
import { DatagramStream } from './lib/datagram-stream.ts';
import type { Bench, Emit } from './run.ts';

const ROUNDS = Number(process.env.IPFIX_STAGES_DATAGRAMS ?? 200_000);
const WARM = 20_000;
/** A flush every this many datagrams (10 s of a 50k/s stream would be 500k; scaled down). */
const FLUSH_EVERY = 50_000;

function cpuNs(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1000;
}

function streamOf(n: number): { templates: Buffer[]; data: Buffer[] } {
  const s = new DatagramStream(ipfixTemplates(), { mode: 'rotate', keysPerMinute: 120_000, rate: 50_000 });
  const now = Math.floor(Date.now() / 1000);
  const templates = s.templateDatagrams(now).map((b) => Buffer.from(b));
  const data: Buffer[] = [];
  for (let i = 0; i < n; i++) data.push(Buffer.from(s.nextDatagram(now)));
  return { templates, data };
}

function decodeStage(st: ReturnType<typeof streamOf>, fast: boolean): { ns: number; fastPerDatagram: number; fullPerDatagram: number } {
  const d = new NetflowDecoder({ sink: fast ? { addrKey: () => 0, add: () => undefined } : undefined });
  const out: FlowRecord[] = [];
  for (const t of st.templates) d.decodeAll(t, '127.0.0.1', out);
  for (let i = 0; i < WARM; i++) {
    out.length = 0;
    d.decodeAll(st.data[i % st.data.length]!, '127.0.0.1', out);
  }
  const f0 = d.fastRecords;
  let full = 0;
  const c0 = process.cpuUsage();
  for (const b of st.data) {
    out.length = 0;
    d.decodeAll(b, '127.0.0.1', out);
    full += out.length;
  }
  const n = st.data.length;
  return { ns: cpuNs(c0) / n, fastPerDatagram: (d.fastRecords - f0) / n, fullPerDatagram: full / n };
}

function handleStage(st: ReturnType<typeof streamOf>, fast: boolean): { handle: number; flush: number; entries: number } {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-ipfix-stages-'));
  const config = defaultConfig();
  config.storage.dataDir = dir;
  const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
  const registry = new Registry();
  const log = silentLogger();
  const pipeline = new FlowPipeline(config, storage, registry, log);
  const ctx = { config, store: storage.graph, storage, registry, log } as unknown as ComponentContext;
  const h = createNetflowHandler(ctx, pipeline, { fastPath: fast });
  const dg = (data: Buffer, at: number) => ({ data, address: '127.0.0.1', port: 9999, localPort: 4739, receivedAt: at });
  try {
    for (const t of st.templates) h.handle(dg(t, Date.now()));
    for (let i = 0; i < WARM; i++) h.handle(dg(st.data[i % st.data.length]!, Date.now()));
    pipeline.flush();
    let now = Date.now();
    let flushNs = 0;
    let entries = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < st.data.length; i++) {
      h.handle(dg(st.data[i]!, now));
      if ((i & 511) === 511) {
        h.flushMetrics();
        now = Date.now();
      }
      if (i % FLUSH_EVERY === FLUSH_EVERY - 1) {
        const f0 = process.cpuUsage();
        const drained = pipeline.table.drain();
        entries += drained.length;
        pipeline.writer.enqueue(drained);
        pipeline.writer.flushAll();
        flushNs += cpuNs(f0);
      }
    }
    const total = cpuNs(c0);
    const n = st.data.length;
    return { handle: (total - flushNs) / n, flush: flushNs / n, entries };
  } finally {
    pipeline.stop();
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(emit: Emit): Promise<void> {
  const st = streamOf(ROUNDS);
  const base = { datagrams: ROUNDS };
  const full = decodeStage(st, false);
  const fast = decodeStage(st, true);
  emit({
    bench: 'ipfix.stages.decode',
    value: Math.round(full.ns),
    unit: 'ns/datagram',
    recordsPerDatagram: +full.fullPerDatagram.toFixed(2),
    ...base,
  });
  emit({
    bench: 'ipfix.stages.decode.fast',
    value: Math.round(fast.ns),
    unit: 'ns/datagram',
    fastRecordsPerDatagram: +fast.fastPerDatagram.toFixed(2),
    fullRecordsPerDatagram: +fast.fullPerDatagram.toFixed(2),
    ...base,
  });
  const hFull = handleStage(st, false);
  const hFast = handleStage(st, true);
  emit({ bench: 'ipfix.stages.handle', value: Math.round(hFull.handle), unit: 'ns/datagram', fastPath: false, ...base });
  emit({ bench: 'ipfix.stages.handle.fast', value: Math.round(hFast.handle), unit: 'ns/datagram', fastPath: true, ...base });
  emit({
    bench: 'ipfix.stages.flush',
    value: Math.round((hFull.flush + hFast.flush) / 2),
    unit: 'ns/datagram',
    entriesPerDatagram: +(hFast.entries / ROUNDS).toFixed(2),
    ...base,
  });
}

export const benches: Bench[] = [{ name: 'ipfix.stages', run }];
