// `npm run fuzz`: mutated NetFlow v5/v9/IPFIX messages (templates and data, from every fixture)
// and random bytes through one long-lived decoder, so mutated templates meet mutated data.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { udpPayloads } from '../src/collectors/common/pcap.ts';
import type { FlowRecord } from '../src/collectors/common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from '../src/collectors/netflow/decoder.ts';
import fc from 'fast-check';
import { inputRng, mutateBytes, sampleArb, type FuzzTarget, type Outcome } from './lib/fuzz-core.ts';
import { ipfixField, ipfixMessage, set, u16, v9Message } from '../test/collectors/netflow/build.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/pcaps');
const PREFIXES = ['akvorado__', 'goflow2__netflow', 'logstash-codec-netflow__', 'vflow__', 'pmacct__1'];

/** Every NetFlow/IPFIX payload of the fixtures, in file order (templates before data). */
export function seedMessages(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of readdirSync(DIR).sort()) {
    if (!PREFIXES.some((p) => f.startsWith(p)) || f.endsWith('.json')) continue;
    const buf = readFileSync(join(DIR, f));
    const list = f.endsWith('.pcap') ? [...udpPayloads(buf)].map((u) => u.payload) : [buf];
    for (const p of list) {
      if (p.length >= 4 && [5, 9, 10].includes(p.readUInt16BE(0))) out.push(Buffer.from(p));
    }
  }
  return out;
}

import { prng as rng } from '../src/util/prng.ts';

export { rng };

const INTERESTING = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0xfe];
const INTERESTING16 = [0, 1, 4, 255, 256, 0x7fff, 0x8000, 0xffff, 0xfffe];

export function mutate(seed: Buffer, r: () => number): Buffer {
  const pick = Math.floor(r() * 10);
  if (pick === 0) {
    // Random bytes behind a valid version word.
    const b = Buffer.allocUnsafe(Math.floor(r() * 300));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
    if (b.length >= 2) b.writeUInt16BE([5, 9, 10][Math.floor(r() * 3)]!, 0);
    return b;
  }
  const b = Buffer.from(seed);
  if (pick === 1) return b.subarray(0, Math.floor(r() * b.length));
  const n = 1 + Math.floor(r() * 8);
  for (let k = 0; k < n && b.length > 1; k++) {
    const at = Math.floor(r() * (b.length - 1));
    const m = Math.floor(r() * 4);
    if (m === 0) b[at] = b[at]! ^ (1 << Math.floor(r() * 8));
    else if (m === 1) b[at] = INTERESTING[Math.floor(r() * INTERESTING.length)]!;
    else if (m === 2) b.writeUInt16BE(INTERESTING16[Math.floor(r() * INTERESTING16.length)]!, at);
    else b[at] = Math.floor(r() * 256);
  }
  return b;
}

/** What runFuzz counts (the suite's netflow fuzz test reads it). */
export interface FuzzResult {
  iterations: number;
  crashes: number;
  errors: number;
  decoded: number;
}

export function runFuzz(iterations: number, seed: number, onCrash?: (input: Buffer, e: unknown) => void): FuzzResult {
  const seeds = seedMessages();
  const r = rng(seed);
  const res: FuzzResult = { iterations, crashes: 0, errors: 0, decoded: 0 };
  let d = new NetflowDecoder();
  const flows: FlowRecord[] = [];
  const options: OptionsRecord[] = [];
  for (let i = 0; i < iterations; i++) {
    // A fresh decoder now and then bounds state; within a run templates and data mix.
    if (i % 50_000 === 0) d = new NetflowDecoder();
    const input = r() < 0.1 ? seeds[i % seeds.length]! : mutate(seeds[Math.floor(r() * seeds.length)]!, r);
    flows.length = 0;
    options.length = 0;
    try {
      const results = d.decodeAll(input, r() < 0.5 ? '192.0.2.1' : '2001:db8::1', flows, options);
      if (results.some((x) => x.errors.length > 0)) res.errors++;
      else res.decoded++;
      JSON.stringify(flows); // records must be serialisable (no BigInt, no cycles)
    } catch (e) {
      res.crashes++;
      onCrash?.(input, e);
    }
  }
  return res;
}

/** Several datagrams as one input: [u16 length][datagram]…, so mutated templates meet mutated data. */
export function frameDatagrams(list: Buffer[]): Buffer {
  return Buffer.concat(list.flatMap((d) => [Buffer.from([d.length >> 8, d.length & 0xff]), d.subarray(0, 0xffff)]));
}

