// sFlow plug-in for `canopy decode`: detects version 5 datagrams and prints their records.
import type { CliDecoder } from '../../cli/decoder-api.ts';
import { decodeSflow, formatError, isSflowV5 } from './decode.ts';

export function createSflowCliDecoder(): CliDecoder {
  return {
    name: 'sflow',
    detect(payload, kind) {
      return kind === 'udp' && isSflowV5(payload);
    },
    // The exporter argument (UDP source) is not used: sFlow names its agent inside the datagram.
    decode(payload) {
      const d = decodeSflow(payload);
      return { records: [...d.flows, ...d.counters], errors: d.errors.map(formatError) };
    },
  };
}
