// One simulated device: its records sorted by OID and pre-encoded as varbind TLVs in one buffer.
// Lookups binary-search encoded OIDs; a walk then just steps to the next index.
import { TAG, tlvSize, writeHeader } from './ber.ts';
import { compareOid, encodeOidText, formatOid } from './oid.ts';
import { emptySkips, type LoadSkips, type WalkRecord } from './records.ts';

export class SimDevice {
  /**
   * Further views of this device selected by community (or v3 context) `<community>@<suffix>`,
   * e.g. Cisco's per-VLAN BRIDGE-MIB (`public@10`): snmpsim's data-dir convention, one walk file per
   * community (`public@10.snmprec`), served on the device's own port in port-per-device mode.
   */
  readonly contexts = new Map<string, SimDevice>();
  readonly size: number;
  /** Concatenated varbind TLVs, record i at [vbStart[i], vbStart[i+1]). */
  readonly data: Buffer;
  readonly vbStart: Uint32Array;
  /** Offset and length of record i's OID content bytes inside `data`. */
  readonly oidOff: Uint32Array;
  readonly oidLen: Uint16Array;
  readonly valueTag: Uint8Array;

  constructor(
    /** Community (v1/v2c) and v3 context name that select this device. */
    readonly community: string,
    records: readonly WalkRecord[],
    /** Where the records came from (file path or "generated"). */
    readonly source: string,
    readonly skips: LoadSkips = emptySkips(),
  ) {
    const enc: { oid: Buffer; r: WalkRecord; i: number }[] = [];
    records.forEach((r, i) => {
      const oid = encodeOidText(r.oid);
      if (oid && oid.length < 0x10000) enc.push({ oid, r, i });
      else this.skips.invalid++;
    });
    // Stable on input order so the first of duplicate OIDs wins (a walk sees the first one).
    enc.sort((a, b) => compareOid(a.oid, 0, a.oid.length, b.oid, 0, b.oid.length) || a.i - b.i);
    const kept: typeof enc = [];
    for (const e of enc) {
      const prev = kept[kept.length - 1];
      if (prev && compareOid(prev.oid, 0, prev.oid.length, e.oid, 0, e.oid.length) === 0) this.skips.duplicate++;
      else kept.push(e);
    }
    let total = 0;
    for (const e of kept) total += tlvSize(tlvSize(e.oid.length) + tlvSize(e.r.value.length));
    this.size = kept.length;
    this.data = Buffer.allocUnsafe(total);
    this.vbStart = new Uint32Array(kept.length + 1);
    this.oidOff = new Uint32Array(kept.length);
    this.oidLen = new Uint16Array(kept.length);
    this.valueTag = new Uint8Array(kept.length);
    let off = 0;
    kept.forEach((e, i) => {
      this.vbStart[i] = off;
      off = writeHeader(this.data, off, TAG.sequence, tlvSize(e.oid.length) + tlvSize(e.r.value.length));
      off = writeHeader(this.data, off, TAG.oid, e.oid.length);
      this.oidOff[i] = off;
      this.oidLen[i] = e.oid.length;
      off += e.oid.copy(this.data, off);
      off = writeHeader(this.data, off, e.r.tag, e.r.value.length);
      this.valueTag[i] = e.r.tag;
      off += e.r.value.copy(this.data, off);
    });
    this.vbStart[kept.length] = off;
  }

  /** First index whose OID is ≥ the encoded OID (`strict`: >), or `size`. */
  search(buf: Uint8Array, off: number, len: number, strict: boolean): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareOid(this.data, this.oidOff[mid]!, this.oidLen[mid]!, buf, off, len);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the exact OID, or -1. */
  /**
   * Changes an INTEGER value in place (same encoded length), so a running simulation can flip a
   * port's ifOperStatus for demos. Returns false when the OID is absent or the value would not fit.
   */
  setInteger(oidText: string, value: number): boolean {
    const oid = encodeOidText(oidText);
    if (!oid) return false;
    const i = this.find(oid, 0, oid.length);
    if (i < 0 || this.valueTag[i] !== TAG.integer) return false;
    const end = this.vbStart[i + 1]!;
    const valueOff = this.oidOff[i]! + this.oidLen[i]! + 2; // tag + one-byte length
    if (end - valueOff !== 1 || value < 0 || value > 127) return false;
    this.data[valueOff] = value;
    return true;
  }

  find(buf: Uint8Array, off: number, len: number): number {
    const i = this.search(buf, off, len, false);
    return i < this.size && compareOid(this.data, this.oidOff[i]!, this.oidLen[i]!, buf, off, len) === 0 ? i : -1;
  }

  varbindLength(i: number): number {
    return this.vbStart[i + 1]! - this.vbStart[i]!;
  }

  /** The record back as a WalkRecord (tests, tools). */
  record(i: number): WalkRecord {
    const vStart = this.oidOff[i]! + this.oidLen[i]!;
    const end = this.vbStart[i + 1]!;
    // Value header: tag byte then length; content is the tail of the varbind.
    const lenByte = this.data[vStart + 1]!;
    const hdr = 2 + (lenByte & 0x80 ? lenByte & 0x7f : 0);
    return {
      oid: formatOid(this.data, this.oidOff[i], this.oidLen[i]),
      tag: this.valueTag[i]!,
      value: Buffer.from(this.data.subarray(vStart + hdr, end)),
    };
  }
}
