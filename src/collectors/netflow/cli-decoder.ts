// `canopy decode` plug-in for NetFlow v5/v9 and IPFIX. One instance sees all files in order, so
// template files fed before data files (or earlier packets of a pcap) serve the later data.
import type { CliDecoder, CliDecodeResult } from '../../cli/decoder-api.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from './decoder.ts';
import { formatNetflowError } from './errors.ts';
import { PendingSets } from './pending.ts';

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

// A file is read once, so data sets waiting for a template later in it are bounded by its size:
// none are evicted, and every one still waiting at the end is reported.
export function createNetflowCliDecoder(
  decoder = new NetflowDecoder({ pending: new PendingSets(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) }),
): CliDecoder {
  return {
    name: 'netflow',
    detect: (payload, kind) => kind === 'udp' && looksLikeNetflow(payload),
    decode(payload: Buffer, exporter: string): CliDecodeResult {
      const flows: FlowRecord[] = [];
      const options: OptionsRecord[] = [];
      const heldBefore = decoder.stats.pendingHeld;
      const results = decoder.decodeAll(payload, exporter, flows, options);
      const errors: string[] = [];
      results.forEach((r, i) => {
        for (const e of r.errors) errors.push(results.length > 1 ? `message ${i + 1}: ${formatNetflowError(e)}` : formatNetflowError(e));
      });
      // Options records first: in a message they precede (and explain) the flows that use them.
      return { records: [...options, ...flows], errors, held: decoder.stats.pendingHeld - heldBefore };
    },
    finish() {
      const waiting = decoder.pending.waitingByTemplate();
      const n = [...waiting.values()].reduce((s, c) => s + c, 0);
      if (n === 0) return [];
      const idList = [...waiting.keys()].sort((a, b) => a - b);
      const shown = idList.length > 10 ? `${idList.slice(0, 10).join(', ')} and ${idList.length - 10} more` : idList.join(', ');
      return [
        `${n} data set${n === 1 ? '' : 's'} skipped: no template (template ID${idList.length === 1 ? '' : 's'} ${shown}) — capture the exporter's template packets too, or give the template file first`,
      ];
    },
  };
}
