// The datagrams the ingest benches send: real captured datagrams (sFlow or IPFIX) replayed with
// the flow keys inside rewritten. Kept apart from the sender process so that a test can check what
// the sender would put on the wire (test/bench/ingest-streams.test.ts).

/**
 * One datagram to replay. Each rewrite slot is a quad of byte offsets into the datagram:
 * IPv4 source address, IPv4 destination address, L4 source port, L4 destination port
 * (0 = this record has no such field). `records` and `periodic` are IPFIX-only.
 */
export interface StreamTemplate {
  hex: string;
  slots: number[];
  /** IPFIX data records in the message: the header's sequence number advances by this much. */
  records?: number;
  /** IPFIX template (and options) message: sent first, then again every `templateEverySeconds`. */
  periodic?: boolean;
}

/**
 * sFlow templates (`templates()` of sflow-ingest.bench.ts) list pairs: the source-address offset
 * (the destination follows 4 bytes on) and the L4 header offset (0 = none).
 */
export interface SflowTemplate {
  hex: string;
  rewrite: number[];
}

export function fromSflow(t: SflowTemplate): StreamTemplate {
  const slots: number[] = [];
  for (let i = 0; i < t.rewrite.length; i += 2) {
    const a = t.rewrite[i]!;
    const l4 = t.rewrite[i + 1]!;
    slots.push(a, a + 4, l4, l4 > 0 ? l4 + 2 : 0);
  }
  return { hex: t.hex, slots };
}

export type KeyMode =
  /** Real traffic mixes long and short flows: a new key every so many records, `keysPerMinute` at `rate`. */
  | { mode: 'rotate'; keysPerMinute: number; rate: number }
  /** Every record a key never sent before, until `keys` have been sent (then they repeat from the first). */
  | { mode: 'distinct'; keys: number };

interface Prepared {
  buf: Buffer;
  slots: number[];
  records: number;
  domain: number;
}

const IPFIX = 10;

export class DatagramStream {
  private readonly data: Prepared[] = [];
  private readonly periodic: Prepared[] = [];
  private next_ = 0;
  private key = 0;
  private records = 0;
  private readonly recordsPerKey: number;
  /** IPFIX sequence per observation domain: data records sent so far (RFC 7011 §3.1). */
  private readonly sequence = new Map<number, number>();
  /** Flow keys written so far (records rewritten), and distinct keys among them. */
  keysWritten = 0;

  constructor(
    templates: StreamTemplate[],
    private readonly keys: KeyMode,
  ) {
    for (const t of templates) {
      const buf = Buffer.from(t.hex, 'hex');
      const ipfix = buf.length >= 16 && buf.readUInt16BE(0) === IPFIX;
      const p: Prepared = { buf, slots: t.slots, records: t.records ?? 0, domain: ipfix ? buf.readUInt32BE(12) : -1 };
      (t.periodic ? this.periodic : this.data).push(p);
    }
    if (this.data.length === 0) throw new Error('no data datagram to send');
    const perDatagram = this.data.reduce((s, t) => s + t.slots.length / 4, 0) / this.data.length;
    this.recordsPerKey = keys.mode === 'rotate' ? Math.max(1, Math.floor((keys.rate * perDatagram * 60) / keys.keysPerMinute)) : 1;
  }

  /** Distinct keys sent so far. */
  get distinctKeys(): number {
    return this.keys.mode === 'distinct' ? Math.min(this.keysWritten, this.keys.keys) : this.key + 1;
  }

  /** Template/options messages (IPFIX), their sequence numbers and export time brought up to date. */
  templateDatagrams(nowSeconds: number): Buffer[] {
    for (const p of this.periodic) this.stamp(p, nowSeconds);
    return this.periodic.map((p) => p.buf);
  }

  /** The next data datagram with fresh keys. The buffer is reused: send it before calling again. */
  nextDatagram(nowSeconds: number): Buffer {
    const p = this.data[this.next_]!;
    this.next_ = (this.next_ + 1) % this.data.length;
    const b = p.buf;
    const s = p.slots;
    for (let i = 0; i < s.length; i += 4) {
      const k = this.nextKey();
      if (this.keys.mode === 'rotate') {
        // The encoding sflow.ingest always used, so its figures stay comparable.
        b.writeUInt32BE((0x0a000000 | (k & 0xffff)) >>> 0, s[i]);
        b.writeUInt32BE((0x0b000000 | (k >>> 4)) >>> 0, s[i + 1]);
      } else {
        // 24 bits of key in the source address: distinct up to 16 M keys.
        b.writeUInt32BE((0x0a000000 | (k & 0xffffff)) >>> 0, s[i]);
        b.writeUInt32BE((0x0b000000 | ((k >>> 24) << 16) | (k & 0xffff)) >>> 0, s[i + 1]);
      }
      if (s[i + 2]! > 0) b.writeUInt16BE(1024 + (k % 50_000), s[i + 2]);
      if (s[i + 3]! > 0) b.writeUInt16BE(443, s[i + 3]);
    }
    if (p.domain >= 0) this.stamp(p, nowSeconds);
    return b;
  }

  private nextKey(): number {
    this.keysWritten++;
    if (this.keys.mode === 'distinct') return (this.keysWritten - 1) % this.keys.keys;
    if (++this.records % this.recordsPerKey === 0) this.key = (this.key + 1) % 16_000_000;
    return this.key;
  }

  /** IPFIX header: export time and the domain's sequence number (data records sent before this message). */
  private stamp(p: Prepared, nowSeconds: number): void {
    const seq = this.sequence.get(p.domain) ?? 0;
    p.buf.writeUInt32BE(nowSeconds >>> 0, 4);
    p.buf.writeUInt32BE(seq >>> 0, 8);
    if (p.records) this.sequence.set(p.domain, (seq + p.records) % 0x100000000);
  }
}
