// Identity merges while flows stream in (issue 16, "flows lost at start-up"): a neighbour's LLDP
// makes the stitcher keep a placeholder switch at the exporter's address, flows and counters are
// attributed to it, then SNMP polling identifies the switch and the stitcher folds the placeholder
// into it. Every byte, packet and counter reading must end up on the polled switch and its ports,
// with no handler failure and no error logged. The interleaving is chosen by the test: datagrams
// go to the real handler (or over loopback to the real listener, waiting for each to be counted)
// and the merge runs between two chosen datagrams.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSflowComponent, createSflowHandler } from '../../../src/collectors/sflow/component.ts';
import { createNetflowComponent } from '../../../src/collectors/netflow/component.ts';
import { NetflowDecoder } from '../../../src/collectors/netflow/decoder.ts';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import type { Datagram } from '../../../src/collectors/flows/udp-listener.ts';
import { ids } from '../../../src/topology/ids.ts';
import { Attribution } from '../../../src/collectors/flows/attribution.ts';
import {
  AGENT,
  CHASSIS,
  OVS_PORTS,
  PCAPS,
  counterReadings,
  env,
  expectAllOnSwitch,
  expectCounters,
  expectNoFailures,
  flowTotals,
  identify,
  listenPort,
  neighbourSees,
  ovsDatagrams,
  poll,
  portsOf,
  received,
  send,
} from './merge-env.ts';

describe('identity merge during sFlow ingest', () => {
  const dgs = ovsDatagrams();
  const want = flowTotals(dgs.flatMap((d) => decodeSflow(d.data).flows));
  const readings = counterReadings(dgs.map((d) => d.data));

  // Every merge point: before the first datagram, between any two, after the last; with some
  // flows already stored and others still in the flow table when it happens.
  for (let k = 0; k <= dgs.length; k++) {
    it(`loses nothing when the placeholder is merged before datagram ${k} of ${dgs.length}`, async () => {
      const e = env();
      const ph = neighbourSees(e, AGENT);
      const { handle } = createSflowHandler(e.ctx, e.pipeline);
      const failures: unknown[] = [];
      let sw = '';
      const after = new Set<number>();
      for (let i = 0; i <= dgs.length; i++) {
        if (i === k) sw = await identify(e, AGENT, ph, OVS_PORTS);
        const d = dgs[i];
        if (!d) break;
        if (i >= k) for (const c of decodeSflow(d.data).counters) if (c.format === 1 && c.ifIndex) after.add(c.ifIndex);
        const dg: Datagram = { data: d.data, address: AGENT, port: 6343, localPort: 6343, receivedAt: d.at };
        try {
          handle(dg);
        } catch (err) {
          failures.push(err);
        }
        if (i === 2) e.pipeline.flush();
      }
      expect(failures).toEqual([]);
      expectAllOnSwitch(e, sw, want);
      expectCounters(e, sw, readings, after);
      expectNoFailures(e);
    });
  }
});

describe('an exporter node merged into the switch polled at its address', () => {
  it('moves flows already stored, waiting in the flow table and counted on its ports; SNMP folds a port it lists later', async () => {
    const e = env();
    const { handle } = createSflowHandler(e.ctx, e.pipeline);
    const dgs = ovsDatagrams();
    const feed = (d: { data: Buffer; at: number }, shift = 0) =>
      handle({ data: d.data, address: AGENT, port: 6343, localPort: 6343, receivedAt: d.at + shift });
    // No switch is known at the agent's address yet: an exporter node of its own.
    for (const d of dgs.slice(0, 6)) feed(d);
    const exporter = ids.exporter(AGENT, 0);
    expect(e.store.getNode(exporter)?.Metadata.Type).toBe('exporter');
    e.pipeline.flush();
    for (const d of dgs.slice(6, 9)) feed(d);
    // SNMP polls the switch; its first inventory lacks br0 (ifIndex 5).
    const ports = OVS_PORTS.filter(([i]) => i !== 5);
    const sw = poll(e, { address: AGENT, sysName: 'sw', chassis: CHASSIS, ports });
    // The exporter is re-checked 30 s later (the agent's clock and ours move on together).
    for (const d of dgs.slice(9)) feed(d, 31_000);
    expect(e.store.getNode(exporter), 'exporter folded into the switch').toBeUndefined();
    expect(e.store.historyOf(exporter).at(-1)?.Metadata.MergedInto).toBe(sw);
    // br0 is one port of the switch (the flows' port); SNMP now lists it and takes it over.
    const br0 = portsOf(e.store, sw).get(5)!;
    expect(br0).toHaveLength(1);
    poll(e, { address: AGENT, sysName: 'sw', chassis: CHASSIS, ports: OVS_PORTS });
    expect(portsOf(e.store, sw).get(5)).toEqual([ids.port(sw, 5)]);
    if (br0[0] !== ids.port(sw, 5)) expect(e.store.historyOf(br0[0]!).at(-1)?.Metadata.MergedInto).toBe(ids.port(sw, 5));
    // br0's next reading continues its series on SNMP's port.
    const last = dgs.at(-2)!;
    feed(last, 33_000);
    expectAllOnSwitch(e, sw, flowTotals(dgs.flatMap((d) => decodeSflow(d.data).flows)));
    expectCounters(e, sw, counterReadings([...dgs, last].map((d) => d.data)), new Set([5]));
    expectNoFailures(e);
  });
});