export function unframeDatagrams(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o + 2 <= b.length;) {
    const n = b.readUInt16BE(o);
    out.push(b.subarray(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return out;
}

/** A fresh decoder (one exporter) gets every datagram of the input; records must be JSON-printable. */
function execFramed(input: Buffer): Outcome {
  const d = new NetflowDecoder();
  const flows: FlowRecord[] = [];
  const options: OptionsRecord[] = [];
  let bad = false;
  for (const dg of unframeDatagrams(input)) {
    const results = d.decodeAll(dg, '192.0.2.1', flows, options);
    if (results.some((x) => x.errors.length > 0)) bad = true;
  }
  JSON.stringify(flows);
  JSON.stringify(options);
  return bad ? 'error' : 'ok';
}

/** A window of 1–4 consecutive fixture datagrams of one version (templates come first in each file), each mutated with p 0.6. */
function mutatedTarget(name: string, version: number, weight: number): FuzzTarget {
  return {
    name,
    weight,
    quick: 1000,
    about: `windows of 1–4 consecutive NetFlow/IPFIX fixture datagrams of version ${version} (templates then data), each byte-mutated with p 0.6, through one fresh decoder`,
    open() {
      const seeds = seedMessages().filter((m) => m.readUInt16BE(0) === version);
      return {
        input(seed, i) {
          const r = inputRng(seed, i);
          const start = Math.floor(r() * seeds.length);
          const win = seeds.slice(start, start + 1 + Math.floor(r() * 4));
          return frameDatagrams(win.map((m) => (r() < 0.6 ? (r() < 0.5 ? mutate(m, r) : mutateBytes(m, r)) : m)));
        },
        exec: execFramed,
      };
    },
  };
}

const field = fc.record({
  id: fc.oneof(fc.integer({ min: 0, max: 0x7fff }), fc.constantFrom(1, 2, 4, 7, 8, 11, 12, 27, 28, 56, 80, 89, 95, 136, 152, 153, 315)),
  len: fc.constantFrom(0, 1, 2, 3, 4, 6, 8, 16, 65535, 300),
  pen: fc.constantFrom(0, 0, 9, 29305),
});
const templated = fc.record({
  fields: fc.array(field, { maxLength: 40 }),
  data: fc.uint8Array({ maxLength: 600 }),
  options: fc.boolean(),
  scope: fc.integer({ min: 0, max: 6 }),
  dataSet: fc.constantFrom(256, 300, 300, 300, 65535),
});

/** A generated template (plain or options, any field ids and lengths incl. variable length) and a data set under it. */
function templateTarget(name: string, v9: boolean, weight: number): FuzzTarget {
  return {
    name,
    weight,
    quick: 500,
    about: `fast-check ${v9 ? 'v9' : 'IPFIX'} templates (0–40 fields, any id, lengths 0/1/…/65535, enterprise numbers, options with 0–6 scope fields) followed by random data sets`,
    open: () => ({
      input(seed, i) {
        const t = sampleArb(templated, seed, i);
        let tpl: number[];
        if (v9) {
          const body = t.fields.flatMap((f) => [...u16(f.id), ...u16(f.len === 65535 ? 5 : f.len)]);
          tpl = t.options
            ? set(1, [...u16(300), ...u16(t.scope * 4), ...u16(Math.max(0, body.length - t.scope * 4)), ...body])
            : set(0, [...u16(300), ...u16(t.fields.length), ...body]);
          return frameDatagrams([v9Message(1, 1, 2, [tpl, set(t.dataSet, [...t.data])])]);
        }
        const body = t.fields.flatMap((f) => ipfixField(f.id, f.len, f.pen));
        tpl = t.options
          ? set(3, [...u16(300), ...u16(t.fields.length), ...u16(t.scope), ...body])
          : set(2, [...u16(300), ...u16(t.fields.length), ...body]);
        return frameDatagrams([ipfixMessage(1, 1, [tpl]), ipfixMessage(1, 2, [set(t.dataSet, [...t.data])])]);
      },
      exec: execFramed,
    }),
  };
}

export const fuzz: FuzzTarget[] = [
  mutatedTarget('netflow.v5.mutated', 5, 400),
  mutatedTarget('netflow.v9.mutated', 9, 500),
  templateTarget('netflow.v9.template', true, 150),
  mutatedTarget('ipfix.mutated', 10, 500),
  templateTarget('ipfix.template', false, 150),
];
