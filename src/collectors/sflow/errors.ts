// Typed decode errors and per-datagram counts. The decoder reports problems as values (never
// throws) so one bad sample or record costs only itself, not the whole datagram.

export type SflowErrorCode =
  /** Datagram shorter than its fixed header. */
  | 'short-datagram'
  /** Datagram version is not 5. */
  | 'bad-version'
  /** Agent address type is neither 1 (IPv4) nor 2 (IPv6). */
  | 'bad-address-type'
  /** A sample header or its announced length runs past the datagram. */
  | 'truncated-sample'
  /** A record header or its announced length runs past its sample. */
  | 'truncated-record'
  /** The last sample's records run past the sample's announced length (decoded up to the datagram end). */
  | 'length-mismatch'
  /** A sample or record body is shorter than its fixed fields. */
  | 'short-body'
  /** A count (samples, records, AS path, communities …) exceeds its cap or the space left. */
  | 'count-cap'
  /** Samples announced but not present (datagram ended early). */
  | 'missing-samples';

// Every code once (the compiler checks the list against the type): /metrics shows each at 0 from the start.
const CODES: Record<SflowErrorCode, true> = {
  'short-datagram': true,
  'bad-version': true,
  'bad-address-type': true,
  'truncated-sample': true,
  'truncated-record': true,
  'length-mismatch': true,
  'short-body': true,
  'count-cap': true,
  'missing-samples': true,
};
export const SFLOW_ERROR_CODES = Object.keys(CODES) as SflowErrorCode[];

export interface SflowDecodeError {
  code: SflowErrorCode;
  /** Byte offset in the datagram where the problem was found. */
  offset: number;
  /** What was being decoded, e.g. "flow sample 2 record 3 (format 0:1001)". */
  context: string;
}

export interface SflowDecodeStats {
  /** Samples walked (any format). */
  samples: number;
  flowSamples: number;
  counterSamples: number;
  dropSamples: number;
  /** Flow and counter records walked (known and unknown). */
  records: number;
  /** Samples of an unknown enterprise/format, skipped by their length. */
  unknownSamples: number;
  /** Records of an unknown enterprise/format, skipped by their length. */
  unknownRecords: number;
  /** Counter records of samples the counter gate turned away (walked, not decoded). */
  skippedCounterRecords: number;
}

export function newStats(): SflowDecodeStats {
  return {
    samples: 0,
    flowSamples: 0,
    counterSamples: 0,
    dropSamples: 0,
    records: 0,
    unknownSamples: 0,
    unknownRecords: 0,
    skippedCounterRecords: 0,
  };
}

export function formatError(e: SflowDecodeError): string {
  return `${e.code} at offset ${e.offset}: ${e.context}`;
}
