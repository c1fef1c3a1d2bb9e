// Feeds fixture files, in order, to one decoder (templates from earlier files serve later ones).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { udpPayloads } from '../../../src/collectors/common/pcap.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { NetflowDecoder, type DecodeResult, type OptionsRecord } from '../../../src/collectors/netflow/decoder.ts';

export const FIXTURES = join(import.meta.dirname, '../../../fixtures/pcaps');

export interface Fed {
  decoder: NetflowDecoder;
  flows: FlowRecord[];
  options: OptionsRecord[];
  results: DecodeResult[];
  errors: string[];
}

/** Payloads of a fixture: UDP payloads of a pcap (exporter = IP source), or a raw file. */
export function payloads(name: string): { payload: Buffer; exporter: string }[] {
  const buf = readFileSync(join(FIXTURES, name));
  if (name.endsWith('.pcap')) return [...udpPayloads(buf)].map((u) => ({ payload: u.payload, exporter: u.srcAddr }));
  return [{ payload: buf, exporter: '192.0.2.1' }];
}

export function feed(names: string[], decoder = new NetflowDecoder()): Fed {
  const fed: Fed = { decoder, flows: [], options: [], results: [], errors: [] };
  for (const n of names) {
    for (const p of payloads(n)) {
      const rs = decoder.decodeAll(p.payload, p.exporter, fed.flows, fed.options);
      fed.results.push(...rs);
      for (const r of rs) for (const e of r.errors) fed.errors.push(`${n}: ${e.code} @${e.offset} ${e.context}`);
    }
  }
  return fed;
}
