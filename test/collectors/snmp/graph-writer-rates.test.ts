// The last interval SNMP writes on a port (LastUpdateMetric, Utilization: the wall's link colour)
// follows the port series' counter rules: a 32-bit wrap is a wrap, a reset is no interval, never a
// spike or a counter restarted from zero read as traffic.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { ids } from '../../../src/topology/ids.ts';
import { writeStates, type CounterSample } from '../../../src/collectors/snmp/graph-writer.ts';
import type { IfCounters, IfState } from '../../../src/collectors/snmp/parse-if.ts';
import { tempStore } from '../../topology/stitch/helpers.ts';

const envs: ReturnType<typeof tempStore>[] = [];
afterEach(() => {
  for (const e of envs.splice(0)) {
    e.store.close();
    rmSync(e.dir, { recursive: true, force: true });
  }
});

const counters = (rx: number, tx = 0): IfCounters => ({
  RxBytes: rx,
  TxBytes: tx,
  RxPackets: 0,
  TxPackets: 0,
  RxErrors: 0,
  TxErrors: 0,
  RxDropped: 0,
  TxDropped: 0,
});

function setup() {
  const e = tempStore();
  envs.push(e);
  const sw = 'sw-1';
  const port = ids.port(sw, 1);
  e.store.write((tx) => tx.upsertNode({ ID: port, Origin: 'snmp', Host: 't', Metadata: { Type: 'port', Name: 'Gi1/0/1', Speed: 1e9 } }));
  const prev = new Map<number, CounterSample>();
  const starts = new Map<number, number>();
  const poll = (c: IfCounters, at: number, width: 32 | 64) => {
    const st: IfState = { ifIndex: 1, admin: 1, oper: 1, counters: c, width };
    e.store.write((tx) => writeStates(tx, sw, new Map([[1, st]]), prev, starts, at));
    return e.store.getNode(port)!.Metadata;
  };
  return { poll };
}

describe('SNMP LastUpdateMetric', () => {
  it('reads a 32-bit counter that wrapped as the traffic it was', () => {
    const { poll } = setup();
    poll(counters(2 ** 32 - 1_000_000), 0, 32);
    const md = poll(counters(4_000_000), 60_000, 32);
    expect(md.LastUpdateMetric).toMatchObject({ RxBytes: 5_000_000, Start: 0, Last: 60_000 });
    expect((md.Utilization as { Rx: number }).Rx).toBeCloseTo((5_000_000 * 8) / 60 / 1e9, 6);
  });

  it('writes no interval across a 64-bit counter going back (a reset): the last good one stays, no spike', () => {
    const { poll } = setup();
    poll(counters(1_000_000_000), 0, 64);
    poll(counters(1_060_000_000), 60_000, 64);
    const md = poll(counters(5_000), 120_000, 64);
    // Before: the reset was read as 5,000 bytes of traffic counted from zero; now the previous interval stays.
    expect(md.LastUpdateMetric).toMatchObject({ RxBytes: 60_000_000, Start: 0, Last: 60_000 });
    const next = poll(counters(65_000), 180_000, 64);
    expect(next.LastUpdateMetric).toMatchObject({ RxBytes: 60_000, Start: 120_000, Last: 180_000 });
  });
});
