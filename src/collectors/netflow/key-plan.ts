// The NetFlow v9/IPFIX ingest fast path (docs/performance.md): a data template of fixed-length
// fields is compiled a second time into a function that reads only the flow table's key fields and
// counters of a record and hands them to a sink as numbers (IPv4 addresses and MACs as FlowKeys
// makes them), with no record object and no address text. The values are those the full record
// decoder (plan.ts) gives the table for the record: the same field definitions, the same rule for a
// weak IE beside a strong one, the same "last non-zero wins" when several IEs feed one field.
// RFC 5103 biflow records give two calls, as biflow.ts gives two records. Templates this cannot
// mirror exactly (key fields of variable or odd length, RFC 7133 frame sections) get no key plan
// and take the full decoder.
import { ieDef, type FieldDef } from './fields.ts';
import { ip6 } from './read.ts';
import type { Template } from '../../topology/store/templates.ts';

const VARIABLE_LENGTH = 65535;
const REVERSE_PEN = 29305;

/** Where fast-path records go: the flow table (main thread) or a worker's batch. */
export interface NetflowSink {
  /** The table's key of an address text (IPv6). */
  addrKey(s: string): number;
  add(
    protocol: 'netflow9' | 'ipfix',
    exporter: string,
    sub: number,
    inIf: number,
    outIf: number,
    vlan: number,
    src: number,
    dst: number,
    proto: number,
    sp: number,
    dp: number,
    smac: number,
    dmac: number,
    et: number,
    bytes: number,
    packets: number,
    rate: number,
    rateMissing: boolean,
  ): void;
}

/** The per-message values a key decoder reads (the record decoder's DecodeContext). */
export interface KeyContext {
  protocol: 'netflow9' | 'ipfix';
  exporter: string;
  domain: number;
  /** Set by the decoder: offset just after the record. */
  next: number;
  /** The set's rate depends on each record's sampler ID (options data): ask `rateFor`. */
  bySampler: boolean;
  /** A record's rate from its sampler ID, as SamplingResolver.resolve gives it; undefined: none known. */
  rateFor(samplerId: number): number | undefined;
}

/**
 * One record at `o` of a set ending at `e` into the sink; returns the records added (2 for an
 * RFC 5103 biflow record whose reverse direction saw traffic), or -1 with nothing added when the
 * record overruns the set. Sets `h.next` to the offset after the record.
 */
export type KeyDecoder = ((b: Buffer, o: number, e: number, h: KeyContext, s: NetflowSink, rate: number, missing: boolean) => number) & {
  /** The template names a sampler (IE 48 or 302) the decoder reads: with `h.bySampler` each record's rate comes from it. */
  samplerAware?: boolean;
};

const NUMERIC = ['inIf', 'outIf', 'srcVlan', 'dstVlan', 'proto', 'srcPort', 'dstPort', 'etherType', 'bytes', 'packets'] as const;
const ADDRS = ['srcAddr', 'dstAddr'] as const;
const MACS = ['srcMac', 'dstMac'] as const;
const KEY_NAMES: ReadonlySet<string> = new Set<string>([...NUMERIC, ...ADDRS, ...MACS]);
/** What sampling.ts samplerIdOf reads: samplerId when the record has one, else selectorId. */
const SAMPLER_NAMES = ['samplerId', 'selectorId'] as const;

interface Feeder {
  d: FieldDef;
  /** Name of the generated constant holding the field's offset in the buffer. */
  x: string;
  n: number;
}

function uintExpr(x: string, n: number): string {
  if (n === 1) return `b[${x}]`;
  if (n === 2) return `(b[${x}]<<8|b[${x}+1])`;
  if (n === 3) return `(b[${x}]<<16|b[${x}+1]<<8|b[${x}+2])`;
  if (n === 4) return `(b[${x}]*16777216+(b[${x}+1]<<16|b[${x}+2]<<8|b[${x}+3]))`;
  return `H.readUint(b,${x},${n})`;
}

/** "Last non-zero wins, else the first" (read.ts pick) over numeric expressions. */
function pickNumbers(vs: string[]): string {
  let e = vs[0]!;
  for (let i = 1; i < vs.length; i++) e = `(${vs[i]}!==0?${vs[i]}:${e})`;
  return e;
}

/**
 * The key decoder of a data template, or undefined when the full decoder must take its records.
 * Generated source holds only integers and fixed identifiers (see plan.ts), never input bytes.
 */
