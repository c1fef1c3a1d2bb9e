// Property tests: random and mutated real datagrams never throw and always give records or a
// typed error. Run count from FUZZ_RUNS (default 2000); `npm run fuzz` runs 1 M.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOne, mutate, rng } from '../../../bench/sflow.fuzz.ts';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import { allDatagrams } from './fixtures.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const seeds = allDatagrams();

describe('sFlow decoder fuzz', () => {
  it('every fixture datagram decodes with records', () => {
    for (const s of seeds) expect(decodeSflow(s).flows.length + decodeSflow(s).counters.length).toBeGreaterThan(0);
  });

  it('random bytes (some with a v5 header) never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, v5) => {
        const buf = Buffer.from(bytes);
        if (v5 && buf.length >= 8) {
          buf.writeUInt32BE(5, 0);
          buf.writeUInt32BE(1, 4);
        }
        expect(['decoded', 'error']).toContain(checkOne(buf));
      }),
      { numRuns: RUNS },
    );
  });

  it('bit flips, truncations and corrupted length fields of real datagrams never throw', () => {
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.integer(), fc.integer({ min: 1, max: 3 }), (i, seed, rounds) => {
        const r = rng(seed);
        let buf = seeds[i]!;
        for (let k = 0; k < rounds; k++) buf = mutate(buf, r);
        expect(['decoded', 'error']).toContain(checkOne(buf));
      }),
      { numRuns: RUNS },
    );
  });

  it('a truncated datagram reports where it ends (unless only trailing padding was cut)', () => {
    let reported = 0;
    for (const s of seeds) {
      const d = decodeSflow(s.subarray(0, s.length - 5));
      for (const e of d.errors) expect(e.offset).toBeLessThanOrEqual(s.length - 5);
      if (d.errors.length > 0) reported++;
      else expect(d).toEqual(decodeSflow(s));
    }
    expect(reported).toBeGreaterThan(seeds.length / 2);
  });
});
