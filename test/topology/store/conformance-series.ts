// Conformance of the port series store's rollups (docs/architecture.md#port-metrics): raw rows and
// 1 m / 5 m / 1 h buckets from one append, reads per resolution, pruning per retention, merges.
import { expect, it } from 'vitest';
import type { PortSeriesRow } from '../../../src/topology/store/port-series.ts';
import type { Harness } from './conformance.ts';

const row = (nodeId: string, start: number, last: number, rxBytes: number, o: Partial<PortSeriesRow> = {}): PortSeriesRow => ({
  nodeId,
  source: 'snmp',
  start,
  last,
  rxBytes,
  txBytes: 2 * rxBytes,
  rxPackets: 1,
  txPackets: 2,
  rxErrors: 0,
  txErrors: 1,
  rxDropped: 0,
  txDropped: 0,
  ...o,
});

const H = 3_600_000;

export function seriesConformance(h: () => Harness): void {
  it('port series: one append fills raw rows and the 1 m, 5 m and 1 h buckets (span = time covered)', () => {
    const p = h().storage.portSeries;
    // Three 20 s readings in minute 0 and one in minute 1; a second source beside them.
    p.append([row('p1', 0, 20_000, 100, { oper: 1 }), row('p1', 20_000, 40_000, 200, { oper: 1 })]);
    p.append([row('p1', 40_000, 59_000, 300, { oper: 2 }), row('p1', 59_000, 70_000, 50), row('p1', 0, 30_000, 7, { source: 'sflow' })]);
    expect(p.read(['p1'], 0, 0, H).map((r) => [r.source, r.t, r.span, r.rxBytes])).toEqual([
      ['snmp', 20_000, 20_000, 100],
      ['sflow', 30_000, 30_000, 7],
      ['snmp', 40_000, 20_000, 200],
      ['snmp', 59_000, 19_000, 300],
      ['snmp', 70_000, 11_000, 50],
    ]);
    const m1 = p.read(['p1'], 60_000, 0, H).filter((r) => r.source === 'snmp');
    expect(m1.map((r) => [r.t, r.span, r.rxBytes, r.txBytes, r.txErrors, r.oper])).toEqual([
      [0, 59_000, 600, 1200, 3, 2],
      [60_000, 11_000, 50, 100, 1, null],
    ]);
    const h1 = p.read(['p1'], 3_600_000, 0, H);
    expect(h1.map((r) => [r.source, r.t, r.span, r.rxBytes]).sort()).toEqual([
      ['sflow', 0, 30_000, 7],
      ['snmp', 0, 70_000, 650],
    ]);
    expect(p.read(['p1'], 300_000, 60_000, H)).toEqual([]);
    expect(p.read(['nope'], 60_000, 0, H)).toEqual([]);
    expect(h().reopen().portSeries.read(['p1'], 300_000, 0, H)).toHaveLength(2);
  });

  it('port series: prune keeps each resolution for its own retention', () => {
    const p = h().storage.portSeries;
    p.append([row('p1', 0, 30_000, 1), row('p1', 2 * H, 2 * H + 30_000, 2)]);
    const deleted = p.prune({ 0: H, 60_000: H, 300_000: 0, 3_600_000: 0 });
    expect(deleted).toBe(2);
    expect(p.read(['p1'], 0, 0, 3 * H).map((r) => r.rxBytes)).toEqual([2]);
    expect(p.read(['p1'], 60_000, 0, 3 * H).map((r) => r.rxBytes)).toEqual([2]);
    expect(p.read(['p1'], 300_000, 0, 3 * H).map((r) => r.rxBytes)).toEqual([1, 2]);
  });

  it('port series: a merge moves rollups too, adding into the canonical port where both have buckets', () => {
    const p = h().storage.portSeries;
    p.append([row('p1', 0, 30_000, 10), row('p2', 0, 30_000, 5), row('p2', 60_000, 90_000, 4, { source: 'sflow' })]);
    p.repoint(new Map([['p2', 'p1']]));
    expect(p.read(['p2'], 60_000, 0, H)).toEqual([]);
    expect(p.read(['p1'], 60_000, 0, H).map((r) => [r.source, r.t, r.span, r.rxBytes])).toEqual([
      ['snmp', 0, 60_000, 15],
      ['sflow', 60_000, 30_000, 4],
    ]);
    p.append([row('p1', 30_000, 50_000, 1)]);
    expect(
      h()
        .reopen()
        .portSeries.read(['p1'], 300_000, 0, H)
        .map((r) => [r.source, r.rxBytes])
        // Same bucket, two sources: their order is not part of the interface.
        .sort(),
    ).toEqual([
      ['sflow', 4],
      ['snmp', 16],
    ]);
  });
}