export function compileKeyPlan(t: Template): KeyDecoder | undefined {
  if (t.options) return undefined;
  const defs = t.fields.map((f) => ieDef(f.id, f.pen));
  const strong = new Set(defs.filter((d) => !d.weak).map((d) => d.name));
  const feeders = new Map<string, Feeder[]>();
  /** RFC 5103 reverse IEs, in template order: id → where. */
  const reverse = new Map<number, { x: string; n: number }>();
  // Offsets as the record decoder walks them (plan.ts): from `o`, and after each variable-length
  // field from `p`; every run of fixed fields bounds-checked before it is read.
  const body: string[] = [];
  const runLength = (from: number) => {
    let n = 0;
    for (let j = from; j < t.fields.length && t.fields[j]!.length !== VARIABLE_LENGTH; j++) n += t.fields[j]!.length;
    return n;
  };
  let samplerReadable = true;
  const first = runLength(0);
  if (first > 0) body.push(`if(o+${first}>e)return -1;`);
  let base = 'o';
  let k = 0;
  for (let i = 0; i < t.fields.length; i++) {
    const f = t.fields[i]!;
    let d = defs[i]!;
    if (f.length === VARIABLE_LENGTH) {
      if ((SAMPLER_NAMES as readonly string[]).includes(d.name)) samplerReadable = false;
      // Only fields the table does not read may vary in length.
      if (
        KEY_NAMES.has(d.name) ||
        d.kind === 'frame' ||
        (f.pen === REVERSE_PEN && (f.id === 1 || f.id === 2 || KEY_NAMES.has(ieDef(f.id, 0).name)))
      )
        return undefined;
      body.push(`p=${base}+${k};if(p>=e)return -1;l=b[p++];if(l===255){if(p+2>e)return -1;l=b[p]<<8|b[p+1];p+=2;}if(p+l>e)return -1;p+=l;`);
      base = 'p';
      k = 0;
      const run = runLength(i + 1);
      if (run > 0) body.push(`if(p+${run}>e)return -1;`);
      continue;
    }
    const x = `x${i}`;
    if (f.length > 0) body.push(`const ${x}=${base}+${k};`);
    k += f.length;
    if (d.weak && strong.has(d.name)) d = { name: `${d.name}Total`, kind: d.kind };
    // A frame section fills key fields from the sampled packet: the full decoder's job.
    if (d.kind === 'frame' && f.length > 0) return undefined;
    if (f.pen === REVERSE_PEN && f.length > 0) {
      // One IE twice would be picked between (read.ts pick): not mirrored here.
      if (reverse.has(f.id)) return undefined;
      reverse.set(f.id, { x, n: f.length });
    } else if (f.length > 0 && (KEY_NAMES.has(d.name) || (SAMPLER_NAMES as readonly string[]).includes(d.name))) {
      const l = feeders.get(d.name);
      if (l) l.push({ d, x, n: f.length });
      else feeders.set(d.name, [{ d, x, n: f.length }]);
    }
  }
  body.push(`h.next=${base}+${k};`);
  /** Key field → expression of its value, `undefined` when the record has no such field. */
  const v: Record<string, string> = {};
  for (const name of NUMERIC) {
    const fs = feeders.get(name);
    if (!fs) continue;
    const vs: string[] = [];
    for (const fd of fs) {
      if (fd.d.kind !== 'u' || fd.n > 8) return undefined;
      const id = `${name}${vs.length}`;
      body.push(`const ${id}=${uintExpr(fd.x, fd.n)};`);
      vs.push(id);
    }
    body.push(`const ${name}=${pickNumbers(vs)};`);
    v[name] = name;
  }
  for (const name of ADDRS) {
    const fs = feeders.get(name);
    if (!fs) continue;
    // Zero addresses ("0.0.0.0", "::") lose to any later non-zero one; all zero: the first.
    const parts: { zero: string; key: string }[] = [];
    for (const fd of fs) {
      if ((fd.d.kind !== 'ip4' && fd.d.kind !== 'ip6') || (fd.n !== 4 && fd.n !== 16)) return undefined;
      if (fd.n === 4) {
        const id = `${name}${parts.length}`;
        body.push(`const ${id}=${uintExpr(fd.x, 4)};`);
        parts.push({ zero: `${id}===0`, key: id });
      } else {
        const z: string[] = [];
        for (let j = 0; j < 16; j++) z.push(`b[${fd.x}+${j}]`);
        parts.push({ zero: `(${z.join('|')})===0`, key: `s.addrKey(H.ip6(b,${fd.x}))` });
      }
    }
    let e = parts[0]!.key;
    for (let i = 1; i < parts.length; i++) e = `(!(${parts[i]!.zero})?${parts[i]!.key}:${e})`;
    body.push(`const ${name}=${e};`);
    v[name] = name;
  }
  for (const name of MACS) {
    const fs = feeders.get(name);
    if (!fs) continue;
    for (const fd of fs) if (fd.d.kind !== 'mac' || fd.n !== 6) return undefined;
    // A MAC text is never "zero" to pick: the last one wins.
    const m = fs[fs.length - 1]!.x;
    body.push(`const ${name}=(b[${m}]<<8|b[${m}+1])*4294967296+(b[${m}+2]*16777216+(b[${m}+3]<<16|b[${m}+4]<<8|b[${m}+5]));`);
    v[name] = name;
  }
  // A rate per record from its sampler ID (sampling.ts resolve: options data, else the default).
  const sampler = feeders.get(SAMPLER_NAMES[0]) ?? feeders.get(SAMPLER_NAMES[1]);
  const samplerAware = samplerReadable && sampler !== undefined && sampler.every((fd) => fd.d.kind === 'u' && fd.n <= 4);
  if (samplerAware) {
    const ids = sampler.map((fd, j) => {
      body.push(`const sid${j}=${uintExpr(fd.x, fd.n)};`);
      return `sid${j}`;
    });
    body.push(
      `if(h.bySampler){const sr=h.rateFor(${pickNumbers(ids)});if(sr===undefined){rate=1;missing=true;}else{rate=sr>0?sr:1;missing=false;}}`,
    );
  }
  body.push(add(v));
  if (reverse.size > 0) {
    // biflow.ts reverseRecord: src/dst swapped, forward counters dropped, then each reverse IE of a
    // plain counter kind sets its forward name; emitted when reverse bytes or packets are > 0.
    const r: Record<string, string> = { ...v };
    delete r.bytes;
    delete r.packets;
    for (const [a, b] of SWAPS) {
      const va = v[a];
      const vb = v[b];
      if (vb === undefined) delete r[a];
      else r[a] = vb;
      if (va === undefined) delete r[b];
      else r[b] = va;
    }
    const num = (id: number) => {
      const w = reverse.get(id);
      return w && w.n <= 8 ? uintExpr(w.x, w.n) : undefined;
    };
    for (const [id, w] of reverse) {
      const d = ieDef(id, 0);
      if (d.name.startsWith('ie') || d.kind !== 'u' || !KEY_NAMES.has(d.name)) continue;
      // A value wider than 8 bytes is hex text, which the table cannot take as a number.
      if (w.n > 8) return undefined;
      body.push(`const r${id}=${uintExpr(w.x, w.n)};`);
      r[d.name] = `r${id}`;
    }
    const rb = num(1);
    const rp = num(2);
    const cond = [rb && `${rb}>0`, rp && `${rp}>0`].filter(Boolean).join('||');
    if (cond) body.push(`if(${cond}){${add(r)}return 2;}`);
  }
  body.push('return 1;');
  // Deliberate code generation, as in plan.ts.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('H', `return function decodeKey(b,o,e,h,s,rate,missing){"use strict";let p=0,l=0;${body.join('')}}`) as (h: {
    ip6: typeof ip6;
    readUint: typeof readUint;
  }) => KeyDecoder;
  const decoder = make({ ip6, readUint });
  if (samplerAware) decoder.samplerAware = true;
  return decoder;
}

