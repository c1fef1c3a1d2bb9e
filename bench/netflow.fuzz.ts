// `npm run fuzz`: mutated NetFlow v5/v9/IPFIX messages (templates and data, from every fixture)
// and random bytes through one long-lived decoder, so mutated templates meet mutated data.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { udpPayloads } from '../src/collectors/common/pcap.ts';
import type { FlowRecord } from '../src/collectors/common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from '../src/collectors/netflow/decoder.ts';
import type { FuzzResult, FuzzTarget } from './fuzz.ts';

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

export const fuzz: FuzzTarget[] = [
  {
    name: 'netflow.decode',
    run: (iterations, seed) =>
      runFuzz(iterations, seed, (input, e) => {
        process.stderr.write(`crash: ${(e as Error).stack}\ninput: ${input.toString('hex')}\n`);
      }),
  },
];
