// `canopy decode FILE…`: pcap (Eth/IP/UDP frames, or LLDP/CDP frames) or raw .bin/.dat payloads
// to JSON lines on stdout; errors to stderr with the packet number; exit 0 if anything decoded.
import { readFileSync } from 'node:fs';
import { readPcap, udpPayloads } from '../collectors/common/pcap.ts';
import { createSflowCliDecoder } from '../collectors/sflow/cli-decoder.ts';
import { createNetflowCliDecoder } from '../collectors/netflow/cli-decoder.ts';
import { createLldpCliDecoder } from '../lldp/cli-decoder.ts';
import { parseFlags } from '../util/args.ts';
import type { CliDecoder } from './decoder-api.ts';

export interface DecodeOutput {
  records: object[];
  errors: string[];
  decodedPackets: number;
}

function isPcap(buf: Buffer): boolean {
  if (buf.length < 4) return false;
  const m = buf.readUInt32LE(0);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1;
}

/** Decodes files in order with one set of decoders, so templates from one file serve the next. */
export function decodeFiles(paths: string[], exporterOverride?: string): DecodeOutput {
  const decoders: CliDecoder[] = [createSflowCliDecoder(), createNetflowCliDecoder(), createLldpCliDecoder()];
  const out: DecodeOutput = { records: [], errors: [], decodedPackets: 0 };
  const feed = (payload: Buffer, kind: 'udp' | 'frame', exporter: string, label: string, dstPort?: number) => {
    const d = decoders.find((x) => x.detect(payload, kind, dstPort));
    if (!d) {
      if (kind === 'udp') out.errors.push(`${label}: not sFlow, NetFlow or IPFIX`);
      return;
    }
    const r = d.decode(payload, exporter);
    out.records.push(...r.records);
    for (const e of r.errors) out.errors.push(`${label}: ${d.name}: ${e}`);
    if (r.records.length > 0 || r.errors.length === 0) out.decodedPackets++;
  };
  for (const path of paths) {
    const buf = readFileSync(path);
    if (isPcap(buf)) {
      const udpFrames = new Set<number>();
      try {
        for (const u of udpPayloads(buf)) {
          udpFrames.add(u.index);
          feed(u.payload, 'udp', exporterOverride ?? u.srcAddr, `${path} packet ${u.index}`, u.dstPort);
        }
        for (const f of readPcap(buf)) {
          if (!udpFrames.has(f.index) && f.linkType === 1) feed(f.data, 'frame', exporterOverride ?? '0.0.0.0', `${path} packet ${f.index}`);
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
  return out;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { exporter: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help || positionals.length === 0) {
    process.stdout.write('usage: canopy decode [--exporter ADDR] FILE...\n  pcap or raw .bin/.dat; prints one JSON object per record\n');
    return values.help ? 0 : 2;
  }
  const res = decodeFiles(positionals, values.exporter);
  for (const r of res.records) process.stdout.write(JSON.stringify(r) + '\n');
  for (const e of res.errors) process.stderr.write(e + '\n');
  return res.decodedPackets > 0 ? 0 : 1;
}