const keyed = { records: 0, added: 0, overrun: -1 };

/**
 * The records of a data set [off, end) through a key decoder, at one rate (0 or less: unknown, rate
 * 1 flagged). Returns records read, records added, and where a record overran (-1: none). The
 * result object is reused.
 */
export function keyedSet(
  key: KeyDecoder,
  b: Buffer,
  off: number,
  end: number,
  min: number,
  h: KeyContext,
  sink: NetflowSink,
  setRate: number,
): typeof keyed {
  const rate = setRate > 0 ? setRate : 1;
  const missing = setRate <= 0;
  keyed.records = keyed.added = 0;
  keyed.overrun = -1;
  while (off + min <= end) {
    const a = key(b, off, end, h, sink, rate, missing);
    if (a < 0) {
      keyed.overrun = off;
      break;
    }
    off = h.next;
    keyed.added += a;
    keyed.records++;
  }
  return keyed;
}

const SWAPS: [string, string][] = [
  ['srcAddr', 'dstAddr'],
  ['srcPort', 'dstPort'],
  ['inIf', 'outIf'],
  ['srcMac', 'dstMac'],
  ['srcVlan', 'dstVlan'],
];

/** The sink call for key values `v` (absent ones as FlowTable.add reads a record without them). */
function add(v: Record<string, string>): string {
  const n = (k: string, dflt: string) => v[k] ?? dflt;
  // srcVlan, else dstVlan; absent numbers 0, absent packets 1, absent addresses and MACs -1.
  const vlan = v.srcVlan ? (v.dstVlan ? `(${v.srcVlan}??${v.dstVlan})` : v.srcVlan) : (v.dstVlan ?? '0');
  return (
    `s.add(h.protocol,h.exporter,h.domain,${n('inIf', '0')},${n('outIf', '0')},${vlan},${n('srcAddr', '-1')},${n('dstAddr', '-1')},` +
    `${n('proto', '0')},${n('srcPort', '0')},${n('dstPort', '0')},${n('srcMac', '-1')},${n('dstMac', '-1')},${n('etherType', '0')},` +
    `${n('bytes', '0')},${n('packets', '1')},rate,missing);`
  );
}

function readUint(b: Buffer, o: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[o + i]!;
  return v;
}
