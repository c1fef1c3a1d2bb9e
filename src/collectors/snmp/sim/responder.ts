// GET / GETNEXT / GETBULK / SET semantics over one SimDevice (RFC 3416, v1 per RFC 2576 §4.2):
// picks varbind byte ranges (store records, echoed request varbinds or synthesised exceptions)
// within a byte budget, then encodes the Response-PDU in one pass.
import { TAG, intContentSize, lengthSize, tlvSize, writeHeader, writeInteger } from './ber.ts';
import type { SimDevice } from './device.ts';
import { isOidPrefix } from './oid.ts';
import type { PduView } from './message.ts';

export const ERR = { noError: 0, tooBig: 1, noSuchName: 2, genErr: 5, notWritable: 17 } as const;

/** Byte ranges making up a response varbind list; reused across requests (responses are synchronous). */
export class VarbindList {
  bufs: Uint8Array[] = [];
  starts: number[] = [];
  ends: number[] = [];
  bytes = 0;
  count = 0;
  reset(): void {
    this.bufs.length = 0;
    this.starts.length = 0;
    this.ends.length = 0;
    this.bytes = 0;
    this.count = 0;
  }
  push(buf: Uint8Array, start: number, end: number): void {
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
    this.bytes += end - start;
    this.count++;
  }
  pop(): void {
    this.bytes -= this.ends.pop()! - this.starts.pop()!;
    this.bufs.pop();
    this.count--;
  }
}

export interface PduOutcome {
  errorStatus: number;
  errorIndex: number;
  /** Varbinds taken from the store (for the served-varbinds counter). */
  served: number;
  truncated: boolean;
}

/** A varbind `{name, exception}` where name is an OID TLV found at [oidTlvStart, oidTlvEnd) of buf. */
function exceptionVarbind(buf: Uint8Array, oidTlvStart: number, oidTlvEnd: number, tag: number): Buffer {
  const inner = oidTlvEnd - oidTlvStart + 2;
  const out = Buffer.allocUnsafe(tlvSize(inner));
  let off = writeHeader(out, 0, TAG.sequence, inner);
  out.set(buf.subarray(oidTlvStart, oidTlvEnd), off);
  off += oidTlvEnd - oidTlvStart;
  out[off] = tag;
  out[off + 1] = 0;
  return out;
}

function recordOidTlvStart(dev: SimDevice, i: number): number {
  return dev.oidOff[i]! - 1 - lengthSize(dev.oidLen[i]!);
}

/** noSuchInstance when a neighbouring record shares the request's parent OID (object known), else noSuchObject. */
function missingTag(dev: SimDevice, req: Uint8Array, off: number, len: number): number {
  let p = len - 1;
  while (p > 0 && (req[off + p - 1]! & 0x80) !== 0) p--;
  if (p <= 0) return TAG.noSuchObject;
  const i = dev.search(req, off, len, false);
  for (const j of [i - 1, i]) {
    if (j >= 0 && j < dev.size && isOidPrefix(req, off, p, dev.data, dev.oidOff[j]!, dev.oidLen[j]!)) return TAG.noSuchInstance;
  }
  return TAG.noSuchObject;
}

function echoRequest(req: Uint8Array, pdu: PduView, out: VarbindList): void {
  out.reset();
  for (let k = 0; k < pdu.count; k++) out.push(req, pdu.vbStart[k]!, pdu.vbEnd[k]!);
}

function pushRecord(dev: SimDevice, i: number, out: VarbindList): void {
  out.push(dev.data, dev.vbStart[i]!, dev.vbStart[i + 1]!);
}

/**
 * Fills `out` with the response varbinds for `pdu` against `dev`, keeping the varbind list within
 * `budget` bytes. Returns null when the PDU gets no response (GETBULK in v1, non-request PDUs).
 */
