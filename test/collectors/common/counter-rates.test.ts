// Counter deltas for the port series: wraps by counter width, resets, reboots by uptime, gaps.
import { describe, expect, it } from 'vitest';
import { CounterTracker, counterDelta, type Reading } from '../../../src/collectors/common/counter-rates.ts';
import type { InterfaceCounters } from '../../../src/topology/store/port-series.ts';

const c = (rx: number, o: Partial<InterfaceCounters> = {}): InterfaceCounters => ({
  rxBytes: rx,
  txBytes: 0,
  rxPackets: 0,
  txPackets: 0,
  rxErrors: 0,
  txErrors: 0,
  rxDropped: 0,
  txDropped: 0,
  ...o,
});
const r = (at: number, rx: number, o: Partial<Reading> = {}): Reading => ({ at, c: c(rx), bytesWidth: 64, packetsWidth: 64, ...o });

describe('counterDelta', () => {
  it('a 32-bit counter that wraps gives the wrapped difference', () => {
    const d = counterDelta(r(0, 2 ** 32 - 100, { bytesWidth: 32 }), r(60_000, 900, { bytesWidth: 32 }), 60_000);
    expect(d).toEqual({ ok: true, d: c(1000) });
  });
  it('a 64-bit counter that goes down is a reset, even below 2^32 (no 4 GB spike)', () => {
    expect(counterDelta(r(0, 3_000_000), r(60_000, 1000), 60_000)).toEqual({ ok: false, why: 'reset' });
  });
  it('a 32-bit wrap that would exceed the port speed is a reset', () => {
    const d = counterDelta(r(0, 1000, { bytesWidth: 32, speed: 1e6 }), r(60_000, 500, { bytesWidth: 32, speed: 1e6 }), 60_000);
    expect(d).toEqual({ ok: false, why: 'reset' });
  });
  it('32-bit error counters wrap whatever the octet width', () => {
    const prev: Reading = { ...r(0, 0), c: c(0, { rxErrors: 2 ** 32 - 1 }) };
    const cur: Reading = { ...r(10_000, 0), c: c(0, { rxErrors: 4 }) };
    expect(counterDelta(prev, cur, 10_000)).toEqual({ ok: true, d: c(0, { rxErrors: 5 }) });
  });
  it('uptime going back, or advancing far less than the clock, is a reboot', () => {
    expect(counterDelta(r(0, 10, { uptimeMs: 500_000 }), r(60_000, 20, { uptimeMs: 30_000 }), 60_000)).toEqual({
      ok: false,
      why: 'reboot',
    });
    // Rebooted long ago within a long interval: uptime passed the old value but moved 10 s in 10 min.
    expect(counterDelta(r(0, 10, { uptimeMs: 5_000 }), r(600_000, 20, { uptimeMs: 15_000 }), 0)).toEqual({ ok: false, why: 'reboot' });
    expect(counterDelta(r(0, 10, { uptimeMs: 5_000 }), r(60_000, 20, { uptimeMs: 65_000 }), 60_000)).toEqual({ ok: true, d: c(10) });
  });
  it('a silence longer than three intervals is a gap', () => {
    expect(counterDelta(r(0, 10), r(181_000, 20), 60_000)).toEqual({ ok: false, why: 'gap' });
    expect(counterDelta(r(0, 10), r(179_000, 20), 60_000)).toEqual({ ok: true, d: c(10) });
  });
});

describe('CounterTracker', () => {
  it('learns the interval of a source without one and rebaselines after a discard', () => {
    const t = new CounterTracker();
    expect(t.add('p', r(0, 0))).toBeUndefined();
    expect(t.add('p', r(10_000, 100))).toMatchObject({ start: 0, last: 10_000, rxBytes: 100 });
    expect(t.add('p', r(20_000, 300))).toMatchObject({ rxBytes: 200 });
    expect(t.add('p', r(80_000, 400))).toBeUndefined();
    expect(t.discards.gap).toBe(1);
    expect(t.add('p', r(90_000, 450))).toMatchObject({ start: 80_000, rxBytes: 50 });
  });
});
