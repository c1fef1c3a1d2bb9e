// Typed decode problems. Decoders never throw on input: they return these, with the byte offset
// (from the start of the message) where the problem was seen.

export type NetflowErrorCode =
  | 'short-header'
  | 'bad-version'
  | 'bad-length'
  | 'bad-count'
  | 'bad-set'
  | 'bad-template'
  | 'truncated-record'
  | 'empty-template'
  | 'template-limit';

// Every code once (the compiler checks the list against the type): /metrics shows each at 0 from the start.
const CODES: Record<NetflowErrorCode, true> = {
  'short-header': true,
  'bad-version': true,
  'bad-length': true,
  'bad-count': true,
  'bad-set': true,
  'bad-template': true,
  'truncated-record': true,
  'empty-template': true,
  'template-limit': true,
};
export const NETFLOW_ERROR_CODES = Object.keys(CODES) as NetflowErrorCode[];

export interface NetflowError {
  code: NetflowErrorCode;
  offset: number;
  context: string;
}

export function nfError(code: NetflowErrorCode, offset: number, context: string): NetflowError {
  return { code, offset, context };
}

export function formatNetflowError(e: NetflowError): string {
  return `${e.code} at offset ${e.offset}: ${e.context}`;
}
