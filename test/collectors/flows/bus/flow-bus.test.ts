// The flow bus against a real nats-server with JetStream: batches published by an inlet land once in
// a flow store even with two writers and a republished batch; a batch that does not decode is
// refused, not redelivered; NetFlow templates and options-learned sampling rates reach another
// inlet through the KV bucket (watched, loaded at start, and adopted for data held before); batches
// published while the server restarts go out afterwards and land once; and
// `--check`'s probe tells a reachable JetStream from an unreachable server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import type { FlowBusConfig } from '../../../../src/collectors/flows/bus/config.ts';
import { flowsSection } from '../../../../src/collectors/flows/flows-config.ts';
import { closeLink, ensureStream, openLink, checkFlowBus, type NatsLink } from '../../../../src/collectors/flows/bus/nats-link.ts';
import { FlowPublisher } from '../../../../src/collectors/flows/bus/publisher.ts';
import { FlowBusWriter } from '../../../../src/collectors/flows/bus/bus-writer.ts';
import { encodeBatch } from '../../../../src/collectors/flows/bus/batch-codec.ts';
import { FlowStore, type FlowEntry } from '../../../../src/collectors/flows/flow-store.ts';
import { openSqliteStorage } from '../../../../src/topology/store/sqlite-storage.ts';
import { NetflowDecoder } from '../../../../src/collectors/netflow/decoder.ts';
import { SharedNetflowState } from '../../../../src/collectors/netflow/shared-state.ts';
import type { FlowRecord } from '../../../../src/collectors/common/flow-record.ts';
import { createLogger } from '../../../../src/util/log.ts';
import { natsMissing, startNats, type NatsServer } from '../../../support/nats-server.ts';
import { V9Exporter, DATA_TEMPLATE } from '../../../support/netflow-v9.ts';
import { ipfixField, ipfixMessage, set, u16, u32 } from '../../netflow/build.ts';

