// A receive worker (sflow.workers > 1) aggregates its batch before the main thread applies it
// (src/collectors/sflow/worker-batch.ts): what the flow table then holds must be exactly what the
// single-thread handler holds for the same datagrams, times included, and the port readings it
// applies are the same though the worker turns away repeated counter samples before decoding them.
import { describe, it, expect } from 'vitest';
import { decodeSflow, sflowDecoder } from '../../../src/collectors/sflow/decode.ts';
import { DG, DG_ROWS_END, DG_COUNTER_RECORDS, SflowBatchBuilder, extrasOf } from '../../../src/collectors/sflow/worker-batch.ts';
import { SFLOW_FIXTURES, datagrams } from './fixtures.ts';
import { sflowRig } from './handler-rig.ts';
import { stream } from '../../../bench/ingest-stages.bench.ts';

const rig = () => sflowRig();

const at = (i: number) => 1_000_000 + i;

/** Sorted JSON of every table entry (all stored fields). */
function drained(r: ReturnType<typeof rig>): string[] {
  const rows = r.pipeline.table.drain().map((e) => {
    const { next: _n, ...rest } = e as unknown as Record<string, unknown>;
    return JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  });
  r.storage.close();
  return rows.sort();
}

function direct(set: Buffer[]): string[] {
  const r = rig();
  set.forEach((data, i) => r.handle({ data, address: '192.0.2.99', port: 6343, localPort: 6343, receivedAt: at(i) }));
  r.flushMetrics();
  return drained(r);
}

/**
 * Through a worker's batches of `per` datagrams, decoded as worker.ts does (one reused decoder,
 * the builder's counter gate); also the fast-path samples and the rows they took.
 */
function batched(set: Buffer[], per: number): { rows: string[]; samples: number; batchRows: number } {
  const r = rig();
  const b = new SflowBatchBuilder();
  const decode = sflowDecoder({ flowSink: b, counterGate: b.counterGate });
  let samples = 0;
  let batchRows = 0;
  const take = () => {
    const { batch } = b.take();
    if (batch.datagrams) batchRows += batch.dgs[(batch.datagrams - 1) * DG + DG_ROWS_END]!;
    r.applyBatch(batch);
  };
  set.forEach((data, i) => {
    b.at = at(i);
    const dg = decode(data);
    samples += dg.fastFlows;
    b.datagram('192.0.2.99', at(i), dg);
    if (b.datagrams >= per) take();
  });
  take();
  return { rows: drained(r), samples, batchRows };
}

describe('sFlow worker batches', () => {
  for (const f of SFLOW_FIXTURES) {
    it(`aggregated batches fill the table as the single-thread handler does: ${f.name}`, () => {
      const set = datagrams(f.name, f.skip);
      expect(batched(set, 64).rows).toEqual(direct(set));
    });
  }

  it('the bench stream: same entries, and far fewer rows than samples cross to the main thread', () => {
    const set = stream(30_000);
    const want = direct(set);
    const got = batched(set, 1024);
    expect(got.rows).toEqual(want);
    expect(want.length).toBeGreaterThan(1000);
    // ~120k keys a minute at 100k datagrams/s: a key's samples mostly fall in one batch.
    expect(got.batchRows).toBeLessThan(got.samples / 4);
  });

  it('port readings: the same ones applied as by the single-thread handler, repeats turned away in the worker', async () => {
    // OVS counter samples (ports with generic, datapath and name records), fed as a fast exporter
    // would: the same readings again 0.4 s and 0.9 s later (turned away), then 1 s later (taken).
    const ovs = datagrams('ovs-sflow.pcap');
    // (One datagram: the capture's others carry later uptimes, and an uptime going back always passes.)
    const data = ovs.find((d) => decodeSflow(d).counters.some((c) => c.format === 1))!;
    const times = [0, 400, 900, 1000, 1300, 2500, 2600, 4000].map((t) => ({ data, at: 10_000 + t }));
    const applied = (r: ReturnType<typeof rig>) => {
      const out: string[] = [];
      const orig = r.pipeline.ports.record.bind(r.pipeline.ports);
      r.pipeline.ports.record = (portId, source, c, now, extra, o) => {
        out.push(`${portId}@${now}:${String(extra?.State)}:${c.rxBytes}:${c.txBytes}:${String(extra?.Name)}`);
        return orig(portId, source, c, now, extra, o);
      };
      return out;
    };
    const counterRecords = async (r: ReturnType<typeof rig>) =>
      (await r.registry.getSingleMetric('canopy_sflow_records_total')!.get()).values.find((v) => v.labels.kind === 'counter')?.value;

    const one = rig();
    const want = applied(one);
    for (const t of times) one.handle({ data: t.data, address: '192.0.2.99', port: 6343, localPort: 6343, receivedAt: t.at });
    one.flushMetrics();

    const two = rig();
    const got = applied(two);
    const b = new SflowBatchBuilder();
    const decode = sflowDecoder({ flowSink: b, counterGate: b.counterGate });
    let counted = 0;
    let crossed = 0;
    for (const [i, t] of times.entries()) {
      b.at = t.at;
      b.datagram('192.0.2.99', t.at, decode(t.data));
      if (i % 3 === 2 || i === times.length - 1) {
        const { batch } = b.take();
        for (let j = 0; j < batch.datagrams; j++) counted += batch.dgs[j * DG + DG_COUNTER_RECORDS]!;
        crossed += extrasOf(batch).reduce((n, e) => n + e.counters.filter((c) => c.format === 1).length, 0);
        two.applyBatch(batch);
      }
    }
    const ports = decodeSflow(data).counters.filter((c) => c.format === 1).length;
    // Taken at 0, 1000 and 2500 (1 s after 1000 by our clock) and 4000.
    expect(want.length).toBe(4 * ports);
    expect(got).toEqual(want);
    // Only the readings taken crossed to the main thread; the rest were walked and counted.
    expect(crossed).toBe(want.length);
    expect(counted).toBe(times.length * decodeSflow(data).counters.length);
    expect(await counterRecords(two)).toBe(await counterRecords(one));
    one.storage.close();
    two.storage.close();
  });
});
