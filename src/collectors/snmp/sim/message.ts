// Decoding of incoming SNMP messages (v1/v2c community messages, v3 headers and scoped PDUs).
// Pure functions over the datagram: every read is bounds-checked and problems come back as BerError.
import { TAG, newTlv, readInteger, readTlv, type BerError, type Tlv } from './ber.ts';

/** Varbinds kept as offsets into the request datagram, so error replies can echo them byte for byte. */
export interface PduView {
  tag: number;
  requestId: number;
  /** error-status, or non-repeaters for GETBULK. */
  f1: number;
  /** error-index, or max-repetitions for GETBULK. */
  f2: number;
  count: number;
  vbStart: number[];
  vbEnd: number[];
  /** The OID TLV (tag+length+content) and its content. */
  oidTlvStart: number[];
  oidOff: number[];
  oidLen: number[];
}

export const MAX_REQUEST_VARBINDS = 512;

export function isBerError(x: unknown): x is BerError {
  return typeof x === 'object' && x !== null && 'code' in x && 'offset' in x;
}

function readInt(buf: Uint8Array, off: number, limit: number, t: Tlv, context: string): number | BerError {
  const e = readTlv(buf, off, limit, t, context);
  if (e) return e;
  if (t.tag !== TAG.integer) return { code: 'unexpected-tag', offset: off, context };
  const v = readInteger(buf, t.start, t.len);
  return Number.isNaN(v) ? { code: 'bad-integer', offset: t.start, context } : v;
}

/** Decodes a PDU TLV starting at `off` and ending by `limit`. */
export function decodePdu(buf: Uint8Array, off: number, limit: number): PduView | BerError {
  const t = newTlv();
  let e = readTlv(buf, off, limit, t, 'pdu');
  if (e) return e;
  const tag = t.tag;
  if (tag < TAG.getRequest || tag > TAG.report) return { code: 'unexpected-tag', offset: off, context: 'pdu' };
  const pduEnd = t.end;
  const requestId = readInt(buf, t.start, pduEnd, t, 'request-id');
  if (typeof requestId !== 'number') return requestId;
  const f1 = readInt(buf, t.end, pduEnd, t, 'error-status');
  if (typeof f1 !== 'number') return f1;
  const f2 = readInt(buf, t.end, pduEnd, t, 'error-index');
  if (typeof f2 !== 'number') return f2;
  const listOff = t.end;
  e = readTlv(buf, listOff, pduEnd, t, 'varbind-list');
  if (e) return e;
  if (t.tag !== TAG.sequence) return { code: 'unexpected-tag', offset: listOff, context: 'varbind-list' };
  const pdu: PduView = { tag, requestId, f1, f2, count: 0, vbStart: [], vbEnd: [], oidTlvStart: [], oidOff: [], oidLen: [] };
  const listEnd = t.end;
  let p = t.start;
  while (p < listEnd) {
    if (pdu.count >= MAX_REQUEST_VARBINDS) return { code: 'too-many-varbinds', offset: p, context: 'varbind-list' };
    e = readTlv(buf, p, listEnd, t, 'varbind');
    if (e) return e;
    if (t.tag !== TAG.sequence) return { code: 'unexpected-tag', offset: p, context: 'varbind' };
    const vbEnd = t.end;
    const oidStart = t.start;
    e = readTlv(buf, oidStart, vbEnd, t, 'varbind-oid');
    if (e) return e;
    if ((t.tag as number) !== TAG.oid || t.len === 0 || t.len > 0xffff || (buf[t.end - 1]! & 0x80) !== 0)
      return { code: 'unexpected-tag', offset: oidStart, context: 'varbind-oid' };
    const oidOff = t.start;
    const oidLen = t.len;
    e = readTlv(buf, t.end, vbEnd, t, 'varbind-value');
    if (e) return e;
    if (t.end !== vbEnd) return { code: 'trailing-bytes', offset: t.end, context: 'varbind' };
    pdu.vbStart.push(p);
    pdu.vbEnd.push(vbEnd);
    pdu.oidTlvStart.push(oidStart);
    pdu.oidOff.push(oidOff);
    pdu.oidLen.push(oidLen);
    pdu.count++;
    p = vbEnd;
  }
  return pdu;
}

export interface CommunityMessage {
  version: 0 | 1;
  communityStart: number;
  communityEnd: number;
  pduStart: number;
  pduEnd: number;
}

export interface V3Message {
  version: 3;
  msgId: number;
  maxSize: number;
  flags: number;
  securityModel: number;
  engineId: [number, number];
  boots: number;
  time: number;
  user: [number, number];
  authParams: [number, number];
  privParams: [number, number];
  /** The scoped PDU: a plaintext SEQUENCE, or the OCTET STRING content when encrypted. */
  scoped: [number, number];
  encrypted: boolean;
}

export type Message = CommunityMessage | V3Message;

function octets(buf: Uint8Array, off: number, limit: number, t: Tlv, context: string): [number, number] | BerError {
  const e = readTlv(buf, off, limit, t, context);
  if (e) return e;
  if (t.tag !== TAG.octetString) return { code: 'unexpected-tag', offset: off, context };
  return [t.start, t.end];
}

