// Compiles a template once into a specialised record decoder (generated JS, like node-netflowv9 does):
// fixed offsets, inline byte arithmetic and one object literal per record keep the hot path at a
// single allocation with a stable shape. Generated source only ever contains integers and property
// names from fields.ts or built from integers, never bytes from the wire as code.
import type { FlowRecord } from '../common/flow-record.ts';
import { parsePacket } from '../common/packet.ts';
import { ieDef, v9ScopeDef, type FieldDef } from './fields.ts';
import * as R from './read.ts';
import { compileKeyPlan, type KeyDecoder } from './key-plan.ts';
import type { Template, TemplateField } from '../../topology/store/templates.ts';

export const VARIABLE_LENGTH = 65535;
/** RFC 5103 reverse information elements: PEN 29305, element id = the forward IE's id. */
export const REVERSE_PEN = 29305;

/** Moved to the storage module, which keeps these rows. */
export type { Template, TemplateField };

/** Per-message values the generated decoder reads. Mutated in place, one per decoder. */
export interface DecodeContext {
  protocol: 'netflow9' | 'ipfix';
  exporter: string;
  domain: number;
  sequence: number;
  exportMs: number;
  /** Absolute ms of exporter boot (sysUptime 0), or -1 when unknown (IPFIX without systemInitTime). */
  uptimeBase: number;
  /** Set by the decoder: offset just after the record. */
  next: number;
}

export type RecordHooks = {
  /** RFC 7133 frame section: merges decoded L2–L4 fields into the record. */
  frame: (rec: Record<string, unknown>, b: Buffer, o: number, n: number) => void;
};

export type RecordDecoder = (b: Buffer, o: number, e: number, h: DecodeContext) => Record<string, unknown> | null;

export interface Plan {
  decode: RecordDecoder;
  /** Record length when no field is variable, else the minimum length. */
  minLength: number;
  variable: boolean;
  /** Which sampling inputs a record of this template carries. */
  hasRecordRate: boolean;
  hasSamplerId: boolean;
  /** RFC 5103 biflow: the template carries reverse IEs (PEN 29305). */
  hasReverse: boolean;
  /** The fast path's key decoder (key-plan.ts); undefined when the template needs the full decoder. */
  key: KeyDecoder | undefined;
}

/**
 * RFC 7133 dataLinkFrameSection: the sampled frame goes through the parser sFlow raw headers use.
 * Without a byte count IE, the frame stands for one packet of its IP length (as in sFlow).
 */
function frameSection(rec: Record<string, unknown>, b: Buffer, o: number, n: number): void {
  const l3 = parsePacket(b, o, n, 'ethernet', rec as FlowRecord);
  if (rec.bytes === undefined && l3 > 0) {
    rec.bytes = l3;
    if (rec.packets === undefined) rec.packets = 1;
  }
}

const hooks: RecordHooks = { frame: frameSection };

/** Lets the collector swap the frame-section handling (e.g. to enable VXLAN decapsulation). */
export function setRecordHooks(h: Partial<RecordHooks>): void {
  Object.assign(hooks, h);
}

const HELPERS = { ...R, hooks };

function fixedExpr(d: FieldDef, x: string, n: number): string | null {
  if (n === 0) return null;
  switch (d.kind) {
    case 'ip4':
      if (n === 4) return `(D[b[${x}]]+D[b[${x}+1]]+D[b[${x}+2]]+N[b[${x}+3]])`;
      if (n === 16) return `H.ip6(b,${x})`;
      return `H.hex(b,${x},${n})`;
    case 'ip6':
      if (n === 16) return `H.ip6(b,${x})`;
      if (n === 4) return `H.ip4(b,${x})`;
      return `H.hex(b,${x},${n})`;
    case 'mac':
      return n === 6 ? `H.mac(b,${x})` : `H.hex(b,${x},${n})`;
    case 'str':
      return `H.str(b,${x},${n})`;
    case 'hex':
    case 'frame':
      return `H.hex(b,${x},${n})`;
    case 'ntp':
      return n === 8 ? `H.ntpMs(b,${x})` : `H.hex(b,${x},${n})`;
    default:
      if (n === 1) return `b[${x}]`;
      if (n === 2) return `(b[${x}]<<8|b[${x}+1])`;
      if (n === 3) return `(b[${x}]<<16|b[${x}+1]<<8|b[${x}+2])`;
      if (n === 4) return `(b[${x}]*16777216+(b[${x}+1]<<16|b[${x}+2]<<8|b[${x}+3]))`;
      if (n <= 8) return `H.readUint(b,${x},${n})`;
      return `H.hex(b,${x},${n})`;
  }
}

