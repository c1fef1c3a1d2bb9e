// One measured TCP transfer between two lab hosts: a Node receiver in the destination host's
// namespace, a Node sender in the source host's, dumpcap on the sender's interface for the
// 5-tuple, tshark to count the capture, and the collector's /api/flows for what it stored. Used by
// test/lab/acceptance.test.ts and by `npm run lab:flows` (five collector starts in a row).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LabChild, TestLab } from './lab-fixture.ts';

const RECEIVER = `
const net = require('node:net');
const srv = net.createServer((s) => {
  let n = 0;
  s.on('data', (b) => { n += b.length; });
  s.on('end', () => { s.end(); process.stdout.write(JSON.stringify({ received: n }) + '\\n'); srv.close(); });
});
srv.listen(Number(process.argv[1]), process.argv[2], () => process.stdout.write('LISTENING\\n'));`;

const SENDER = `
const net = require('node:net');
const [host, port, total] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const chunk = Buffer.alloc(64 * 1024, 0x5a);
const s = net.connect(port, host, () => {
  const localPort = s.localPort;
  let left = total;
  const pump = () => {
    while (left > 0) {
      const b = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= b.length;
      if (!s.write(b)) return s.once('drain', pump);
    }
    s.end();
  };
  pump();
  s.on('close', () => process.stdout.write(JSON.stringify({ localPort }) + '\\n'));
});
s.on('data', () => {});`;

export interface Side {
  bytes: number;
  packets: number;
}

export interface TransferResult {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  sent: number;
  received: number;
  /** tshark over the sender's capture, per direction (frame = what was on the wire, ip = IP total length). */
  frames: { fwd: Side; rev: Side };
  ipBytes: { fwd: number; rev: number };
  /** dumpcap's own drop count for the capture (must be 0 for the comparison to mean anything). */
  captureDropped: number;
  /** Frames the kernel passed dumpcap's filter; the file must hold as many (else the capture was cut short). */
  captureReceived: number;
  /** The capture holds the sender's SYN and both FINs: it saw the connection from start to end. */
  captureWhole: boolean;
  /** Frames tshark marks as TCP retransmissions: sent twice on the sender's wire, usually dropped in between. */
  retransmissions: number;
  /** dumpcap's closing lines (captured/received/dropped), for the record. */
  captureStats: string;
  transferMs: number;
}

const ipOf = (lab: TestLab, node: string) => lab.nodes[node]!.ifaces[0]!.ipv4[0]!.split('/')[0]!;

async function waitUntil<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const json = <T>(c: LabChild): T | undefined => {
  const l = c
    .stdout()
    .split('\n')
    .find((x) => x.startsWith('{'));
  return l ? (JSON.parse(l) as T) : undefined;
};

/**
 * Sends `bytes` from host `from` to host `to` (their first data interface) and counts it on the
 * sender's wire. The receiver's TCP window is capped (`net.ipv4.tcp_rmem` of its namespace,
 * default 64 KiB): unpaced, the sender's bursts overflow the AF_PACKET socket through which the lab's
 * Open vSwitch (userspace datapath) reads the port — measured here: 22 % of the frames on the
 * sender's wire were dropped before OVS saw them and sent again — so the sender's capture would
 * count frames that never crossed the switch.
 */
