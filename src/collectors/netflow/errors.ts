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
