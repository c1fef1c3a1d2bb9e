// The native batched receiver (recvmmsg into a ring) against real sockets on loopback, and the
// listener choosing between it and node:dgram.
import { describe, it, expect, afterEach } from 'vitest';
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { Counter, Registry } from 'prom-client';
import { BatchSocket, loadUdpBatch, udpBatchLoadError, type BatchDatagram } from '../../../src/collectors/flows/udp-batch.ts';
import { UdpListener, type Datagram } from '../../../src/collectors/flows/udp-listener.ts';
import { silentLogger } from '../../../src/util/log.ts';

const available = loadUdpBatch() !== undefined;
// On Linux CI the addon is built by `npm ci`; a missing build there is a failure, not a skip.
if (process.platform === 'linux' && !available) throw new Error(`udp-batch addon missing: ${udpBatchLoadError()}`);

interface Got {
  data: Buffer;
  address: string;
  port: number;
}
const open: BatchSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function receiver(
  opts: { host?: string; port?: number; reusePort?: boolean; slots?: number; batch?: number; receiveBuffer?: number } = {},
) {
  const got: Got[] = [];
  const loss = { overflow: 0, truncated: 0 };
  let batches = 0;
  const s = new BatchSocket({
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    reusePort: opts.reusePort,
    receiveBuffer: opts.receiveBuffer ?? 1 << 20,
    slots: opts.slots ?? 64,
    batch: opts.batch ?? 512,
    // Copies: the ring slot is reused once the handler returns.
    handle: (d: BatchDatagram) => got.push({ data: Buffer.from(d.data), address: d.address, port: d.port }),
    afterBatch: () => batches++,
    onLoss: (o, t) => {
      loss.overflow += o;
      loss.truncated += t;
    },
  });
  open.push(s);
  return { s, got, loss, batches: () => batches };
}

async function sendAll(port: number, payloads: Buffer[], host = '127.0.0.1', type: 'udp4' | 'udp6' = 'udp4'): Promise<number> {
  const c = dgram.createSocket(type);
  await new Promise<void>((r) => c.bind(0, host, r));
  for (const p of payloads) await new Promise<void>((r, j) => c.send(p, port, host, (e) => (e ? j(e) : r())));
  const from = c.address().port;
  c.close();
  return from;
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe.runIf(available)('batched UDP receive (recvmmsg)', () => {
  it('delivers every datagram whole and in order, with its source, from 0 bytes to the UDP maximum', async () => {
    const { s, got, loss } = receiver({ slots: 16, receiveBuffer: 8 << 20 });
    const sizes = [1, 28, 1400, 9000, 65_507, 0];
    const payloads = Array.from({ length: 300 }, (_, i) => {
      const b = Buffer.alloc(sizes[i % sizes.length]!, i & 0xff);
      if (b.length >= 4) b.writeUInt32BE(i, 0);
      return b;
    });
    const from = await sendAll(s.port, payloads);
    await until(() => got.length === payloads.length).catch((e) => {
      throw new Error(`${e} got ${got.length} loss ${JSON.stringify(loss)} queued ${s.queued} errors ${s.receiveErrors}`);
    });
    expect(got.map((g) => g.data.length)).toEqual(payloads.map((p) => p.length));
    got.forEach((g, i) => expect(g.data.equals(payloads[i]!), `datagram ${i}`).toBe(true));
    expect(new Set(got.map((g) => `${g.address}:${g.port}`))).toEqual(new Set([`127.0.0.1:${from}`]));
    expect(loss).toEqual({ overflow: 0, truncated: 0 });
    expect(s.queued).toBe(0);
  });

  it('reports IPv6 sources as text, and IPv4 senders on a dual-stack socket as plain IPv4', async () => {
    const { s, got } = receiver({ host: '::' });
    await sendAll(s.port, [Buffer.from('six')], '::1', 'udp6');
    await sendAll(s.port, [Buffer.from('four')], '127.0.0.1', 'udp4');
    await until(() => got.length === 2);
    expect(got.map((g) => [g.data.toString(), g.address])).toEqual([
      ['six', '::1'],
      ['four', '127.0.0.1'],
    ]);
  });

  it('pauses reading while the ring is full and loses nothing', async () => {
    // 4 slots, 2 handled per drain turn: the ring fills again and again.
    const { s, got, loss, batches } = receiver({ slots: 4, batch: 2 });
    const payloads = Array.from({ length: 500 }, (_, i) => Buffer.from(`dg ${i}`));
    await sendAll(s.port, payloads);
    await until(() => got.length === 500);
    expect(got.map((g) => g.data.toString())).toEqual(payloads.map((p) => p.toString()));
    expect(loss.overflow).toBe(0);
    expect(batches()).toBeGreaterThanOrEqual(250);
  });

  it('counts what the kernel dropped while the process was busy (SO_RXQ_OVFL)', async () => {
    // The smallest receive buffer, and a sender that runs while this thread is blocked.
    const { s, got, loss } = receiver({ receiveBuffer: 1, slots: 1024 });
    const n = 3000;
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `
      const s = require('node:dgram').createSocket('udp4');
      let i = 0;
      const next = () => { if (i === ${n}) return s.close(); s.send(Buffer.alloc(512, 1), ${s.port}, '127.0.0.1', next); i++; };
      next();`,
      ],
      { timeout: 20_000 },
    );
    expect(r.status).toBe(0);
    // The kernel reports its drop count with the next datagram it queues.
    await sendAll(s.port, [Buffer.from('last')]);
    await until(() => got.at(-1)?.data.toString() === 'last');
    await until(() => got.length + loss.overflow === n + 1).catch((e) => {
      throw new Error(`${e} got ${got.length} loss ${JSON.stringify(loss)} ovf ${s.socketOverflow}`);
    });
    expect(loss.overflow).toBeGreaterThan(0);
    expect(s.socketOverflow).toBe(loss.overflow);
  });

  it('fails to bind a taken port with the reason', () => {
    const { s } = receiver();
    expect(
      () =>
        new BatchSocket({
          host: '127.0.0.1',
          port: s.port,
          receiveBuffer: 1 << 16,
          slots: 4,
          batch: 4,
          handle: () => undefined,
          afterBatch: () => undefined,
          onLoss: () => undefined,
        }),
    ).toThrow(/EADDRINUSE|in use/i);
  });

  it('SO_REUSEPORT: sockets that all ask for it share a port; each sender (4-tuple) lands whole on one of them', async () => {
    const a = receiver({ reusePort: true });
    const b = receiver({ reusePort: true, port: a.s.port });
    expect(b.s.port).toBe(a.s.port);
    // A socket that did not ask for it is still refused.
    expect(() => receiver({ port: a.s.port })).toThrow(/EADDRINUSE|in use/i);
    const senders = 16;
    const per = 20;
    const ports: number[] = [];
    for (let i = 0; i < senders; i++)
      ports.push(
        await sendAll(
          a.s.port,
          Array.from({ length: per }, (_, j) => Buffer.from(`${i}:${j}`)),
        ),
      );
    await until(() => a.got.length + b.got.length === senders * per);
    const by = (got: Got[]) => new Set(got.map((g) => g.port));
    // Every sender's datagrams went to exactly one socket, in order, and with 16 senders both sockets got some.
    for (const p of ports) expect(by(a.got).has(p) !== by(b.got).has(p), `sender ${p}`).toBe(true);
    for (const { got } of [a, b]) {
      for (const p of by(got)) {
        const seq = got.filter((g) => g.port === p).map((g) => Number(g.data.toString().split(':')[1]));
        expect(seq).toEqual(Array.from({ length: per }, (_, j) => j));
      }
    }
    expect(a.got.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
  });

  it('frees its port on close(): a new socket binds it at once, in the same turn', () => {
    const { s } = receiver();
    const port = s.port;
    open.splice(open.indexOf(s), 1);
    s.close();
    const again = new BatchSocket({
      host: '127.0.0.1',
      port,
      receiveBuffer: 1 << 16,
      slots: 4,
      batch: 4,
      handle: () => undefined,
      afterBatch: () => undefined,
      onLoss: () => undefined,
    });
    open.push(again);
    expect(again.port).toBe(port);
  });
});

