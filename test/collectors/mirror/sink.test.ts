// Mirror flows into the flow pipeline: attributed to the mirrored port found by the names an
// operator knows (switch Name or management address, port Name or ifIndex) or by a node ID, in or
// out by the SPAN direction, with the capture's own first/last; a port polled later is found then.
import { describe, expect, it } from 'vitest';
import type { MirrorFlow } from '../../../src/collectors/mirror/conversations.ts';
import { PipelineSink, resolveTarget } from '../../../src/collectors/mirror/sink.ts';
import { flowsReader } from '../../../src/collectors/flows/flows-reader.ts';
import { env, poll } from '../flows/merge-env.ts';

const flow = (srcPort: number, first: number, last: number): MirrorFlow => ({
  srcAddr: '10.1.0.1',
  dstAddr: '10.1.0.2',
  proto: 6,
  srcPort,
  dstPort: 443,
  srcMac: '02:00:00:00:00:01',
  dstMac: '02:00:00:00:00:02',
  etherType: 0x0800,
  vlan: 7,
  packets: 3,
  bytes: 900,
  first,
  last,
  tcpFlags: 0x1a,
});

function sw(e: ReturnType<typeof env>) {
  const id = poll(e, {
    address: '10.9.0.1',
    sysName: 'leaf1',
    chassis: '02:00:00:31:00:01',
    ports: [
      [5, 'Ethernet5'],
      [6, 'Ethernet6'],
    ],
  });
  const port = (name: string) => e.store.edgesOf(id, 'out').find((x) => e.store.getNode(x.Child)?.Metadata.Name === name)!.Child;
  return { id, p5: port('Ethernet5'), p6: port('Ethernet6') };
}

describe('mirror flows into the pipeline', () => {
  it('resolves a target by switch Name, management address or node ID, and its port by Name or ifIndex', () => {
    const e = env();
    const s = sw(e);
    expect(resolveTarget(e.store, { device: 'leaf1', port: 'Ethernet5' })).toEqual({ deviceId: s.id, portId: s.p5, ifIndex: 5 });
    expect(resolveTarget(e.store, { device: '10.9.0.1', port: 6 })).toEqual({ deviceId: s.id, portId: s.p6, ifIndex: 6 });
    expect(resolveTarget(e.store, { device: s.id, port: '6' })).toEqual({ deviceId: s.id, portId: s.p6, ifIndex: 6 });
    expect(resolveTarget(e.store, { nodeId: s.p5 })).toEqual({ deviceId: s.id, portId: s.p5, ifIndex: 5 });
    expect(resolveTarget(e.store, { device: 'leaf9', port: 1 })).toBeUndefined();
    expect(resolveTarget(e.store, { device: 'leaf1', port: 'Ethernet99' })).toEqual({ deviceId: s.id, portId: null, ifIndex: 0 });
  });

  it('ingress rows name the port as in-port, egress rows as out-port; bytes unscaled, first/last from the capture', () => {
    const e = env();
    const s = sw(e);
    const sink = new PipelineSink(e.pipeline);
    sink.add('span-in', { device: 'leaf1', port: 'Ethernet5', direction: 'ingress' });
    sink.add('span-out', { device: 'leaf1', port: 6, direction: 'egress' });
    sink.write('span-in', [flow(1000, 1_000, 2_000)], 3_000);
    sink.write('span-out', [flow(2000, 1_500, 2_500)], 3_000);
    const rows = flowsReader(e.pipeline).query({ top: 100, from: 0 }, 3_000);
    const inRow = rows.find((r) => r.exporter === 'span-in')!;
    const outRow = rows.find((r) => r.exporter === 'span-out')!;
    expect(inRow).toMatchObject({ protocol: 'mirror', deviceId: s.id, inPortId: s.p5, outPortId: null, inIf: 5, outIf: 0, vlan: 7 });
    expect(inRow).toMatchObject({ bytes: 900, packets: 3, first: 1_000, last: 2_000 });
    expect(outRow).toMatchObject({ deviceId: s.id, inPortId: null, outPortId: s.p6, inIf: 0, outIf: 6 });
    expect(flowsReader(e.pipeline).query({ node: s.p6, top: 100, from: 0 }, 3_000)).toHaveLength(1);
    // The query language's Flows() step reads the same rows for the port node.
    expect(
      flowsReader(e.pipeline)
        .ofNodes([s.p5], 10)
        .map((r) => r.protocol),
    ).toEqual(['mirror']);
    sink.close();
  });

  it('a switch polled after capture started is found on the next lookup', () => {
    const e = env();
    const sink = new PipelineSink(e.pipeline, 0);
    sink.add('span', { device: 'leaf1', port: 'Ethernet5' });
    sink.write('span', [flow(1000, 1_000, 1_000)], 1_000);
    e.pipeline.flush();
    const s = sw(e);
    sink.write('span', [flow(1001, 2_000, 2_000)], 2_000);
    const rows = flowsReader(e.pipeline).query({ top: 100, from: 0 }, 3_000);
    expect(rows.find((r) => r.srcPort === 1000)).toMatchObject({ deviceId: '', inPortId: null });
    expect(rows.find((r) => r.srcPort === 1001)).toMatchObject({ deviceId: s.id, inPortId: s.p5, inIf: 5 });
    sink.close();
  });
});
