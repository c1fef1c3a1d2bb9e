// An agent's interface counters (Metric, as /ws/agent publishes them) become port-series rows of
// source `agent`, under the same rules as SNMP's and sFlow's: a counter going back is a gap.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { AgentSeries } from '../../../src/collectors/common/agent-series.ts';
import { tempStore } from '../../topology/stitch/helpers.ts';

const envs: ReturnType<typeof tempStore>[] = [];
afterEach(() => {
  for (const e of envs.splice(0)) {
    e.store.close();
    rmSync(e.dir, { recursive: true, force: true });
  }
});

const metric = (rx: number, at: number) => ({
  RxBytes: rx,
  TxBytes: rx / 2,
  RxPackets: rx / 100,
  TxPackets: rx / 200,
  RxErrors: 0,
  TxErrors: 0,
  RxDropped: 0,
  TxDropped: 0,
  Start: at - 30_000,
  Last: at,
});

describe('agent interface series', () => {
  it('records each new agent reading as an interval; unrelated updates and other origins add nothing; a reset is a gap', () => {
    const e = tempStore();
    envs.push(e);
    const s = new AgentSeries(e.store, e.storage.portSeries);
    s.start();
    const id = 'iface-eth0';
    const put = (md: Record<string, unknown>, origin = 'agent.h1') =>
      e.store.write((tx) =>
        tx.upsertNode(
          { ID: id, Origin: origin, Host: 'h1', Metadata: { Type: 'device', Name: 'eth0', State: 'UP', ...md } },
          { merge: true },
        ),
      );
    put({ Metric: metric(1_000_000, 1_000_000) });
    put({ Metric: metric(4_000_000, 1_030_000) });
    put({ MTU: 9000 }); // same Metric: no new interval
    put({ Metric: metric(7_000_000, 1_060_000) });
    put({ Metric: metric(10, 1_090_000) }); // counters restarted: a gap, not a spike
    put({ Metric: metric(3_000_010, 1_120_000) });
    const rows = e.storage.portSeries.rows(id);
    expect(rows.map((r) => [r.source, r.start, r.last, r.rxBytes, r.txBytes])).toEqual([
      ['agent', 1_000_000, 1_030_000, 3_000_000, 1_500_000],
      ['agent', 1_030_000, 1_060_000, 3_000_000, 1_500_000],
      ['agent', 1_090_000, 1_120_000, 3_000_000, 1_500_000],
    ]);
    // Another origin's Metric (SNMP on a switch port) is not the agent's to record.
    e.store.write((tx) =>
      tx.upsertNode({ ID: 'port-1', Origin: 'snmp', Host: 'x', Metadata: { Type: 'port', Name: 'p', Metric: metric(5, 1) } }),
    );
    e.store.write((tx) =>
      tx.upsertNode({ ID: 'port-1', Origin: 'snmp', Host: 'x', Metadata: { Type: 'port', Name: 'p', Metric: metric(50, 2) } }),
    );
    expect(e.storage.portSeries.rows('port-1')).toEqual([]);
    s.stop();
  });
});