function varExpr(d: FieldDef): string {
  if (d.kind === 'str') return 'H.str(b,p,l)';
  if (d.name.startsWith('ie')) return 'H.textOrHex(b,p,l)';
  if (d.kind === 'u' || d.kind === 'ms' || d.kind === 'sec' || d.kind === 'uptime' || d.kind === 'deltaUs') return 'H.uintOrHex(b,p,l)';
  return 'H.hex(b,p,l)';
}

function numeric(d: FieldDef, n: number): boolean {
  return (
    n > 0 &&
    n <= 8 &&
    d.kind !== 'ip4' &&
    d.kind !== 'ip6' &&
    d.kind !== 'mac' &&
    d.kind !== 'str' &&
    d.kind !== 'hex' &&
    d.kind !== 'frame' &&
    d.kind !== 'ntp'
  );
}

export function templateSignature(t: Template): string {
  let s = `${t.version}/${t.options ? t.scopeCount : '-'}:`;
  for (const f of t.fields) s += `${f.id},${f.length},${f.pen};`;
  return s;
}

export function compilePlan(t: Template): Plan {
  const defs = t.fields.map((f, i) => (t.version === 9 && i < t.scopeCount ? v9ScopeDef(f.id) : ieDef(f.id, f.pen)));
  const strong = new Set(defs.filter((d) => !d.weak).map((d) => d.name));
  const entries = new Map<string, string[]>(); // record field → local variables feeding it
  const add = (name: string, v: string) => {
    const l = entries.get(name);
    if (l) l.push(v);
    else entries.set(name, [v]);
  };
  const body: string[] = [];
  const post: string[] = [];
  let base = 'o';
  let k = 0;
  let variable = false;
  let minLength = 0;
  const runLength = (from: number) => {
    let n = 0;
    for (let j = from; j < t.fields.length && t.fields[j]!.length !== VARIABLE_LENGTH; j++) n += t.fields[j]!.length;
    return n;
  };
  const first = runLength(0);
  if (first > 0) body.push(`if(o+${first}>e)return null;`);
  for (let i = 0; i < t.fields.length; i++) {
    const f = t.fields[i]!;
    let d = defs[i]!;
    if (d.weak && strong.has(d.name)) d = { name: `${d.name}Total`, kind: d.kind };
    const v = `v${i}`;
    let expr: string | null;
    if (f.length === VARIABLE_LENGTH) {
      variable = true;
      minLength += 1;
      body.push(
        `p=${base}+${k};if(p>=e)return null;l=b[p++];if(l===255){if(p+2>e)return null;l=b[p]<<8|b[p+1];p+=2;}if(p+l>e)return null;`,
      );
      if (d.kind === 'frame') {
        post.push(`H.hooks.frame(r,b,${v},${v}n);`);
        body.push(`const ${v}=p,${v}n=l;`);
        expr = null;
      } else {
        body.push(`const ${v}=${varExpr(d)};`);
        expr = v;
      }
      body.push('p+=l;');
      base = 'p';
      k = 0;
      const run = runLength(i + 1);
      if (run > 0) body.push(`if(p+${run}>e)return null;`);
      if (expr === null) continue;
      // Variable-length values are raw: only numbers and text make sense without conversion.
      if (d.kind === 'icmp') {
        add('icmpType', `(${v}>>8)`);
        add('icmpCode', `(${v}&255)`);
      } else if (d.kind === 'sec') add(d.name, `(${v}*1000)`);
      else if (d.kind === 'uptime' || d.kind === 'deltaUs' || d.kind === 'mpls') add(`${d.name}Raw`, v);
      else add(d.name, v);
      continue;
    }
    const x = `${base}+${k}`;
    k += f.length;
    minLength += f.length;
    if (d.kind === 'frame' && f.length > 0) {
      post.push(`H.hooks.frame(r,b,${x},${f.length});`);
      continue;
    }
    expr = fixedExpr(d, x, f.length);
    if (expr === null) continue;
    body.push(`const ${v}=${expr};`);
    const num = numeric(d, f.length);
    if (d.kind === 'icmp' && num) {
      add('icmpType', `(${v}>>8)`);
      add('icmpCode', `(${v}&255)`);
    } else if (d.kind === 'sec' && num) add(d.name, `(${v}*1000)`);
    else if (d.kind === 'uptime' && num) {
      add(d.name, `(h.uptimeBase>=0?h.uptimeBase+${v}:undefined)`);
      if (t.version === 10) add(d.name.replace('Ms', 'SysUptimeMs'), v);
    } else if (d.kind === 'deltaUs' && num) add(d.name, `(h.exportMs-Math.floor(${v}/1000))`);
    else add(d.name, v);
  }
  body.push(`h.next=${base}+${k};`);
  const lit: string[] = [
    `type:${t.options ? "'options'" : "'flow'"}`,
    'protocol:h.protocol',
    'exporter:h.exporter',
    'subAgentId:h.domain',
    'sequence:h.sequence',
  ];
  if (t.options) lit.push(`templateId:${t.id}`);
  else lit.push('samplingRate:0', 'samplingRateMissing:undefined'); // stable shape; JSON omits undefined
  for (const [name, vs] of entries) {
    if (
      name === 'type' ||
      name === 'protocol' ||
      name === 'exporter' ||
      name === 'subAgentId' ||
      name === 'sequence' ||
      name === 'samplingRate' ||
      name === 'samplingRateMissing' ||
      name === 'templateId'
    )
      continue;
    let e: string;
    if (name === 'mplsLabels') e = `H.mplsLabels([${vs.join(',')}])`;
    else if (vs.length === 1) e = vs[0]!;
    else e = `H.pick(${vs.join(',')})`;
    lit.push(`${JSON.stringify(name)}:${e}`);
  }
  const src = `"use strict";let p=0,l=0;${body.join('')}const r={${lit.join(',')}};${post.join('')}return r;`;
  // Deliberate code generation (see header comment): the source holds no input bytes.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('H', `const D=H.DOTTED,N=H.DECIMAL;return function decodeRecord(b,o,e,h){${src}}`) as (
    h: typeof HELPERS,
  ) => RecordDecoder;
  const names = new Set(entries.keys());
  return {
    decode: make(HELPERS),
    minLength,
    variable,
    hasRecordRate: names.has('samplingInterval') || names.has('samplerRandomInterval') || names.has('samplingPacketInterval'),
    hasSamplerId: names.has('samplerId') || names.has('selectorId'),
    hasReverse: !t.options && t.fields.some((f) => f.pen === REVERSE_PEN),
    key: compileKeyPlan(t),
  };
}

const planCache = new Map<string, Plan>();
const PLAN_CACHE_MAX = 4096;

/** Identical templates (same exporter model, many routers) share one compiled plan. */
export function planFor(t: Template): Plan {
  const sig = templateSignature(t);
  let p = planCache.get(sig);
  if (p) return p;
  p = compilePlan(t);
  if (planCache.size >= PLAN_CACHE_MAX) {
    const oldest = planCache.keys().next().value;
    if (oldest !== undefined) planCache.delete(oldest);
  }
  planCache.set(sig, p);
  return p;
}