/** Decodes the outer message: community messages fully up to the PDU, v3 up to the scoped PDU. */
export function decodeMessage(buf: Uint8Array): Message | BerError {
  const t = newTlv();
  let e = readTlv(buf, 0, buf.length, t, 'message');
  if (e) return e;
  if (t.tag !== TAG.sequence) return { code: 'unexpected-tag', offset: 0, context: 'message' };
  if (t.end !== buf.length) return { code: 'trailing-bytes', offset: t.end, context: 'message' };
  const end = t.end;
  const version = readInt(buf, t.start, end, t, 'version');
  if (typeof version !== 'number') return version;
  if (version === 0 || version === 1) {
    const c = octets(buf, t.end, end, t, 'community');
    if (isBerError(c)) return c;
    e = readTlv(buf, t.end, end, t, 'pdu');
    if (e) return e;
    if (t.end !== end) return { code: 'trailing-bytes', offset: t.end, context: 'message' };
    return { version, communityStart: c[0], communityEnd: c[1], pduStart: c[1], pduEnd: t.end };
  }
  if (version !== 3) return { code: 'bad-version', offset: 2, context: 'version' };
  const gdOff = t.end;
  e = readTlv(buf, gdOff, end, t, 'msgGlobalData');
  if (e) return e;
  if (t.tag !== TAG.sequence) return { code: 'unexpected-tag', offset: gdOff, context: 'msgGlobalData' };
  const gdEnd = t.end;
  const msgId = readInt(buf, t.start, gdEnd, t, 'msgID');
  if (typeof msgId !== 'number') return msgId;
  const maxSize = readInt(buf, t.end, gdEnd, t, 'msgMaxSize');
  if (typeof maxSize !== 'number') return maxSize;
  const fl = octets(buf, t.end, gdEnd, t, 'msgFlags');
  if (isBerError(fl)) return fl;
  if (fl[1] - fl[0] !== 1) return { code: 'bad-length', offset: fl[0], context: 'msgFlags' };
  const flags = buf[fl[0]]!;
  const securityModel = readInt(buf, t.end, gdEnd, t, 'msgSecurityModel');
  if (typeof securityModel !== 'number') return securityModel;
  const sp = octets(buf, gdEnd, end, t, 'msgSecurityParameters');
  if (isBerError(sp)) return sp;
  const scopedOff = t.end;
  // USM parameters are a SEQUENCE inside the OCTET STRING.
  e = readTlv(buf, sp[0], sp[1], t, 'usm');
  if (e) return e;
  if (t.tag !== TAG.sequence) return { code: 'unexpected-tag', offset: sp[0], context: 'usm' };
  const usmEnd = t.end;
  const engineId = octets(buf, t.start, usmEnd, t, 'engineID');
  if (isBerError(engineId)) return engineId;
  const boots = readInt(buf, t.end, usmEnd, t, 'engineBoots');
  if (typeof boots !== 'number') return boots;
  const time = readInt(buf, t.end, usmEnd, t, 'engineTime');
  if (typeof time !== 'number') return time;
  const user = octets(buf, t.end, usmEnd, t, 'userName');
  if (isBerError(user)) return user;
  const authParams = octets(buf, t.end, usmEnd, t, 'authParameters');
  if (isBerError(authParams)) return authParams;
  const privParams = octets(buf, t.end, usmEnd, t, 'privParameters');
  if (isBerError(privParams)) return privParams;
  e = readTlv(buf, scopedOff, end, t, 'scopedPduData');
  if (e) return e;
  if (t.end !== end) return { code: 'trailing-bytes', offset: t.end, context: 'message' };
  const encrypted = (t.tag as number) === TAG.octetString;
  if (!encrypted && t.tag !== TAG.sequence) return { code: 'unexpected-tag', offset: scopedOff, context: 'scopedPduData' };
  return {
    version: 3,
    msgId,
    maxSize,
    flags,
    securityModel,
    engineId,
    boots,
    time,
    user,
    authParams,
    privParams,
    scoped: encrypted ? [t.start, t.end] : [scopedOff, t.end],
    encrypted,
  };
}

export interface ScopedPdu {
  contextEngineId: [number, number];
  contextName: [number, number];
  pdu: PduView;
}

/** Decodes a plaintext scoped PDU occupying [off, limit) of `buf` (exactly one SEQUENCE, padding allowed). */
export function decodeScopedPdu(buf: Uint8Array, off: number, limit: number): ScopedPdu | BerError {
  const t = newTlv();
  const e = readTlv(buf, off, limit, t, 'scopedPDU');
  if (e) return e;
  if (t.tag !== TAG.sequence) return { code: 'unexpected-tag', offset: off, context: 'scopedPDU' };
  const end = t.end;
  const ce = octets(buf, t.start, end, t, 'contextEngineID');
  if (isBerError(ce)) return ce;
  const cn = octets(buf, t.end, end, t, 'contextName');
  if (isBerError(cn)) return cn;
  const pdu = decodePdu(buf, t.end, end);
  if (isBerError(pdu)) return pdu;
  return { contextEngineId: ce, contextName: cn, pdu };
}
