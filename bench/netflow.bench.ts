// `npm run bench`: NetFlow v5 / v9 / IPFIX decode, records/s on one core, next to the npm package
// node-netflowv9 (v5/v9 only) decoding the same messages in the same run. The peer runs in a child
// process: it opens a UDP socket on construction and may throw asynchronously. Rates are per CPU
// second of the measuring process (process.cpuUsage), i.e. per core, so a busy shared machine
// skews both sides alike instead of halving wall-clock figures.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { udpPayloads } from '../src/collectors/common/pcap.ts';
import type { FlowRecord } from '../src/collectors/common/flow-record.ts';
import { NetflowDecoder } from '../src/collectors/netflow/decoder.ts';
import type { Bench, Emit } from './run.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIX = join(HERE, '../fixtures/pcaps');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

interface Case {
  bench: string;
  /** Sent once before timing (templates). */
  setup: Buffer[];
  message: Buffer;
  records: number;
  peer: boolean;
  note: string;
}

const raw = (n: string) => readFileSync(join(FIX, n));
const pcap = (n: string) => [...udpPayloads(raw(n))].map((u) => u.payload);

function cases(): Case[] {
  return [
    {
      bench: 'netflow5.decode',
      setup: [],
      message: pcap('akvorado__nfv5.pcap')[0]!,
      records: 29,
      peer: true,
      note: 'akvorado nfv5.pcap, 29 records',
    },
    {
      bench: 'netflow9.decode',
      setup: [raw('goflow2__netflow_test-nfv9-template260.bin')],
      message: raw('goflow2__netflow_test-nfv9-data260.bin'),
      records: 21,
      peer: true,
      note: 'goflow2 template 260, 21 records of 65 B',
    },
    {
      bench: 'ipfix.decode',
      setup: [raw('logstash-codec-netflow__ipfix_test_openbsd_pflow_tpl.dat')],
      message: raw('logstash-codec-netflow__ipfix_test_openbsd_pflow_data.dat'),
      records: 26,
      peer: false,
      note: 'OpenBSD pflow, 26 records',
    },
  ];
}

function ours(c: Case): number {
  const d = new NetflowDecoder();
  const out: FlowRecord[] = [];
  for (const s of c.setup) d.decode(s, '192.0.2.1', out);
  out.length = 0;
  d.decode(c.message, '192.0.2.1', out);
  if (out.length !== c.records) throw new Error(`${c.bench}: decoded ${out.length} records, expected ${c.records}`);
  let records = 0;
  const warm = performance.now();
  while (performance.now() - warm < 500) {
    out.length = 0;
    d.decode(c.message, '192.0.2.1', out);
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    for (let i = 0; i < 2000; i++) {
      out.length = 0;
      d.decode(c.message, '192.0.2.1', out);
      records += out.length;
    }
  }
  const cpu = process.cpuUsage(c0);
  return records / ((cpu.user + cpu.system) / 1e6);
}

// Runs in a child: decode the same message with node-netflowv9 for SECONDS, print records/s.
const PEER = `
const { createRequire } = require('node:module');
const req = createRequire(process.argv[1] + '/');
const NetFlowV9 = req('node-netflowv9');
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const c = new NetFlowV9({ cb: () => {} });
c.server.close();
const rinfo = { address: '192.0.2.1', port: 2055, size: 0 };
for (const s of input.setup) c.nfPktDecode(Buffer.from(s, 'hex'), rinfo);
const msg = Buffer.from(input.message, 'hex');
rinfo.size = msg.length;
const first = c.nfPktDecode(msg, rinfo);
if (!first || first.flows.length !== input.records) { console.log(JSON.stringify({ error: 'peer decoded ' + (first ? first.flows.length : 0) })); process.exit(0); }
let records = 0;
const warm = performance.now();
while (performance.now() - warm < 500) c.nfPktDecode(msg, rinfo);
const c0 = process.cpuUsage(); const t0 = performance.now();
while (performance.now() - t0 < input.seconds * 1000) { for (let i = 0; i < 2000; i++) records += c.nfPktDecode(msg, rinfo).flows.length; }
const cpu = process.cpuUsage(c0);
console.log(JSON.stringify({ value: records / ((cpu.user + cpu.system) / 1e6) }));
`;

function peer(c: Case): number | string {
  try {
    const input = JSON.stringify({
      setup: c.setup.map((b) => b.toString('hex')),
      message: c.message.toString('hex'),
      records: c.records,
      seconds: SECONDS,
    });
    const out = execFileSync(process.execPath, ['-e', PEER, join(HERE, '..')], { input, encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
    const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { value?: number; error?: string };
    return r.value ?? r.error ?? 'no result';
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? 'failed';
  }
}

async function runCase(c: Case, emit: Emit): Promise<void> {
  await Promise.resolve();
  const value = Math.round(ours(c));
  if (!c.peer) {
    emit({ bench: c.bench, value, unit: 'records/s', note: `${c.note}; node-netflowv9 has no IPFIX` });
    return;
  }
  const p = peer(c);
  if (typeof p === 'number')
    emit({
      bench: c.bench,
      value,
      unit: 'records/s',
      peer: 'node-netflowv9',
      peerValue: Math.round(p),
      ratio: +(value / p).toFixed(2),
      note: c.note,
    });
  else emit({ bench: c.bench, value, unit: 'records/s', peer: 'node-netflowv9', peerError: p, note: c.note });
}

export const benches: Bench[] = cases().map((c) => ({ name: c.bench, run: (emit: Emit) => runCase(c, emit) }));
