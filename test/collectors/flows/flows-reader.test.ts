// The flows reader answers a range that starts exactly at the window's start from the window, as
// long as the range and the window are read at one instant (GET /api/flows?since=-1h with the
// default one-hour window answered from the minute rollups whenever the clock ticked between
// parsing the parameters and querying: the rows' first/last were rounded to the minute).
import { describe, expect, it } from 'vitest';
import { createSflowHandler } from '../../../src/collectors/sflow/component.ts';
import { flowsReader } from '../../../src/collectors/flows/flows-reader.ts';
import { AGENT, env, ovsDatagrams } from './merge-env.ts';

describe('flows reader', () => {
  it('a range from the window start, read at the same instant, comes from the window, not the rollups', () => {
    const e = env();
    const { handle } = createSflowHandler(e.ctx, e.pipeline);
    const at = Date.now();
    for (const d of ovsDatagrams()) handle({ data: d.data, address: AGENT, port: 6343, localPort: 6343, receivedAt: at });
    const reader = flowsReader(e.pipeline);
    const window = e.ctx.config.storage.flowWindow * 1000;
    const all = reader.query({ top: 10_000 });
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((r) => r.first === at)).toBe(true);
    // The parameters were read 50 ms ago (a slow request): the same reading decides the window.
    const then = Date.now() - 50;
    const since = reader.query({ from: then - window, top: 10_000 }, then);
    expect(since.map((r) => r.first)).toEqual(all.map((r) => r.first));
    // With a later clock for the window, the same range reaches 50 ms past it: the rollups answer.
    const late = reader.query({ from: then - window, top: 10_000 });
    expect(late.every((r) => r.first % 60_000 === 0)).toBe(true);
  });
});

describe('flows reader without waiting (the periodic reconciliation)', () => {
  it('stored() leaves the table alone; storedThrough() moves to a drain once the writer has written it', () => {
    const e = env();
    const { handle } = createSflowHandler(e.ctx, e.pipeline);
    const reader = flowsReader(e.pipeline);
    const t0 = reader.storedThrough();
    const at = Date.now();
    for (const d of ovsDatagrams()) handle({ data: d.data, address: AGENT, port: 6343, localPort: 6343, receivedAt: at });
    const held = e.pipeline.table.size;
    expect(held).toBeGreaterThan(0);
    // Nothing stored yet, and reading does not flush.
    expect(reader.stored({ top: 10_000 })).toEqual([]);
    expect(e.pipeline.table.size).toBe(held);
    expect(reader.storedThrough()).toBe(t0);
    // A drain handed over and written: everything before it is in the store.
    const before = Date.now();
    e.pipeline.flush();
    expect(reader.storedThrough()).toBeGreaterThanOrEqual(before);
    expect(reader.stored({ top: 10_000 }).length).toBeGreaterThan(0);
    expect(e.pipeline.table.size).toBe(0);
  });
});
