// Issue 27's flow-bus Done test: three collectors as inlets and one as writer (child processes of
// bin/canopy.js) on one real nats-server, the writer's SQLite as the flow store. One NetFlow v9
// exporter sends its templates (and its sampling interval, options data) to one inlet only and
// sprays its data across all three: every flow lands in the writer's store exactly once, at the
// announced sampling rate. Then the inlet that got the templates is SIGKILLed mid-stream and the
// exporter keeps spraying across the other two without sending templates again: no template is
// lost (the others have them from the KV bucket) and the flows keep landing, once. An sFlow
// datagram (a real capture) sent to an inlet lands in the writer the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { udpPayloads } from '../../../../src/collectors/common/pcap.ts';
import { natsMissing, startNats, type NatsServer } from '../../../support/nats-server.ts';
import { V9Exporter } from '../../../support/netflow-v9.ts';
import { startCollector, type RunningCollector } from '../../../install/collector-process.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
const RATE = 10;
/** Records per message and packets per record. */
const RECORDS = 20;
const PACKETS = 3;

type Status = { components: Record<string, Record<string, unknown>> };
const status = async (c: RunningCollector) => (await (await fetch(`${c.url}/api/status`)).json()) as Status;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Packets the writer stored for the exporter's flows to 10.9.<phase>.1. */
async function landed(writer: RunningCollector, phase: number): Promise<number> {
  const rows = (await (await fetch(`${writer.url}/api/flows?dst=10.9.${phase}.1&top=10000&since=-1h`)).json()) as { packets: number }[];
  return rows.reduce((s, r) => s + r.packets, 0);
}

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe.skipIf(natsMissing)(`flow bus: 3 inlets + 1 writer${natsMissing ? ` (skipped: ${natsMissing})` : ''}`, () => {
  let nats: NatsServer;
  let writer: RunningCollector;
  let inlets: RunningCollector[] = [];
  const ports: number[] = [];
  let sock: Socket;
  const exporter = new V9Exporter(1, RATE);

  const send = (msg: Buffer, port: number) =>
    new Promise<void>((res, rej) => sock.send(msg, port, '127.0.0.1', (err) => (err ? rej(err) : res())));

  /** `messages` data messages of the phase, round-robin over `to`; returns the packets they stand for. */
  async function spray(messages: number, to: number[], phase: number): Promise<number> {
    for (let i = 0; i < messages; i++) {
      await send(exporter.data(RECORDS, PACKETS, 1000, phase), to[i % to.length]!);
      if (i % 20 === 19) await sleep(5); // loopback, but the machine is shared: no socket overflow
    }
    return messages * RECORDS * PACKETS * RATE;
  }

  beforeAll(async () => {
    nats = await startNats();
    const env = (role: string, workers = 1) => ({
      CANOPY_LOG_LEVEL: 'warn',
      CANOPY_NETFLOW_WORKERS: String(workers),
      CANOPY_FLOWS_BUS: 'nats',
      CANOPY_FLOWS_ROLE: role,
      CANOPY_FLOWS_NATS_URL: nats.url,
      CANOPY_STORAGE_FLOWFLUSHINTERVAL: '1',
    });
    const bin = [resolve(ROOT, 'bin/canopy.js')];
    [writer, ...inlets] = await Promise.all([
      startCollector(process.execPath, bin, { env: env('writer') }),
      // Inlet C decodes in two receive workers: what the bucket holds must reach both.
      ...[1, 1, 2].map((w) => startCollector(process.execPath, bin, { env: env('inlet', w) })),
    ]);
    for (const c of inlets) {
      const listen = (await status(c)).components.netflow?.listen as string[];
      ports.push(Number(listen[0]!.split(':').pop()));
    }
    sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  }, 60_000);

  afterAll(async () => {
    sock?.close();
    await Promise.all([writer, ...inlets].filter(Boolean).map((c) => c.stop()));
    await nats?.stop();
  });

  it('lands every flow once; after the templates inlet is SIGKILLed the others decode on and flows keep landing once', async () => {
    const [a, b, c] = inlets as [RunningCollector, RunningCollector, RunningCollector];
    // Templates and the sampling interval go to inlet A only.
    await send(exporter.templates(), ports[0]!);
    await until(
      'inlets B and C to have the templates from the KV bucket',
      async () => {
        for (const i of [b, c]) if (((await status(i)).components.netflow?.templates as number) < 2) return false;
        return true;
      },
      10_000,
    );

    const want0 = await spray(150, ports, 0);
    await until('phase-0 flows in the writer', async () => (await landed(writer, 0)) >= want0, 15_000);
    expect(await landed(writer, 0)).toBe(want0);
    for (const i of [a, b]) {
      const nf = (await status(i)).components.netflow!;
      expect((nf.decoder as { flows: number }).flows).toBe(50 * RECORDS);
      expect(nf.samplingRateMissing).toBe(0);
    }
    // C decoded its 50 datagrams in its receive workers (one sender socket: the kernel's hash may give
    // them all to one of the two); the landed total above shows none lacked a template.
    const nfc = (await status(c)).components.netflow!;
    expect(nfc.workers).toBe(2);
    expect(((nfc.workerDatagrams as unknown[]).flat(2) as number[]).reduce((x, y) => x + y, 0)).toBe(50);

    // sFlow takes the same path: a real capture's datagram at inlet B lands in the writer.
    const sflowPort = Number(((await status(b)).components.sflow?.listen as string[])[0]!.split(':').pop());
    const pcap = readFileSync(join(ROOT, 'fixtures/pcaps/akvorado__data-sflow-ipv4-data.pcap'));
    for (const u of udpPayloads(pcap)) await send(u.payload, sflowPort);
    await until(
      'the sFlow flow in the writer',
      async () => {
        const rows = (await (await fetch(`${writer.url}/api/flows?exporter=49.49.49.49&since=-1h`)).json()) as { protocol: string }[];
        return rows.length > 0 && rows.every((r) => r.protocol === 'sflow');
      },
      10_000,
    );

    // Mid-stream: spraying continues while A dies (its part of this burst may be lost with it).
    const spraying = spray(60, ports.slice(1), 1);
    process.kill(a.child.pid!, 'SIGKILL');
    const want1 = (await spraying) + (await spray(90, ports.slice(1), 1));
    await until('phase-1 flows in the writer', async () => (await landed(writer, 1)) >= want1, 15_000);
    // Once: nothing more arrives after a further flush interval and a redelivery chance.
    await sleep(2500);
    expect(await landed(writer, 1)).toBe(want1);
    expect(await landed(writer, 0)).toBe(want0);
    for (const i of [b, c]) {
      const nf = (await status(i)).components.netflow!;
      expect(nf.samplingRateMissing).toBe(0);
      expect((nf.decoder as { pendingHeld: number }).pendingHeld).toBe(0);
    }
    const bus = (await status(writer)).components.flowBus!;
    expect(bus).toMatchObject({ role: 'writer', refused: 0, writeFailures: 0 });
    expect(bus.writtenEntries as number).toBeGreaterThan(0);
  }, 60_000);
});
