// `canopy replay FILE [--json]`: a pcap through the port-mirror capture path (conversation table,
// per-direction packets and wire bytes) — what a mirror port carrying that traffic would show.
import { readFileSync } from 'node:fs';
import { PcapError } from '../collectors/common/pcap.ts';
import { replayPcap, type ReplayRow } from '../collectors/mirror/replay.ts';
import { parseFlags } from '../util/args.ts';
import { emit, reason, usageError } from './output.ts';

const HELP = `usage: canopy replay [--json] [--table-size N] FILE
  FILE              classic pcap (Ethernet, raw IP or Linux cooked); pcapng: convert with
                    \`editcap -F pcap in.pcapng out.pcap\`
  --json            one JSON object per flow per direction, with the /api/flows row fields
                    (srcAddr, dstAddr, proto, srcPort, dstPort, packets, bytes, …) plus tcpFlags,
                    icmpType/icmpCode and rttMs
  --table-size N    conversations held at once (default 1000000); a full table hands out its
                    oldest conversation, which may then appear twice
  -h, --help        this help

Without --json, a table biggest first. A progress bar is drawn on stderr when stdout is a terminal.

exit status:
  0  the file was read (also when the reader of the output goes away)
  1  unreadable or not a pcap file
  2  usage error`;

function endpoint(addr: string, port: number, mac: string): string {
  if (!addr) return mac || '-';
  if (!port) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function table(rows: ReplayRow[]): string {
  const sorted = [...rows].sort((a, b) => b.bytes - a.bytes);
  const lines = sorted.map((r) => [
    endpoint(r.srcAddr, r.srcPort, r.srcMac),
    endpoint(r.dstAddr, r.dstPort, r.dstMac),
    r.srcAddr || r.dstAddr ? r.protoName || String(r.proto) : r.etherTypeName,
    String(r.vlan || ''),
    String(r.packets),
    String(r.bytes),
    r.rttMs !== undefined ? r.rttMs.toFixed(3) : '',
  ]);
  const head = ['src', 'dst', 'proto', 'vlan', 'packets', 'bytes', 'rtt ms'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) =>
    l
      .map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...lines.map(fmt)].join('\n') + '\n';
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(args, { json: { type: 'boolean' }, 'table-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  } catch (e) {
    return usageError('replay', (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    return usageError('replay', positionals.length ? 'one FILE only' : 'no FILE given');
  }
  const size = values['table-size'];
  if (size !== undefined && (!/^\d+$/.test(size) || Number(size) < 1)) {
    return usageError('replay', `--table-size: a positive integer, got "${size}"`);
  }
  const path = positionals[0]!;
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    process.stderr.write(`canopy replay: cannot read ${path}: ${reason(e)}\n`);
    return 1;
  }
  const bar = !values.json && process.stdout.isTTY === true && process.stderr.isTTY === true;
  const progress = bar
    ? (done: number) => {
        const w = 30;
        const n = Math.round(done * w);
        process.stderr.write(`\r[${'#'.repeat(n)}${' '.repeat(w - n)}] ${Math.round(done * 100)}%`);
      }
    : undefined;
  let res;
  try {
    res = replayPcap(buf, { exporter: path, ...(size ? { tableSize: Number(size) } : {}), ...(progress ? { onProgress: progress } : {}) });
  } catch (e) {
    if (bar) process.stderr.write('\n');
    if (!(e instanceof PcapError)) throw e;
    process.stderr.write(`canopy replay: ${path}: ${e.message}\n`);
    return 1;
  }
  if (bar) process.stderr.write('\n');
  if (values.json) {
    for (const r of res.rows) if (!emit(JSON.stringify(r) + '\n')) return 0;
  } else if (!emit(table(res.rows))) return 0;
  const s = res.stats;
  if (!values.json || s.unreadable)
    process.stderr.write(
      `canopy replay: ${res.frames} frames, ${res.rows.length} flow directions${s.unreadable ? `, ${s.unreadable} unreadable frames` : ''}${s.evictions ? `, ${s.evictions} evictions` : ''}\n`,
    );
  return 0;
}