const log = createLogger('silent');
const ROOT = resolve(import.meta.dirname, '../../../..');
const until = async (what: string, ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function entry(i: number, exporter: string): FlowEntry {
  const now = Date.now();
  return {
    protocol: 'netflow9',
    exporter,
    deviceId: `exporter:${exporter}`,
    inIf: 1,
    outIf: 2,
    inPortId: null,
    outPortId: null,
    vlan: 0,
    srcAddr: '192.0.2.1',
    dstAddr: `10.0.${i >> 8}.${i & 255}`,
    proto: 17,
    srcPort: 1000 + i,
    dstPort: 53,
    srcMac: '',
    dstMac: '',
    etherType: 0,
    first: now,
    last: now,
    bytes: 100,
    packets: 3,
    flows: 1,
    samplingRate: 1,
    samplingMissing: false,
  };
}

describe.skipIf(natsMissing)(`flow bus on a real nats-server${natsMissing ? ` (skipped: ${natsMissing})` : ''}`, () => {
  let nats: NatsServer;
  let cfg: FlowBusConfig;
  const links: NatsLink[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'canopy-flowbus-'));
  const link = async () => {
    const l = await openLink(cfg, 'test', log);
    links.push(l);
    return l;
  };

  beforeAll(async () => {
    nats = await startNats();
    cfg = flowsSection.parse({ bus: 'nats', nats: { url: nats.url, batchEntries: 400 } }).nats;
  });
  afterAll(async () => {
    for (const l of links) await closeLink(l);
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands every published entry once with two writers and a republished batch; refuses a bad batch', async () => {
    const storage = openSqliteStorage({ path: join(dir, 'flows.db') });
    const store = new FlowStore(storage.flows);
    const inlet = await link();
    await ensureStream(inlet, cfg);
    const pub = new FlowPublisher(inlet.js, cfg, 'inlet-a', new Registry(), log);
    const writers = [
      new FlowBusWriter(await link(), cfg, (e) => store.write(e), new Registry(), log),
      new FlowBusWriter(await link(), cfg, (e) => store.write(e), new Registry(), log),
    ];
    for (const w of writers) await w.start();

    const entries = [
      ...Array.from({ length: 1500 }, (_, i) => entry(i, '192.0.2.10')),
      ...Array.from({ length: 700 }, (_, i) => entry(i, '192.0.2.11')),
    ];
    pub.submit(entries);
    expect(await pub.drain(10_000)).toBe(0);
    // 1500 → 4 messages of ≤ 400, 700 → 2: split per exporter, then by size.
    expect(pub.published).toBe(6);
    // An inlet that lost the server's answer publishes the same message again: the stream keeps one.
    const again = await inlet.js.publish('canopy.flows.netflow9.192_0_2_10', encodeBatch('inlet-a', entries, 0, 400), {
      msgID: 'inlet-a-1',
    });
    expect(again.duplicate).toBe(true);
    const bad = await inlet.js.publish('canopy.flows.netflow9.junk', Buffer.from('{"v":1,"inlet":"x","rows":[[1,2]]}'), {
      msgID: 'junk-1',
    });
    expect(bad.duplicate).toBe(false);

    const written = () => writers.reduce((s, w) => s + w.entries, 0);
    await until('2200 entries written', () => written() >= 2200 && writers.reduce((s, w) => s + w.refused, 0) === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(written()).toBe(2200);
    expect(writers.reduce((s, w) => s + w.batches, 0)).toBe(6);
    expect(writers.reduce((s, w) => s + w.refused, 0)).toBe(1);
    // Both writers took part (one durable consumer, batches spread over its subscribers) — or at
    // least the total is right when one was quicker to pull them all.
    const rows = store.query({ top: 10_000 }, 0);
    expect(rows.reduce((s, r) => s + r.packets, 0)).toBe(2200 * 3);
    expect(new Set(rows.map((r) => r.exporter))).toEqual(new Set(['192.0.2.10', '192.0.2.11']));
    // Nothing left in the work queue: acked batches are gone from the stream.
    const info = await inlet.jsm.streams.info(cfg.stream);
    expect(info.state.messages).toBe(0);
    for (const w of writers) await w.stop();
    pub.stop();
    storage.close();
  });

  it('shares templates and sampling rates between inlets: watched, loaded at start, and replayed for held data', async () => {
    const inlet = (name: string) => {
      const decoder = new NetflowDecoder();
      const emitted: FlowRecord[] = [];
      const shared = new SharedNetflowState(cfg, name, decoder, (fs) => emitted.push(...fs), new Registry(), log);
      return { decoder, shared, emitted };
    };
    const a = inlet('a');
    const b = inlet('b');
    await a.shared.start();
    await b.shared.start();
    const ex = new V9Exporter(1, 10);
    const out: FlowRecord[] = [];
    a.decoder.decode(ex.templates(), '192.0.2.20', out);
    await until('B to learn the template', () => b.decoder.templates.get('192.0.2.20#v9', 1, DATA_TEMPLATE) !== undefined);
    await until('B to learn the rate', () => b.decoder.sampling.optionsRate('192.0.2.20', 1, undefined) === 10);
    b.decoder.decode(ex.data(5, 7, 100), '192.0.2.20', out);
    expect(out).toHaveLength(5);
    expect(out.every((f) => f.samplingRate === 10 && f.packets === 7 && f.samplingRateMissing === undefined)).toBe(true);

    // An inlet started later (a restart, a failover target) has them before its first datagram.
    const c = inlet('c');
    await c.shared.start();
    out.length = 0;
    c.decoder.decode(ex.data(3, 2, 200), '192.0.2.20', out);
    expect(out.map((f) => f.srcPort)).toEqual([200, 201, 202]);
    expect(out.every((f) => f.samplingRate === 10)).toBe(true);

    // Data first at B (held: nobody knows the template yet), the templates at A: B decodes the held data.
    const late = new V9Exporter(7, 4);
    out.length = 0;
    b.decoder.decode(late.data(4, 1, 300), '192.0.2.21', out);
    expect(out).toHaveLength(0);
    a.decoder.decode(late.templates(), '192.0.2.21', []);
    await until('B to replay its held data set', () => b.emitted.length === 4);
    expect(b.emitted.map((f) => f.srcPort)).toEqual([300, 301, 302, 303]);
    expect(b.emitted.every((f) => f.exporter === '192.0.2.21' && f.protocol === 'netflow9')).toBe(true);
    expect(b.shared.adopted).toBeGreaterThanOrEqual(2);

    // IPFIX from an IPv6 exporter, held at C; A gets template and options in one message: C's held
    // record is replayed at the rate from that message, not as rate-missing.
    const v6 = '2001:db8::7';
    const tpl300 = set(2, [...u16(300), ...u16(4), ...ipfixField(8, 4), ...ipfixField(12, 4), ...ipfixField(1, 4), ...ipfixField(2, 4)]);
    const opt301 = set(3, [...u16(301), ...u16(2), ...u16(1), ...ipfixField(149, 4), ...ipfixField(34, 4)]);
    const optData = set(301, [...u32(7), ...u32(100)]);
    const data300 = set(300, [10, 0, 0, 1, 10, 0, 0, 2, ...u32(1500), ...u32(3)]);
    out.length = 0;
    c.decoder.decode(ipfixMessage(7, 1, [data300]), v6, out);
    expect(out).toHaveLength(0);
    a.decoder.decode(ipfixMessage(7, 2, [tpl300, opt301, optData]), v6, []);
    await until('C to replay the IPFIX record', () => c.emitted.length === 1);
    expect(c.emitted[0]).toMatchObject({
      protocol: 'ipfix',
      exporter: v6,
      subAgentId: 7,
      srcAddr: '10.0.0.1',
      packets: 3,
      samplingRate: 100,
    });
    expect(c.emitted[0]!.samplingRateMissing).toBeUndefined();
    for (const i of [a, b, c]) await i.shared.stop();
  });

  it('an inlet rides out a server restart: its batches wait, go out under their IDs, and land once', async () => {
    const storage = openSqliteStorage({ path: join(dir, 'restart.db') });
    const store = new FlowStore(storage.flows);
    const inlet = await link();
    await ensureStream(inlet, cfg);
    const pub = new FlowPublisher(inlet.js, cfg, 'inlet-r', new Registry(), log);
    const w = new FlowBusWriter(await link(), cfg, (e) => store.write(e), new Registry(), log);
    await w.start();
    await nats.pause();
    pub.submit(Array.from({ length: 1000 }, (_, i) => entry(i, '192.0.2.30')));
    await new Promise((r) => setTimeout(r, 1500));
    expect(pub.published).toBe(0);
    expect(pub.pending).toBe(3);
    await nats.resume();
    expect(await pub.drain(30_000)).toBe(0);
    await until('the 1000 entries written after the restart', () => w.entries >= 1000, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(w.entries).toBe(1000);
    const rows = store.query({ exporter: '192.0.2.30', top: 10_000 }, 0);
    expect(rows.reduce((s, r) => s + r.packets, 0)).toBe(3000);
    await w.stop();
    pub.stop();
    storage.close();
  }, 60_000);

  it('canopy collector --check reaches JetStream, and exits 1 naming flows.nats.url when it cannot', async () => {
    expect(await checkFlowBus(cfg)).toBeUndefined();
    const check = (url: string) =>
      new Promise<{ code: number; err: string }>((res) => {
        execFile(
          process.execPath,
          [join(ROOT, 'bin/canopy.js'), 'collector', '--check'],
          {
            env: {
              ...process.env,
              CANOPY_STORAGE_DATADIR: join(dir, 'check'),
              CANOPY_FLOWS_BUS: 'nats',
              CANOPY_FLOWS_NATS_URL: url,
              CANOPY_FLOWS_NATS_CONNECTTIMEOUT: '2',
            },
          },
          (e, _out, err) => res({ code: e ? ((e as { code?: number }).code ?? -1) : 0, err }),
        );
      });
    const [ok, down] = await Promise.all([check(nats.url), check('nats://127.0.0.1:1')]);
    expect(ok).toEqual({ code: 0, err: '' });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/flow bus unreachable[\s\S]*flows\.nats\.url: \S/);
  }, 30_000);
});

describe('flows.bus config', () => {
  it('defaults to no bus, role both, a local server; refuses other buses, roles and URLs', () => {
    const d = flowsSection.parse({});
    expect(d).toMatchObject({
      bus: 'none',
      role: 'both',
      nats: { url: 'nats://127.0.0.1:4222', stream: 'CANOPY_FLOWS', subject: 'canopy.flows' },
    });
    expect(flowsSection.safeParse({ bus: 'kafka' }).success).toBe(false);
    expect(flowsSection.safeParse({ role: 'reader' }).success).toBe(false);
    expect(flowsSection.safeParse({ nats: { url: 'http://x:4222' } }).success).toBe(false);
    expect(flowsSection.safeParse({ nats: { url: 'nats://a:4222, nats://b:4222' } }).success).toBe(true);
    expect(flowsSection.safeParse({ nats: { subject: 'canopy.>' } }).success).toBe(false);
    expect(flowsSection.safeParse({ nats: { stream: 'a.b' } }).success).toBe(false);
  });
});
