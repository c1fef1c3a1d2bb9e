// `canopy decode FILE…`: pcap (Eth/IP/UDP frames, or LLDP/CDP frames) or raw .bin/.dat payloads
// to JSON lines on stdout; per-packet errors and end-of-input notes to stderr.
import { readFileSync } from 'node:fs';
import { readPcap, udpPayloads } from '../collectors/common/pcap.ts';
import { createSflowCliDecoder } from '../collectors/sflow/cli-decoder.ts';
import { createNetflowCliDecoder } from '../collectors/netflow/cli-decoder.ts';
import { createLldpCliDecoder } from '../lldp/cli-decoder.ts';
import { parseFlags } from '../util/args.ts';
import type { CliDecoder } from './decoder-api.ts';
import { emit, reason, usageError } from './output.ts';

const HELP = `usage: canopy decode [--exporter ADDR] FILE...
  FILE             pcap (Ethernet/IP/UDP frames, or LLDP/CDP frames) or a raw .bin/.dat payload;
                   files are read in order by one set of decoders, so a NetFlow v9/IPFIX template
                   file given first serves the data files after it
  --exporter ADDR  exporter address for raw payloads and LLDP frames (default: the UDP source, else 0.0.0.0)
  -h, --help       this help

Prints one JSON object per record on stdout; per-packet errors and notes (such as data sets
skipped for lack of a template) go to stderr.

exit status:
  0  at least one packet decoded (notes and per-packet errors may still be on stderr),
     or the reader of the output went away (| head)
  1  nothing decoded: unreadable file, no template for any data set, not sFlow/NetFlow/IPFIX/LLDP/CDP
  2  usage error`;

export interface DecodeOutput {
  records: object[];
  errors: string[];
  /** Said once after all input (data that never met its template …). */
  notes: string[];
  decodedPackets: number;
}

/** A file that cannot be read: the message is the whole story (`cannot read X: no such file`). */
export class InputError extends Error {}

function isPcap(buf: Buffer): boolean {
  if (buf.length < 4) return false;
  const m = buf.readUInt32LE(0);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1;
}

/**
 * Decodes files in order with one set of decoders, so templates from one file serve the next.
 * Every file is read before anything is decoded: an unreadable one throws InputError.
 */
export function decodeFiles(paths: string[], exporterOverride?: string): DecodeOutput {
  const files = paths.map((path) => {
    try {
      return { path, buf: readFileSync(path) };
    } catch (e) {
      throw new InputError(`cannot read ${path}: ${reason(e)}`);
    }
  });
  const decoders: CliDecoder[] = [createSflowCliDecoder(), createNetflowCliDecoder(), createLldpCliDecoder()];
  const out: DecodeOutput = { records: [], errors: [], notes: [], decodedPackets: 0 };
  const feed = (payload: Buffer, kind: 'udp' | 'frame', exporter: string, label: string, dstPort?: number) => {
    const d = decoders.find((x) => x.detect(payload, kind, dstPort));
    if (!d) {
      if (kind === 'udp') out.errors.push(`${label}: not sFlow, NetFlow or IPFIX`);
      return;
    }
    const r = d.decode(payload, exporter);
    for (const rec of r.records) out.records.push(rec);
    for (const e of r.errors) out.errors.push(`${label}: ${d.name}: ${e}`);
    // A message whose data all waits for a template decoded nothing (yet).
    if (r.records.length > 0 || (r.errors.length === 0 && !r.held)) out.decodedPackets++;
  };
  for (const { path, buf } of files) {
    if (isPcap(buf)) {
      const udpFrames = new Set<number>();
      try {
        for (const u of udpPayloads(buf)) {
          udpFrames.add(u.index);
          feed(u.payload, 'udp', exporterOverride ?? u.srcAddr, `${path} packet ${u.index}`, u.dstPort);
        }
        for (const f of readPcap(buf)) {
          if (!udpFrames.has(f.index) && f.linkType === 1)
            feed(f.data, 'frame', exporterOverride ?? '0.0.0.0', `${path} packet ${f.index}`);
        }
      } catch (e) {
        out.errors.push(`${path}: ${(e as Error).message}`);
      }
    } else if (decoders.some((d) => d.name === 'lldp' && d.detect(buf, 'frame'))) {
      feed(buf, 'frame', exporterOverride ?? '0.0.0.0', `${path} packet 1`);
    } else {
      feed(buf, 'udp', exporterOverride ?? '0.0.0.0', `${path} packet 1`);
    }
  }
  for (const d of decoders) out.notes.push(...(d.finish?.() ?? []));
  return out;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(args, { exporter: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  } catch (e) {
    return usageError('decode', (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length === 0) {
    return usageError('decode', 'no FILE given');
  }
  let res: DecodeOutput;
  try {
    res = decodeFiles(positionals, values.exporter);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`canopy decode: ${e.message}\n`);
    return 1;
  }
  for (const r of res.records) {
    // The reader went away (| head): what it wanted, it has.
    if (!emit(JSON.stringify(r) + '\n')) return 0;
  }
  for (const e of res.errors) process.stderr.write(e + '\n');
  for (const n of res.notes) process.stderr.write(`canopy decode: ${n}\n`);
  return res.decodedPackets > 0 ? 0 : 1;
}
