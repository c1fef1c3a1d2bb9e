// The NetFlow v9/IPFIX ingest fast path (docs/performance.md): a data template of fixed-length
// fields is compiled a second time into a function that reads only the flow table's key fields and
// counters of a record and hands them to a sink as numbers (IPv4 addresses and MACs as FlowKeys
// makes them), with no record object and no address text. The values are those the full record
// decoder (plan.ts) gives the table for the record: the same field definitions, the same rule for a
// weak IE beside a strong one, the same "last non-zero wins" when several IEs feed one field.
// Templates this cannot mirror exactly (variable-length fields, RFC 7133 frame sections, RFC 5103
// reverse IEs, odd field lengths) get no key plan and take the full decoder.
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
}

/** One record at `o` (the caller checked that its fixed length fits) into the sink. */
export type KeyDecoder = (b: Buffer, o: number, h: KeyContext, s: NetflowSink, rate: number, missing: boolean) => void;

const NUMERIC = ['inIf', 'outIf', 'srcVlan', 'dstVlan', 'proto', 'srcPort', 'dstPort', 'etherType', 'bytes', 'packets'] as const;
const ADDRS = ['srcAddr', 'dstAddr'] as const;
const MACS = ['srcMac', 'dstMac'] as const;
const KEY_NAMES: ReadonlySet<string> = new Set<string>([...NUMERIC, ...ADDRS, ...MACS]);

interface Feeder {
  d: FieldDef;
  x: number;
  n: number;
}

function uintExpr(x: number, n: number): string {
  if (n === 1) return `b[o+${x}]`;
  if (n === 2) return `(b[o+${x}]<<8|b[o+${x + 1}])`;
  if (n === 3) return `(b[o+${x}]<<16|b[o+${x + 1}]<<8|b[o+${x + 2}])`;
  if (n === 4) return `(b[o+${x}]*16777216+(b[o+${x + 1}]<<16|b[o+${x + 2}]<<8|b[o+${x + 3}]))`;
  return `H.readUint(b,o+${x},${n})`;
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
  let x = 0;
  for (let i = 0; i < t.fields.length; i++) {
    const f = t.fields[i]!;
    if (f.length === VARIABLE_LENGTH || f.pen === REVERSE_PEN) return undefined;
    let d = defs[i]!;
    if (d.weak && strong.has(d.name)) d = { name: `${d.name}Total`, kind: d.kind };
    // A frame section fills key fields from the sampled packet: the full decoder's job.
    if (d.kind === 'frame' && f.length > 0) return undefined;
    if (f.length > 0 && KEY_NAMES.has(d.name)) {
      const l = feeders.get(d.name);
      if (l) l.push({ d, x, n: f.length });
      else feeders.set(d.name, [{ d, x, n: f.length }]);
    }
    x += f.length;
  }
  const body: string[] = [];
  const num: Record<string, string> = {};
  for (const name of NUMERIC) {
    const fs = feeders.get(name);
    if (!fs) continue;
    const vs: string[] = [];
    for (const fd of fs) {
      if (fd.d.kind !== 'u' || fd.n > 8) return undefined;
      const v = `${name}${vs.length}`;
      body.push(`const ${v}=${uintExpr(fd.x, fd.n)};`);
      vs.push(v);
    }
    num[name] = pickNumbers(vs);
  }
  for (const name of ADDRS) {
    const fs = feeders.get(name);
    if (!fs) {
      body.push(`const ${name}=-1;`);
      continue;
    }
    // Zero addresses ("0.0.0.0", "::") lose to any later non-zero one; all zero: the first.
    const parts: { zero: string; key: string }[] = [];
    for (const fd of fs) {
      if ((fd.d.kind !== 'ip4' && fd.d.kind !== 'ip6') || (fd.n !== 4 && fd.n !== 16)) return undefined;
      if (fd.n === 4) {
        const v = `${name}${parts.length}`;
        body.push(`const ${v}=${uintExpr(fd.x, 4)};`);
        parts.push({ zero: `${v}===0`, key: v });
      } else {
        const z: string[] = [];
        for (let k = 0; k < 16; k++) z.push(`b[o+${fd.x + k}]`);
        parts.push({ zero: `(${z.join('|')})===0`, key: `s.addrKey(H.ip6(b,o+${fd.x}))` });
      }
    }
    let e = parts[0]!.key;
    for (let i = 1; i < parts.length; i++) e = `(!(${parts[i]!.zero})?${parts[i]!.key}:${e})`;
    body.push(`const ${name}=${e};`);
  }
  for (const name of MACS) {
    const fs = feeders.get(name);
    if (!fs) {
      body.push(`const ${name}=-1;`);
      continue;
    }
    for (const fd of fs) if (fd.d.kind !== 'mac' || fd.n !== 6) return undefined;
    // A MAC text is never "zero" to pick: the last one wins.
    const m = fs[fs.length - 1]!.x;
    body.push(
      `const ${name}=(b[o+${m}]<<8|b[o+${m + 1}])*4294967296+(b[o+${m + 2}]*16777216+(b[o+${m + 3}]<<16|b[o+${m + 4}]<<8|b[o+${m + 5}]));`,
    );
  }
  // As FlowTable.add reads a record: srcVlan, else dstVlan; absent numbers 0, absent packets 1.
  const vlan = num.srcVlan ?? num.dstVlan ?? '0';
  const n = (k: string, dflt: string) => num[k] ?? dflt;
  body.push(
    `s.add(h.protocol,h.exporter,h.domain,${n('inIf', '0')},${n('outIf', '0')},${vlan},srcAddr,dstAddr,${n('proto', '0')},` +
      `${n('srcPort', '0')},${n('dstPort', '0')},srcMac,dstMac,${n('etherType', '0')},${n('bytes', '0')},${n('packets', '1')},rate,missing);`,
  );
  // Deliberate code generation, as in plan.ts.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('H', `return function decodeKey(b,o,h,s,rate,missing){"use strict";${body.join('')}}`) as (h: {
    readUint: (b: Buffer, o: number, n: number) => number;
    ip6: typeof ip6;
  }) => KeyDecoder;
  return make({ readUint, ip6 });
}

function readUint(b: Buffer, o: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[o + i]!;
  return v;
}
