// `npm run fuzz`: the sFlow decoder on mutated real datagrams (every sFlow fixture and the Open
// vSwitch capture) and on random bytes. A crash is any throw; typed errors are expected.
import { inputRng, type FuzzTarget, type Outcome } from './lib/fuzz-core.ts';
import { decodeSflow } from '../src/collectors/sflow/decode.ts';
import { allDatagrams } from '../test/collectors/sflow/fixtures.ts';

import { prng as rng } from '../src/util/prng.ts';

export { rng };

const BOUNDARY = [0, 1, 3, 4, 7, 8, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xffffffff];

/** One mutation of a real datagram: bit flips, truncation, or a corrupted 32-bit (length/count) field. */
export function mutate(src: Buffer, r: () => number): Buffer {
  const kind = Math.floor(r() * 4);
  const b = Buffer.from(src);
  if (kind === 0) {
    const flips = 1 + Math.floor(r() * 8);
    for (let i = 0; i < flips; i++) {
      const o = Math.floor(r() * b.length);
      b[o] = b[o]! ^ (1 << Math.floor(r() * 8));
    }
    return b;
  }
  if (kind === 1) return b.subarray(0, Math.floor(r() * b.length));
  if (b.length < 4) return b;
  // sFlow is XDR: every length and count is a 4-aligned 32-bit word.
  const o = Math.floor((r() * (b.length - 3)) / 4) * 4;
  const v = kind === 2 ? BOUNDARY[Math.floor(r() * BOUNDARY.length)]! : Math.floor(r() * 4294967296);
  b.writeUInt32BE(v >>> 0, o);
  return b;
}

/** Decodes and checks the contract: no throw, records or typed errors, JSON-printable output. */
export function checkOne(buf: Buffer): 'decoded' | 'error' {
  const d = decodeSflow(buf);
  for (const e of d.errors) {
    if (typeof e.code !== 'string' || !(e.offset >= 0 && e.offset <= buf.length)) throw new Error(`bad error ${JSON.stringify(e)}`);
  }
  if (!d.ok && d.errors.length === 0) throw new Error('rejected without a typed error');
  JSON.stringify(d.flows);
  JSON.stringify(d.counters);
  return d.errors.length > 0 ? 'error' : 'decoded';
}

/** Random bytes, half of them behind a valid v5/IPv4 header and a small sample count (the sample walkers see random bodies). */
function randomDatagram(r: () => number): Buffer {
  const len = Math.floor(r() * 300);
  const buf = Buffer.alloc(len);
  for (let j = 0; j < len; j++) buf[j] = Math.floor(r() * 256);
  if (len >= 28 && r() < 0.5) {
    buf.writeUInt32BE(5, 0);
    buf.writeUInt32BE(1, 4);
    buf.writeUInt32BE(1 + Math.floor(r() * 3), 24);
    if (len >= 36 && r() < 0.7) buf.writeUInt32BE([1, 2, 3, 4, 5][Math.floor(r() * 5)]!, 28);
  }
  return buf;
}

const exec = (buf: Buffer): Outcome => (checkOne(buf) === 'error' ? 'error' : 'ok');

export const fuzz: FuzzTarget[] = [
  {
    name: 'sflow.decode.mutated',
    weight: 1600,
    quick: 2000,
    about:
      'every sFlow fixture datagram (and the OVS capture) with bit flips, truncation, corrupted 32-bit length/count words; 30 % stacked twice',
    open() {
      const seeds = allDatagrams();
      return {
        input(seed, i) {
          const r = inputRng(seed, i);
          const buf = mutate(seeds[Math.floor(r() * seeds.length)]!, r);
          return r() < 0.3 ? mutate(buf, r) : buf;
        },
        exec,
      };
    },
  },
  {
    name: 'sflow.decode.random',
    weight: 700,
    quick: 1000,
    about: 'random bytes, half behind a valid v5 header with 1–3 samples of a known format',
    open: () => ({ input: (seed, i) => randomDatagram(inputRng(seed, i)), exec }),
  },
];