describe('UDP listener receive paths', () => {
  const modes = available ? (['recvmmsg', 'dgram'] as const) : (['dgram'] as const);
  for (const mode of modes) {
    it(`${mode}: hands datagrams to the handler with source and local port, and batches metric updates`, async () => {
      const got: { text: string; address: string; localPort: number }[] = [];
      let after = 0;
      const l = new UdpListener({
        protocol: 'test',
        listen: '127.0.0.1:0',
        receiveBuffer: 1 << 20,
        queueSize: 1024,
        receiver: mode,
        dropped: new Counter({ name: `t_dropped_${mode}`, help: 'x', labelNames: ['protocol', 'reason'], registers: [new Registry()] }),
        log: silentLogger(),
        handle: (d: Datagram) => got.push({ text: d.data.toString(), address: d.address, localPort: d.localPort }),
        afterBatch: () => after++,
      });
      await l.start();
      try {
        expect(l.mode).toBe(mode);
        const port = Number(l.bound[0]!.split(':').pop());
        await sendAll(port, [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
        await until(() => got.length === 3);
        expect(got).toEqual(['a', 'b', 'c'].map((text) => ({ text, address: '127.0.0.1', localPort: port })));
        expect(after).toBeGreaterThan(0);
      } finally {
        await l.stop();
      }
    });
  }

  for (const mode of modes) {
    it(`${mode}: a listener started right after another one's stop() binds the same port and receives`, async () => {
      const got: string[] = [];
      const make = (listen: string, n: number) =>
        new UdpListener({
          protocol: 'test',
          listen,
          receiveBuffer: 1 << 16,
          queueSize: 16,
          receiver: mode,
          dropped: new Counter({
            name: `t_dropped_re_${mode}_${n}`,
            help: 'x',
            labelNames: ['protocol', 'reason'],
            registers: [new Registry()],
          }),
          log: silentLogger(),
          handle: (d: Datagram) => got.push(d.data.toString()),
        });
      const first = make('127.0.0.1:0', 1);
      await first.start();
      const listen = first.bound[0]!;
      await first.stop();
      const second = make(listen, 2);
      await second.start();
      try {
        await sendAll(Number(listen.split(':').pop()), [Buffer.from('x')]);
        await until(() => got.length === 1);
        expect(got).toEqual(['x']);
      } finally {
        await second.stop();
      }
    });
  }

  it('binds a listen address given by name', async () => {
    const l = new UdpListener({
      protocol: 'test',
      listen: 'localhost:0',
      receiveBuffer: 1 << 16,
      queueSize: 16,
      dropped: new Counter({ name: 't_dropped_name', help: 'x', labelNames: ['protocol', 'reason'], registers: [new Registry()] }),
      log: silentLogger(),
      handle: () => undefined,
    });
    await l.start();
    try {
      expect(l.bound[0]).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
    } finally {
      await l.stop();
    }
  });
});
