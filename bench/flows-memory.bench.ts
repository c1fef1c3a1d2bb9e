// flows.memory: the collector's resident memory holding 1 M distinct active flows, and what happens
// when 5 M are offered under a configured bound (issue 25). The sender (bench/lib/udp-sender.ts
// --distinct N) gives every sFlow record a key never sent before until N keys are out, at a rate the
// collector takes (BENCH_MEMORY_RATE datagrams/s, 10k by default), well inside one flush interval;
// keys lost to drops are sent again (up to 3 more passes, each at half the rate) so the table holds them all.
// RSS is VmRSS from /proc (summed over the collector's process tree), read once the receive queue
// has drained; the table's entry count and evictions come from /api/status or /metrics.
// Config keys the tree does not have yet (storage.flowTableMaxEntries/MaxBytes) are reported absent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configEnv, startCollector, type Collector } from './lib/collector-process.ts';
import { hasMetric, metric, rssBytes, sendStep, sleep, socketDrops, withRmemMax } from './lib/ingest-harness.ts';
import { templates } from './sflow-ingest.bench.ts';
import type { Bench, Emit } from './run.ts';

const GiB = 1024 ** 3;
/** New keys cost more than updates (an entry, its attribution): the fill runs well below sflow.ingest's rate. */
const RATE = Number(process.env.BENCH_MEMORY_RATE ?? 10_000);
/** The bounded run only needs far more keys than the bound: faster, losses do not matter there. */
const OFFER_RATE = Number(process.env.BENCH_MEMORY_OFFER_RATE ?? 20_000);
const ACTIVE = Number(process.env.BENCH_MEMORY_FLOWS ?? 1_000_000);
const OFFERED = Number(process.env.BENCH_MEMORY_OFFERED ?? 5_000_000);
const BOUND_ENTRIES = Number(process.env.BENCH_MEMORY_MAX_ENTRIES ?? 1_000_000);
const BOUND_BYTES = Number(process.env.BENCH_MEMORY_MAX_BYTES ?? 512 * 1024 ** 2);
const PORT = 26345;
const API = 28084;

interface TableView {
  entries: number | null;
  bytes: number | null;
  evicted: number | null;
  source: string;
}

/** The flow table as the status reports it: components.flows.table (issue 25) or the older components.sflow.flowTable. */
async function table(c: Collector): Promise<TableView> {
  const st = await c.status();
  const comps = (st.components ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const t = comps.flows?.table as Record<string, number> | undefined;
  if (t) return { entries: t.entries ?? null, bytes: t.bytes ?? null, evicted: t.evicted ?? null, source: 'components.flows.table' };
  const old = comps.sflow?.flowTable as Record<string, number> | undefined;
  let evicted: number | null = null;
  if (await hasMetric(c.base, 'canopy_flow_table_evictions_total'))
    evicted = await metric(c.base, /^canopy_flow_table_evictions_total(?:\{[^}]*\})? (\d+)/);
  return { entries: old?.entries ?? null, bytes: null, evicted, source: old ? 'components.sflow.flowTable' : 'absent' };
}

/** Waits until the collector has taken everything it is going to (its received count stops moving). */
async function drained(c: Collector): Promise<number> {
  const re = /^canopy_datagrams_received_total\{protocol="sflow"\} (\d+)/;
  let last = -1;
  for (let i = 0; i < 120; i++) {
    const n = await metric(c.base, re);
    if (n === last) return n;
    last = n;
    await sleep(1000);
  }
  return last;
}

/**
 * Sends `keys` distinct keys at `rate`; datagrams the collector dropped are made up by sending the
 * same keys again (up to `passes` times) until the table holds 99 % of them.
 */