describe('an exporter node and the switch SNMP polls at its address a moment later', () => {
  it("is folded into the switch by the exporter's next datagram, not 30 s later", () => {
    const e = env();
    const { handle } = createSflowHandler(e.ctx, e.pipeline);
    const dgs = ovsDatagrams();
    const feed = (d: { data: Buffer; at: number }) =>
      handle({ data: d.data, address: AGENT, port: 6343, localPort: 6343, receivedAt: d.at });
    for (const d of dgs.slice(0, 6)) feed(d);
    const exporter = ids.exporter(AGENT, 0);
    expect(e.store.getNode(exporter)?.Metadata.Type).toBe('exporter');
    e.pipeline.flush();
    const sw = poll(e, { address: AGENT, sysName: 'sw', chassis: CHASSIS, ports: OVS_PORTS });
    // The capture's next datagram, at its own time (well inside the 30 s re-check).
    const next = dgs[6]!;
    expect(next.at - dgs[0]!.at).toBeLessThan(30_000);
    feed(next);
    expect(e.store.getNode(exporter), 'exporter folded into the switch').toBeUndefined();
    expect(e.store.historyOf(exporter).at(-1)?.Metadata.MergedInto).toBe(sw);
    for (const d of dgs.slice(7)) feed(d);
    // Every flow, stored before the poll or after, is on the switch and the ports SNMP listed.
    expectAllOnSwitch(e, sw, flowTotals(dgs.flatMap((d) => decodeSflow(d.data).flows)));
    expectNoFailures(e);
  });
});

describe('attribution told nothing of a merge', () => {
  it('follows the merged alias and retries when a write meets the merged-away node', async () => {
    const e = env();
    const ph = neighbourSees(e, AGENT);
    // Its own instance: not the pipeline's, so no change feed reaches its caches.
    const a = new Attribution(e.store, 'sflow', e.ctx.log);
    const before = a.attribute(AGENT, 0, 2, 3, Date.now());
    expect(before.deviceId).toBe(ph);
    const sw = await identify(e, AGENT, ph, OVS_PORTS);
    // Port 6 was never seen: creating it under the cached placeholder fails, the retry finds the switch.
    expect(a.attribute(AGENT, 0, 6, 0, Date.now())).toEqual({ deviceId: sw, inPortId: ids.port(sw, 6), outPortId: null });
    expect(a.portOf(AGENT, 0, 2, Date.now())).toBe(ids.port(sw, 2));
    expectNoFailures(e);
  });
});

describe('identity merge during ingest through the UDP listeners', () => {
  it('sFlow: no datagram handler failure, nothing logged, every byte on the polled switch', async () => {
    const e = env();
    const comp = createSflowComponent(e.ctx, e.pipeline)!;
    e.components.push(comp);
    await comp.start();
    // Over loopback the agent address inside the datagram still names the switch.
    const ph = neighbourSees(e, AGENT);
    const dgs = ovsDatagrams().map((d) => d.data);
    await send(listenPort(comp), dgs.slice(0, 6));
    await expect.poll(() => received(comp, 'sflow')).toBe(6);
    const sw = await identify(e, AGENT, ph, OVS_PORTS);
    await send(listenPort(comp), dgs.slice(6));
    await expect.poll(() => received(comp, 'sflow')).toBe(dgs.length);
    expectNoFailures(e);
    expectAllOnSwitch(e, sw, flowTotals(dgs.flatMap((d) => decodeSflow(d).flows)));
    const m = await e.ctx.registry.metrics();
    expect(m).not.toMatch(/canopy_datagrams_dropped_total\{protocol="sflow",reason="handler_error"\} [1-9]/);
  });

  it('NetFlow v9 and v5: flows of an exporter merged into its polled switch all land on the switch', async () => {
    const e = env();
    const comp = createNetflowComponent(e.ctx, e.pipeline)!;
    e.components.push(comp);
    await comp.start();
    // Over loopback the exporter's address is 127.0.0.1: the neighbour's LLDP names that address.
    const ph = neighbourSees(e, '127.0.0.1');
    const raw = (n: string) => readFileSync(join(PCAPS, n));
    const tpl = raw('goflow2__netflow_test-nfv9-template260.bin');
    const v9 = raw('goflow2__netflow_test-nfv9-data260.bin');
    const v5 = raw('logstash-codec-netflow__netflow5_test_microtik.dat');
    // The same v5 export seen on input ports the exporter had not reported before.
    const v5moved = Buffer.from(v5);
    for (let i = 0, n = v5moved.readUInt16BE(2); i < n; i++) v5moved.writeUInt16BE(700 + i, 24 + i * 48 + 12);
    const first = [tpl, v9, v5];
    const second = [v9, v5, v5moved];
    // Expected: the same decoder the component runs, fed the same bytes in the same order.
    const dec = new NetflowDecoder();
    const all: FlowRecord[] = [];
    for (const d of [...first, ...second]) {
      const out: FlowRecord[] = [];
      dec.decodeAll(d, '127.0.0.1', out);
      all.push(...out.map((f) => ({ ...f })));
    }
    const ifs = new Set<number>();
    for (const f of all) for (const i of [f.inIf, f.outIf]) if (i) ifs.add(i);
    await send(listenPort(comp), first);
    await expect.poll(() => received(comp, 'netflow9') + received(comp, 'netflow5')).toBe(first.length);
    const sw = await identify(
      e,
      '127.0.0.1',
      ph,
      [...ifs].filter((i) => i < 700).map((i) => [i, `Gi0/${i}`] as [number, string]),
    );
    await send(listenPort(comp), second);
    await expect.poll(() => received(comp, 'netflow9') + received(comp, 'netflow5')).toBe(first.length + second.length);
    expectAllOnSwitch(e, sw, flowTotals(all));
    expectNoFailures(e);
  });
});
