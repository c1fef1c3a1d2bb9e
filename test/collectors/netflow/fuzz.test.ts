// Property tests: no input makes the decoder throw. Run count from FUZZ_RUNS (npm run fuzz runs 1 M).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { NetflowDecoder } from '../../../src/collectors/netflow/decoder.ts';
import { mutate, rng, runFuzz, seedMessages } from '../../../bench/netflow.fuzz.ts';
import { ipfixField, ipfixMessage, set, u16, v9Message } from './build.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const seeds = seedMessages();

describe('fuzz', () => {
  it('has seeds of all three versions', () => {
    const versions = new Set(seeds.map((s) => s.readUInt16BE(0)));
    expect([...versions].sort((a, b) => a - b)).toEqual([5, 9, 10]);
  });

  it('random bytes never throw', () => {
    const d = new NetflowDecoder();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(5, 9, 10), (bytes, v) => {
        const b = Buffer.from(bytes);
        if (b.length >= 2) b.writeUInt16BE(v, 0);
        const out: FlowRecord[] = [];
        d.decodeAll(b, '192.0.2.1', out);
        return true;
      }),
      { numRuns: RUNS },
    );
  });

  it('generated IPFIX / v9 templates followed by random data never throw', () => {
    const field = fc.record({
      id: fc.integer({ min: 0, max: 0x7fff }),
      len: fc.constantFrom(0, 1, 2, 3, 4, 6, 8, 16, 65535, 300),
      pen: fc.constantFrom(0, 0, 9, 29305),
    });
    fc.assert(
      fc.property(fc.array(field, { maxLength: 40 }), fc.uint8Array({ maxLength: 400 }), fc.boolean(), (fields, data, v9) => {
        const d = new NetflowDecoder();
        const out: FlowRecord[] = [];
        const options = fields.length > 1 && data.length % 2 === 0;
        let tpl: number[];
        if (v9) {
          const body = fields.flatMap((f) => [...u16(f.id), ...u16(f.len === 65535 ? 5 : f.len)]);
          tpl = options
            ? set(1, [...u16(300), ...u16(4), ...u16(body.length - 4), ...body])
            : set(0, [...u16(300), ...u16(fields.length), ...body]);
          d.decode(v9Message(1, 1, 2, [tpl, set(300, [...data])]), '192.0.2.1', out);
        } else {
          const body = fields.flatMap((f) => ipfixField(f.id, f.len, f.pen));
          tpl = options
            ? set(3, [...u16(300), ...u16(fields.length), ...u16(1), ...body])
            : set(2, [...u16(300), ...u16(fields.length), ...body]);
          d.decode(ipfixMessage(1, 1, [tpl, set(300, [...data])]), '192.0.2.1', out);
        }
        JSON.stringify(out);
        return true;
      }),
      { numRuns: Math.max(100, Math.floor(RUNS / 4)) },
    );
  });

  it('mutated fixture messages (templates and data) never throw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const r = rng(seed);
        const d = new NetflowDecoder();
        for (let i = 0; i < 8; i++) d.decodeAll(mutate(seeds[Math.floor(r() * seeds.length)]!, r), '192.0.2.1', []);
        return true;
      }),
      { numRuns: Math.max(50, Math.floor(RUNS / 8)) },
    );
  });

  it('the npm run fuzz target reports 0 crashes on a short run', () => {
    const res = runFuzz(RUNS, 7);
    expect(res.crashes).toBe(0);
    expect(res.decoded + res.errors).toBe(RUNS);
    expect(res.decoded).toBeGreaterThan(0);
  });
});
