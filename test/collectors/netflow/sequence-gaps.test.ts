// NetFlow v9 and IPFIX loss from export sequence numbers reaches the exporter's status entry and
// canopy_sequence_gaps_total, through the accounting sFlow uses (it was counted only inside the
// decoder before).
import { describe, expect, it } from 'vitest';
import { createNetflowComponent } from '../../../src/collectors/netflow/component.ts';
import { NetflowDecoder } from '../../../src/collectors/netflow/decoder.ts';
import { lostBetween } from '../../../src/collectors/common/sequence.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { env, listenPort, received, send } from '../flows/merge-env.ts';
import { ipfixMessage, v9Message } from './build.ts';

describe('export sequence loss', () => {
  it('lostBetween: forward distance under half the 32-bit space, across the wrap; restarts lose nothing', () => {
    expect(lostBetween(10, 10)).toBe(0);
    expect(lostBetween(10, 15)).toBe(5);
    expect(lostBetween(2 ** 32 - 2, 3)).toBe(5);
    expect(lostBetween(2 ** 32, 0)).toBe(0);
    expect(lostBetween(100, 3)).toBe(0);
    expect(lostBetween(0, 2 ** 31)).toBe(0);
    expect(lostBetween(0, 2 ** 31 - 1)).toBe(2 ** 31 - 1);
  });

  it('the decoder reports what each message says was lost: IPFIX data records, v9 packets', () => {
    const d = new NetflowDecoder();
    const out: FlowRecord[] = [];
    const lost = (b: Buffer) => d.decode(b, '192.0.2.1', out).lost;
    expect([ipfixMessage(7, 10, []), ipfixMessage(7, 10, []), ipfixMessage(7, 15, []), ipfixMessage(7, 3, [])].map(lost)).toEqual([
      0, 0, 5, 0,
    ]);
    expect([v9Message(1, 1, 0, []), v9Message(1, 2, 0, []), v9Message(1, 5, 0, [])].map(lost)).toEqual([0, 0, 2]);
    // Gap events as before: the jump, and the restart.
    expect(d.stats.sequenceGaps).toBe(3);
  });

  it('per exporter and protocol in the status and in canopy_sequence_gaps_total', async () => {
    const e = env();
    const comp = createNetflowComponent(e.ctx, e.pipeline)!;
    e.components.push(comp);
    await comp.start();
    const port = listenPort(comp);
    await send(port, [
      ipfixMessage(7, 10, []),
      ipfixMessage(7, 15, []),
      ipfixMessage(7, 20, []),
      v9Message(1, 1, 0, []),
      v9Message(1, 4, 0, []),
    ]);
    await expect.poll(() => received(comp, 'ipfix') + received(comp, 'netflow9')).toBe(5);
    const ex = (comp.status() as { exporters: { protocol: string; address: string; sequenceGaps: number }[] }).exporters;
    expect(ex.find((x) => x.protocol === 'ipfix')).toMatchObject({ address: '127.0.0.1', sequenceGaps: 10 });
    expect(ex.find((x) => x.protocol === 'netflow9')).toMatchObject({ address: '127.0.0.1', sequenceGaps: 2 });
    const m = await e.ctx.registry.metrics();
    expect(m).toContain('canopy_sequence_gaps_total{protocol="ipfix",exporter="127.0.0.1"} 10');
    expect(m).toContain('canopy_sequence_gaps_total{protocol="netflow9",exporter="127.0.0.1"} 2');
  });
});
