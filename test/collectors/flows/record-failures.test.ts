// A graph write that fails for one record costs that record its port references, not its bytes and
// not the rest of its datagram; failures repeating per datagram are rate-limit logged. The
// failure is a real one: SQLite refuses the write (a trigger raising an error, as a full disk or
// a constraint would).
import { describe, expect, it } from 'vitest';
import { createSflowHandler } from '../../../src/collectors/sflow/component.ts';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import { ids } from '../../../src/topology/ids.ts';
import { AGENT, counterReadings, env, flowTotals, ovsDatagrams } from './merge-env.ts';

interface Row {
  in_port_id: string | null;
  out_port_id: string | null;
  bytes: number;
  packets: number;
}

describe('a failing graph write for one record', () => {
  it('keeps the other records of the datagram and every byte; logs a few lines, not one per record', () => {
    const e = env();
    // The port node for ifIndex 2 can never be written.
    e.store.database.exec(`CREATE TRIGGER refuse_port BEFORE INSERT ON nodes WHEN NEW.name = 'ifIndex 2'
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    const { handle } = createSflowHandler(e.ctx, e.pipeline);
    const dgs = ovsDatagrams().slice(0, 11);
    const failures: unknown[] = [];
    const feed = (data: Buffer, at: number) => {
      try {
        handle({ data, address: AGENT, port: 6343, localPort: 6343, receivedAt: at });
      } catch (err) {
        failures.push(err);
      }
    };
    for (const d of dgs) feed(d.data, d.at);
    // The first flow of the first datagram is on port 3 → 0, the fourth on port 2: every flow
    // sample of the capture is stored, those on port 2 without that port.
    e.pipeline.flush();
    const dev = ids.exporter(AGENT, 0);
    const rows = () => e.store.database.prepare('SELECT in_port_id, out_port_id, bytes, packets FROM flows').all() as Row[];
    const sum = (rs: Row[]) => ({ bytes: rs.reduce((s, r) => s + r.bytes, 0), packets: rs.reduce((s, r) => s + r.packets, 0) });
    expect(failures).toEqual([]);
    expect(sum(rows())).toEqual(flowTotals(dgs.flatMap((d) => decodeSflow(d.data).flows)));
    expect(rows().some((r) => r.in_port_id === ids.port(dev, 3))).toBe(true);
    expect(rows().some((r) => r.in_port_id === ids.port(dev, 2))).toBe(false);
    // Counters of port 3 arrive in the same counter samples as port 2's: all of them are stored.
    const p3 = counterReadings(dgs.map((d) => d.data)).get(3)!;
    const series = e.store.database.prepare('SELECT sum(rx_bytes) AS b FROM port_metrics WHERE node_id = ?').get(ids.port(dev, 3)) as {
      b: number;
    };
    expect(series.b).toBe(p3.at(-1)! - p3[0]!);
    // Every flush makes new flow-table entries, each attributed again: the failure repeats per
    // datagram, the log does not.
    const before = rows();
    const dg = dgs[1]!;
    for (let i = 0; i < 200; i++) {
      feed(dg.data, dg.at + 60_000 + i);
      e.pipeline.flush();
    }
    expect(failures).toEqual([]);
    const per = flowTotals(decodeSflow(dg.data).flows);
    expect(sum(rows())).toEqual({ bytes: sum(before).bytes + 200 * per.bytes, packets: sum(before).packets + 200 * per.packets });
    const lines = e.lines.filter((l) => l.msg.startsWith('flow attribution failed'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(lines[0]!.err).toMatchObject({ message: 'refused by the test' });
  });
});
