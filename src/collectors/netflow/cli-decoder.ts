// `canopy decode` plug-in for NetFlow v5/v9 and IPFIX. One instance sees all files in order, so
// template files fed before data files (or earlier packets of a pcap) serve the later data.
import type { CliDecoder, CliDecodeResult } from '../../cli/decoder-api.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from './decoder.ts';
import { formatNetflowError } from './errors.ts';

/** Version 5, 9 or 10 with enough bytes for that version's header (IPFIX: its length field fits). */
export function looksLikeNetflow(b: Buffer): boolean {
  if (b.length < 16) return false;
  const v = b.readUInt16BE(0);
  if (v === 5) return b.length >= 24;
  if (v === 9) return b.length >= 24;
  if (v === 10) {
    const len = b.readUInt16BE(2);
    return len >= 16 && len <= b.length;
  }
  return false;
}

export function createNetflowCliDecoder(decoder = new NetflowDecoder()): CliDecoder {
  return {
    name: 'netflow',
    detect: (payload, kind) => kind === 'udp' && looksLikeNetflow(payload),
    decode(payload: Buffer, exporter: string): CliDecodeResult {
      const flows: FlowRecord[] = [];
      const options: OptionsRecord[] = [];
      const results = decoder.decodeAll(payload, exporter, flows, options);
      const errors: string[] = [];
      results.forEach((r, i) => {
        for (const e of r.errors) errors.push(results.length > 1 ? `message ${i + 1}: ${formatNetflowError(e)}` : formatNetflowError(e));
      });
      // Options records first: in a message they precede (and explain) the flows that use them.
      return { records: [...options, ...flows], errors };
    },
  };
}
