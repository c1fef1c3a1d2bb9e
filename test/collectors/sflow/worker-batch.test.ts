// A receive worker (sflow.workers > 1) aggregates its batch before the main thread applies it
// (src/collectors/sflow/worker-batch.ts): what the flow table then holds must be exactly what the
// single-thread handler holds for the same datagrams, times included.
import { describe, it, expect } from 'vitest';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import { DG, DG_ROWS_END, SflowBatchBuilder } from '../../../src/collectors/sflow/worker-batch.ts';
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

/** Through a worker's batches of `per` datagrams; also the fast-path samples and the rows they took. */
function batched(set: Buffer[], per: number): { rows: string[]; samples: number; batchRows: number } {
  const r = rig();
  const b = new SflowBatchBuilder();
  let samples = 0;
  let batchRows = 0;
  const take = () => {
    const { batch } = b.take();
    if (batch.datagrams) batchRows += batch.dgs[(batch.datagrams - 1) * DG + DG_ROWS_END]!;
    r.applyBatch(batch);
  };
  set.forEach((data, i) => {
    b.at = at(i);
    const dg = decodeSflow(data, { flowSink: b });
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
});
