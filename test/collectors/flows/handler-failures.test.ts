// The UDP listener's guard around a datagram handler: a handler failing for every datagram is
// counted per datagram and logged a few times per interval, not once per datagram (the start-up
// race of issue 16 wrote 7,258 such lines and grew the log by 9.4 MB in three minutes).
import { describe, expect, it } from 'vitest';
import { UdpListener } from '../../../src/collectors/flows/udp-listener.ts';
import { env, send } from './merge-env.ts';

describe('a handler failing for every datagram', () => {
  // The real handlers no longer throw for any graph write; the listener's guard is for a bug in
  // one, which is what this handler stands for.
  for (const receiver of ['dgram', 'recvmmsg'] as const) {
    it(`logs a few "datagram handler failed" lines and counts every drop (${receiver})`, async () => {
      const e = env();
      let calls = 0;
      const listener = new UdpListener({
        protocol: 'sflow',
        listen: '127.0.0.1:0',
        receiveBuffer: 1 << 20,
        queueSize: 1024,
        receiver,
        dropped: e.pipeline.metrics.dropped,
        log: e.ctx.log,
        handle: () => {
          calls++;
          throw new TypeError('a bug in a handler');
        },
      });
      await listener.start();
      try {
        const n = 300;
        const port = Number(listener.bound[0]!.split(':').pop());
        for (let i = 0; i < n; i += 50) {
          await send(
            port,
            Array.from({ length: 50 }, () => Buffer.from('x')),
          );
          await expect.poll(() => calls).toBe(i + 50);
        }
        const m = await e.ctx.registry.metrics();
        expect(m).toMatch(new RegExp(`canopy_datagrams_dropped_total\\{protocol="sflow",reason="handler_error"\\} ${n}\\b`));
        const lines = e.lines.filter((l) => l.msg === 'datagram handler failed');
        expect(lines.length).toBeGreaterThan(0);
        expect(lines.length).toBeLessThanOrEqual(10);
        expect(lines[0]!.err).toMatchObject({ message: 'a bug in a handler' });
      } finally {
        await listener.stop();
      }
    });
  }
});