export function servePdu(
  dev: SimDevice,
  req: Uint8Array,
  pdu: PduView,
  v1: boolean,
  budget: number,
  out: VarbindList,
  maxRepetitionsCap: number,
): PduOutcome | null {
  out.reset();
  const res: PduOutcome = { errorStatus: 0, errorIndex: 0, served: 0, truncated: false };
  const tooBig = (): PduOutcome => {
    if (v1) echoRequest(req, pdu, out);
    else out.reset();
    return { errorStatus: ERR.tooBig, errorIndex: 0, served: 0, truncated: true };
  };
  switch (pdu.tag) {
    case TAG.getRequest:
    case TAG.getNextRequest: {
      const next = pdu.tag === TAG.getNextRequest;
      for (let k = 0; k < pdu.count; k++) {
        const off = pdu.oidOff[k]!;
        const len = pdu.oidLen[k]!;
        let i = next ? dev.search(req, off, len, true) : dev.find(req, off, len);
        // v1 cannot carry Counter64: GETNEXT skips over it, GET reports noSuchName (RFC 2576 §4.2.2.1).
        if (v1 && next) while (i >= 0 && i < dev.size && dev.valueTag[i] === TAG.counter64) i++;
        if (i >= 0 && i < dev.size && !(v1 && dev.valueTag[i] === TAG.counter64)) {
          pushRecord(dev, i, out);
          res.served++;
        } else if (v1) {
          echoRequest(req, pdu, out);
          return { errorStatus: ERR.noSuchName, errorIndex: k + 1, served: 0, truncated: false };
        } else {
          const tag = next ? TAG.endOfMibView : missingTag(dev, req, off, len);
          const vb = exceptionVarbind(req, pdu.oidTlvStart[k]!, off + len, tag);
          out.push(vb, 0, vb.length);
        }
        if (out.bytes > budget) return tooBig();
      }
      return res;
    }
    case TAG.getBulkRequest: {
      if (v1) return null;
      const n = Math.min(Math.max(pdu.f1, 0), pdu.count);
      const r = pdu.count - n;
      const m = Math.min(Math.max(pdu.f2, 0), maxRepetitionsCap);
      // Non-repeaters: one GETNEXT each.
      for (let k = 0; k < n; k++) {
        const off = pdu.oidOff[k]!;
        const len = pdu.oidLen[k]!;
        const i = dev.search(req, off, len, true);
        if (i < dev.size) {
          pushRecord(dev, i, out);
          res.served++;
        } else {
          const vb = exceptionVarbind(req, pdu.oidTlvStart[k]!, off + len, TAG.endOfMibView);
          out.push(vb, 0, vb.length);
        }
        if (out.bytes > budget) return out.count === 1 ? tooBig() : (out.pop(), (res.truncated = true), res);
      }
      if (r === 0 || m === 0) return res;
      // Repeaters: the position of each is a store index, so every repetition is just i + 1.
      const cur = new Int32Array(r);
      for (let j = 0; j < r; j++) cur[j] = dev.search(req, pdu.oidOff[n + j]!, pdu.oidLen[n + j]!, true) - 1;
      for (let rep = 0; rep < m; rep++) {
        let allEnd = true;
        for (let j = 0; j < r; j++) {
          const i = cur[j]! + 1;
          if (i < dev.size) {
            pushRecord(dev, i, out);
            cur[j] = i;
            res.served++;
            allEnd = false;
          } else {
            // Name of endOfMibView: the last OID returned for this column, or the requested one.
            const last = cur[j]!;
            const k = n + j;
            const vb =
              last >= 0 && last >= dev.search(req, pdu.oidOff[k]!, pdu.oidLen[k]!, true)
                ? exceptionVarbind(dev.data, recordOidTlvStart(dev, last), dev.oidOff[last]! + dev.oidLen[last]!, TAG.endOfMibView)
                : exceptionVarbind(req, pdu.oidTlvStart[k]!, pdu.oidOff[k]! + pdu.oidLen[k]!, TAG.endOfMibView);
            out.push(vb, 0, vb.length);
          }
          if (out.bytes > budget) {
            if (out.count === 1) return tooBig();
            if (i < dev.size) res.served--;
            out.pop();
            res.truncated = true;
            return res;
          }
        }
        if (allEnd) break;
      }
      return res;
    }
    case TAG.setRequest:
      echoRequest(req, pdu, out);
      return { errorStatus: v1 ? ERR.noSuchName : ERR.notWritable, errorIndex: pdu.count > 0 ? 1 : 0, served: 0, truncated: false };
    default:
      return null;
  }
}

/** Size of a PDU TLV with these fields and varbind list. */
export function pduSize(requestId: number, errorStatus: number, errorIndex: number, vbl: VarbindList): number {
  return tlvSize(2 + intContentSize(requestId) + 2 + intContentSize(errorStatus) + 2 + intContentSize(errorIndex) + tlvSize(vbl.bytes));
}

export function writePdu(
  out: Uint8Array,
  off: number,
  tag: number,
  requestId: number,
  errorStatus: number,
  errorIndex: number,
  vbl: VarbindList,
): number {
  const inner = 2 + intContentSize(requestId) + 2 + intContentSize(errorStatus) + 2 + intContentSize(errorIndex) + tlvSize(vbl.bytes);
  off = writeHeader(out, off, tag, inner);
  off = writeInteger(out, off, requestId);
  off = writeInteger(out, off, errorStatus);
  off = writeInteger(out, off, errorIndex);
  off = writeHeader(out, off, TAG.sequence, vbl.bytes);
  for (let k = 0; k < vbl.count; k++) {
    out.set(vbl.bufs[k]!.subarray(vbl.starts[k], vbl.ends[k]), off);
    off += vbl.ends[k]! - vbl.starts[k]!;
  }
  return off;
}

/** Worst-case bytes of a Response-PDU around its varbind list content (headers and three INTEGERs). */
export const PDU_OVERHEAD = 4 + 6 + 3 + 4 + 4;

/** A whole v1/v2c response message. */
export function encodeCommunityResponse(
  version: number,
  req: Uint8Array,
  commStart: number,
  commEnd: number,
  requestId: number,
  o: PduOutcome,
  vbl: VarbindList,
): Buffer {
  const commLen = commEnd - commStart;
  const pdu = pduSize(requestId, o.errorStatus, o.errorIndex, vbl);
  const inner = 3 + tlvSize(commLen) + pdu;
  const out = Buffer.allocUnsafe(tlvSize(inner));
  let off = writeHeader(out, 0, TAG.sequence, inner);
  off = writeInteger(out, off, version);
  off = writeHeader(out, off, TAG.octetString, commLen);
  out.set(req.subarray(commStart, commEnd), off);
  off += commLen;
  writePdu(out, off, TAG.response, requestId, o.errorStatus, o.errorIndex, vbl);
  return out;
}