async function fill(tplFile: string, keys: number, rate: number, passes: number, config: Record<string, string | number>) {
  const { env, absent } = configEnv(config);
  const c = await startCollector(API, { CANOPY_SFLOW_ENABLED: 'true', CANOPY_SFLOW_LISTEN: `127.0.0.1:${PORT}`, ...env });
  try {
    await sleep(1000);
    const idleRss = rssBytes(c.pid);
    const d0 = socketDrops(PORT);
    let sent = await sendStep({ tplFile, port: PORT, rate, seconds: 900, distinct: keys });
    let datagrams = sent.sent;
    let received = await drained(c);
    let t = await table(c);
    for (let pass = 1; pass < passes && t.entries !== null && t.entries < keys * 0.99; pass++) {
      // The collector did not take that rate on this machine today: half as fast again.
      rate = Math.round(rate / 2);
      sent = await sendStep({ tplFile, port: PORT, rate, seconds: 900, distinct: keys });
      datagrams += sent.sent;
      received = await drained(c);
      t = await table(c);
    }
    const st = await c.status();
    const mem = st.memory as { rssBytes?: number; heapUsedBytes?: number } | undefined;
    const rss = rssBytes(c.pid);
    const out = {
      offeredKeys: sent.keys,
      lastPassRate: rate,
      datagrams,
      received,
      socketDrops: socketDrops(PORT) - d0,
      sendSeconds: +sent.seconds.toFixed(1),
      entries: t.entries,
      tableBytes: t.bytes,
      evicted: t.evicted,
      tableSource: t.source,
      rssBytes: rss,
      peakRssBytes: rssBytes(c.pid, true),
      idleRssBytes: idleRss,
      statusRssBytes: mem?.rssBytes ?? null,
      heapUsedBytes: mem?.heapUsedBytes ?? null,
      config,
      absentKeys: absent,
    };
    process.stderr.write(`flows.memory ${keys} keys: ${JSON.stringify(out)}\n`);
    return out;
  } finally {
    await c.stop();
  }
}

async function measure(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'memory-tpl-'));
  try {
    const tplFile = join(dir, 'templates.json');
    writeFileSync(tplFile, JSON.stringify(templates()));
    // Everything stays in the table: no flush inside the run, and limits above the key count.
    const active = await fill(tplFile, ACTIVE, RATE, 4, {
      'storage.flowFlushInterval': 3600,
      'storage.flowTableSize': ACTIVE * 2,
      'storage.flowTableMaxEntries': ACTIVE * 2,
      'storage.flowTableMaxBytes': 2 * GiB,
    });
    // With a bound to hold, nothing leaves the table early (storage.flowTableSize hands entries to
    // the writer before the flush): the table itself must meet the bound. Without one, main's
    // early flush stays on, or 5 M entries would be held (several GiB on a shared machine).
    const haveBound = configEnv({ 'storage.flowTableMaxEntries': 1 }).absent.length === 0;
    const bounded = await fill(tplFile, OFFERED, OFFER_RATE, 1, {
      'storage.flowFlushInterval': 3600,
      ...(haveBound ? { 'storage.flowTableSize': OFFERED } : {}),
      'storage.flowTableMaxEntries': BOUND_ENTRIES,
      'storage.flowTableMaxBytes': BOUND_BYTES,
    });
    const boundKeysPresent = !bounded.absentKeys.some((k) => k.startsWith('storage.flowTableMax'));
    const activePass = active.entries !== null && active.entries >= ACTIVE * 0.99 && active.rssBytes <= GiB;
    const boundedPass =
      boundKeysPresent &&
      (bounded.evicted ?? 0) > 0 &&
      bounded.entries !== null &&
      bounded.entries <= BOUND_ENTRIES &&
      (bounded.tableBytes === null || bounded.tableBytes <= BOUND_BYTES) &&
      bounded.rssBytes <= GiB;
    emit({
      bench: 'flows.memory',
      value: active.rssBytes,
      unit: `bytes RSS with ${ACTIVE} distinct active flows`,
      entries: active.entries,
      evicted: bounded.evicted,
      limitBytes: GiB,
      pass: activePass && boundedPass,
      activePass,
      boundedPass,
      ...(boundKeysPresent ? {} : { note: 'storage.flowTableMaxEntries/MaxBytes absent in this tree: the 5 M run has no bound to hold' }),
      rate: RATE,
      offerRate: OFFER_RATE,
      active,
      bounded,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'flows.memory', run: (emit) => withRmemMax('flows.memory', () => measure(emit)) }];
