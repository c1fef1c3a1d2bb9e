// netflow.workers: N receive/decode threads on one port (SO_REUSEPORT) against a real collector over
// loopback, fed real NetFlow v9 / IPFIX captures. What is stored must not depend on the thread
// count, even though a template (or an options sampling rate) reaches only the worker whose socket
// got its packet: each exporter's datagrams go out from several source ports, so the kernel spreads
// them over the workers, and some exporters send their data before their templates.
import { describe, it, expect, afterEach } from 'vitest';
import dgram from 'node:dgram';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { loadUdpBatch } from '../../../src/collectors/flows/udp-batch.ts';
import { startTestCollector, type TestCollector } from '../../api/helpers.ts';
import { payloads } from './helpers.ts';

const available = loadUdpBatch() !== undefined;

/** Capture files of one exporter, in the order sent; `dataFirst`: the last file (its templates) goes last. */
const EXPORTERS: { files: string[]; dataFirst?: boolean }[] = [
  { files: ['softflowd-nf5-nf9-ipfix.pcap'] },
  { files: ['pmacct__111-IPFIXv10-NFv9-IPv6-IPv4-mix_sources_traffic-00.pcap'] },
  { files: ['pmacct__104-IPFIXv10-IPv6-CISCO-sampling_option_traffic-00.pcap'] },
  {
    files: [
      'akvorado__multiplesamplingrates-options-template.pcap',
      'akvorado__multiplesamplingrates-options-data.pcap',
      'akvorado__multiplesamplingrates-template.pcap',
      'akvorado__multiplesamplingrates-data.pcap',
    ],
  },
  {
    files: ['logstash-codec-netflow__netflow9_test_cisco_asa_1_data.dat', 'logstash-codec-netflow__netflow9_test_cisco_asa_1_tpl.dat'],
    dataFirst: true,
  },
  { files: ['akvorado__ipfixprobe-data.pcap', 'akvorado__ipfixprobe-templates.pcap'], dataFirst: true },
];
/** Source ports per exporter: its datagrams rotate over them. Data sent first goes out this many times. */
const SOCKETS = 6;

let t: TestCollector | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

type Status = Record<string, unknown> & { exporters?: { datagrams: number; records: number }[] };
const status = (t: TestCollector): Status => (t.collector.status() as { components: Record<string, Status> }).components.netflow!;

async function send(port: number): Promise<number> {
  let sent = 0;
  for (const [i, e] of EXPORTERS.entries()) {
    // One exporter per loopback address, so captures reusing template IDs stay apart.
    const host = `127.0.1.${i + 1}`;
    const socks = await Promise.all(
      Array.from({ length: SOCKETS }, async () => {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, host, r));
        return s;
      }),
    );
    const msgs = e.files.flatMap((f, j) => {
      const ps = payloads(f).map((p) => p.payload);
      // Data before templates: every data datagram from every socket, held until the templates come.
      return e.dataFirst && j < e.files.length - 1 ? socks.flatMap(() => ps) : ps;
    });
    for (const [k, m] of msgs.entries()) {
      await new Promise<void>((r, j) => socks[k % SOCKETS]!.send(m, port, '127.0.0.1', (err) => (err ? j(err) : r())));
      sent++;
      // Time for what a worker learned to reach the others through the main thread, as between an
      // exporter's packets (its templates and options data come seconds before the data they serve).
      await sleep(15);
    }
    for (const s of socks) s.close();
  }
  return sent;
}

const ROW_KEY = `protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto,
  src_port, dst_port, src_mac, dst_mac, ether_type, sampling_rate, sampling_missing`;
function flowRows(dir: string): unknown[] {
  const db = new Database(join(dir, 'canopy.db'), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT ${ROW_KEY}, SUM(bytes) AS bytes, SUM(packets) AS packets, SUM(flows) AS flows FROM flows GROUP BY ${ROW_KEY} ORDER BY ${ROW_KEY}`,
      )
      .all();
  } finally {
    db.close();
  }
}

async function run(workers: number, records?: number) {
  t = await startTestCollector({ 'netflow.workers': workers, 'ipfix.enabled': false, 'storage.flowFlushInterval': 3600 });
  const st = status(t);
  expect(st.workers).toBe(workers);
  const port = Number((st.listen as string[])[0]!.split(':').pop());
  const sent = await send(port);
  const counted = () => (status(t!).exporters ?? []).reduce((n, e) => n + e.datagrams, 0);
  await expect.poll(counted, { timeout: 10_000 }).toBe(sent);
  // Records: in the exporters' accounts, or released by a template another worker learned.
  const got = () => (status(t!).exporters ?? []).reduce((n, e) => n + e.records, 0) + (status(t!).sharedReleased as number);
  if (records !== undefined) await expect.poll(got, { timeout: 10_000 }).toBe(records);
  const end = status(t);
  const total = got();
  const dir = t.dir;
  await t.stop(true);
  t = undefined;
  const rows = flowRows(dir);
  rmSync(dir, { recursive: true, force: true });
  return {
    rows,
    records: total,
    spread: ((end.workerDatagrams as number[][][])[0] ?? [])[0] ?? [],
    released: end.sharedReleased as number,
    threads: end.workerThreads,
  };
}

describe.runIf(available)('NetFlow/IPFIX receive workers (SO_REUSEPORT)', () => {
  it('replayed v9/IPFIX captures store the same flow rows with 1 and 2 workers, templates and data landing on different workers', async () => {
    const one = await run(1);
    expect(one.threads).toBe(0);
    expect(one.rows.length).toBeGreaterThan(40);
    const two = await run(2, one.records);
    expect(two.threads).toBe(2);
    // Both workers got datagrams, and records another worker's template released were stored.
    expect(two.spread).toHaveLength(2);
    expect(Math.min(...two.spread)).toBeGreaterThan(0);
    expect(two.released).toBeGreaterThan(0);
    expect(two.rows).toEqual(one.rows);
  });
});