export async function measuredTransfer(
  lab: TestLab,
  from: string,
  to: string,
  bytes: number,
  dstPort = 5001,
  rcvWindow = 65_536,
): Promise<TransferResult> {
  const src = ipOf(lab, from),
    dst = ipOf(lab, to);
  const iface = lab.nodes[from]!.ifaces[0]!.name;
  const dir = mkdtempSync(join(tmpdir(), 'canopy-transfer-'));
  const pcap = join(dir, 'sender.pcap');
  try {
    await lab.exec(lab.namespaces[to]!, 'sysctl', ['-q', '-w', `net.ipv4.tcp_rmem=4096 ${rcvWindow} ${rcvWindow}`]);
    const rx = lab.spawnIn(lab.namespaces[to]!, process.execPath, ['-e', RECEIVER, String(dstPort), dst]);
    await rx.waitForOutput(/LISTENING/);
    // Headers only (-s 128): frame.len keeps the length on the wire, the file stays small.
    const cap = lab.spawnIn(lab.namespaces[from]!, 'dumpcap', [
      '-i',
      iface,
      '-f',
      `tcp and host ${dst} and port ${dstPort}`,
      '-s',
      '128',
      '-B',
      '64',
      '-P',
      '-w',
      pcap,
    ]);
    await waitUntil(() => (/Capturing on/.test(cap.stderr()) ? true : undefined), 10_000, `dumpcap on ${from} ${iface}`);
    // dumpcap says "Capturing on" a moment before its socket takes packets: a fast transfer started
    // at once lost its first ~1,300 frames (uncounted by the kernel). The capture must hold the SYN.
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const tx = lab.spawnIn(lab.namespaces[from]!, process.execPath, ['-e', SENDER, dst, String(dstPort), String(bytes)]);
    const { localPort } = await waitUntil(() => json<{ localPort: number }>(tx), 60_000, `the sender on ${from}`);
    const transferMs = Date.now() - t0;
    const { received } = await waitUntil(() => json<{ received: number }>(rx), 10_000, `the receiver on ${to}`);
    // The last ACKs and FINs, then a clean stop (SIGINT: dumpcap prints its counts). Packets still in
    // a TPACKET_V3 block that was not handed over yet would be lost uncounted at the stop: give the
    // block timeout time to pass (300 ms was too short on a loaded machine: 11 % of a capture missing).
    await new Promise((r) => setTimeout(r, 1000));
    cap.child.kill('SIGINT');
    await waitUntil(() => (cap.child.exitCode !== null || cap.child.signalCode !== null ? true : undefined), 10_000, 'dumpcap to stop');
    const drops = /received\/dropped on interface '[^']*': (\d+)\/(\d+)/.exec(cap.stderr());
    const out = await lab.exec(lab.namespaces[from]!, 'tshark', [
      '-r',
      pcap,
      '-T',
      'fields',
      '-E',
      'separator=,',
      '-e',
      'ip.src',
      '-e',
      'tcp.srcport',
      '-e',
      'frame.len',
      '-e',
      'ip.len',
      '-e',
      'tcp.analysis.retransmission',
      '-e',
      'tcp.flags.syn',
      '-e',
      'tcp.flags.fin',
    ]);
    const frames = { fwd: { bytes: 0, packets: 0 }, rev: { bytes: 0, packets: 0 } };
    const ipBytes = { fwd: 0, rev: 0 };
    let retransmissions = 0;
    let syn = false,
      fins = 0;
    for (const line of out.stdout.split('\n')) {
      const [s, sport, flen, ilen, retrans, synFlag, finFlag] = line.split(',');
      if (!s || !flen || !ilen) continue;
      const d = s === src && Number(sport) === localPort ? 'fwd' : s === dst && Number(sport) === dstPort ? 'rev' : null;
      if (!d) continue;
      frames[d].bytes += Number(flen);
      frames[d].packets++;
      ipBytes[d] += Number(ilen);
      if (retrans) retransmissions++;
      if (d === 'fwd' && (synFlag === '1' || synFlag === 'True')) syn = true;
      if (finFlag === '1' || finFlag === 'True') fins++;
    }
    return {
      src,
      dst,
      srcPort: localPort,
      dstPort,
      sent: bytes,
      received,
      frames,
      ipBytes,
      captureDropped: drops ? Number(drops[2]) : -1,
      captureReceived: drops ? Number(drops[1]) : -1,
      captureWhole: syn && fins >= 2,
      retransmissions,
      captureStats: cap
        .stderr()
        .split('\n')
        .filter((l) => /^Packets/.test(l))
        .join('; '),
      transferMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FlowRow {
  exporter: string;
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  bytes: number;
  packets: number;
}

/** The exporter's stored rows for the transfer's 5-tuple, both directions, summed. */
export function storedFor(rows: FlowRow[], t: TransferResult): { fwd: Side; rev: Side } {
  const sum = (a: string, ap: number, b: string, bp: number): Side => {
    const m = rows.filter((r) => r.proto === 6 && r.srcAddr === a && r.srcPort === ap && r.dstAddr === b && r.dstPort === bp);
    return { bytes: m.reduce((x, r) => x + r.bytes, 0), packets: m.reduce((x, r) => x + r.packets, 0) };
  };
  return { fwd: sum(t.src, t.srcPort, t.dst, t.dstPort), rev: sum(t.dst, t.dstPort, t.src, t.srcPort) };
}

/** Polls the exporter's stored rows for the transfer until they stop growing (flows are flushed on read). */
export async function settledStored(
  lab: TestLab,
  api: string,
  exporter: string,
  t: TransferResult,
  maxMs = 20_000,
): Promise<{ fwd: Side; rev: Side; waitedMs: number }> {
  const t0 = Date.now();
  let last = -1;
  let same = 0;
  for (;;) {
    const r = await lab.exec(
      lab.mgmtNs,
      'curl',
      ['-sf', '--max-time', '5', `${api}/api/flows?exporter=${exporter}&addr=${t.src}&port=${t.srcPort}&proto=6&top=1000`],
      { allowFail: true },
    );
    const s = storedFor(r.code === 0 ? (JSON.parse(r.stdout) as FlowRow[]) : [], t);
    const total = s.fwd.bytes + s.rev.bytes;
    same = total === last && total > 0 ? same + 1 : 0;
    last = total;
    if (same >= 3 || Date.now() - t0 > maxMs) return { ...s, waitedMs: Date.now() - t0 };
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** Lines of the collector's (pino JSON) log whose msg is `msg`. */
export function logLines(c: LabChild, msg: string): number {
  let n = 0;
  for (const l of c.stdout().split('\n')) if (l.includes(`"msg":"${msg}"`)) n++;
  return n;
}

/** The error message of the first log line whose msg is `msg` (for reports), or undefined. */
export function firstLogError(c: LabChild, msg: string): string | undefined {
  const l = c
    .stdout()
    .split('\n')
    .find((x) => x.includes(`"msg":"${msg}"`));
  if (!l) return undefined;
  try {
    const j = JSON.parse(l) as { err?: { message?: string } };
    return j.err?.message ?? l.slice(0, 300);
  } catch {
    return l.slice(0, 300);
  }
}

/**
 * Stored flow rows (raw and 1-minute rollups) whose device or port node is not a live node of the
 * graph in the same database: what the start-up race left behind (flows stored against a switch
 * node merged away a moment later). Read from the collector's SQLite file, read-only, after
 * /api/flows has flushed the flow table.
 */
export function flowsOnVanishedNodes(dataDir: string): { rows: number; ids: string[] } {
  const db = new Database(join(dataDir, 'canopy.db'), { readonly: true, fileMustExist: true });
  try {
    let rows = 0;
    const ids = new Set<string>();
    for (const t of ['flows', 'flows_1m']) {
      const gone = (col: string) => `(${col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = ${col}))`;
      const where = ['device_id', 'in_port_id', 'out_port_id'].map(gone).join(' OR ');
      rows += (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE ${where}`).get() as { n: number }).n;
      for (const col of ['device_id', 'in_port_id', 'out_port_id']) {
        for (const id of db
          .prepare(`SELECT DISTINCT ${col} AS id FROM ${t} WHERE ${gone(col)}`)
          .pluck()
          .all() as string[])
          ids.add(id);
      }
    }
    return { rows, ids: [...ids] };
  } finally {
    db.close();
  }
}
