// Property tests of the OVSDB input path (framing → JSON-RPC → strict decoding → replica → graph):
// mutated recorded server messages and random bytes never throw; bad input closes the connection
// with a typed reason. Run count from FUZZ_RUNS (default 1000); `npm run fuzz` runs 1 M.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutateText, OvsdbFuzzHarness, rng } from '../../bench/ovsdb.fuzz.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const h = new OvsdbFuzzHarness();
const notes = h.notes().map((n) => JSON.stringify(n));

describe('OVSDB JSON-RPC fuzz', () => {
  it('the recorded notifications apply cleanly in order on their snapshot', () => {
    // Notes of the three sessions in file order; each session's own snapshot is 0, 1, 2.
    expect(notes.length).toBeGreaterThan(10);
    expect(h.run([Buffer.from(notes.slice(0, notes.length / 3).join(''))], 0)).toBe('decoded');
  });

  it('mutated real messages, split anywhere, never throw', () => {
    fc.assert(
      fc.property(fc.nat(notes.length - 1), fc.integer(), fc.nat(3), fc.nat(), (start, seed, extra, snap) => {
        const r = rng(seed);
        const picked = notes.slice(start, start + 1 + extra);
        const k = Math.floor(r() * picked.length);
        const text = Buffer.concat(picked.map((n, j) => (j === k ? mutateText(n, r) : Buffer.from(n))));
        const cut = Math.floor(r() * text.length);
        expect(['decoded', 'error']).toContain(h.run([text.subarray(0, cut), text.subarray(cut)], snap));
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes and random JSON never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.jsonValue({ maxDepth: 6 }), fc.nat(), (bytes, json, snap) => {
        expect(['decoded', 'error']).toContain(h.run([Buffer.from(bytes)], snap));
        const msg = JSON.stringify({ id: null, method: 'update2', params: ['canopy', json] });
        expect(['decoded', 'error']).toContain(h.run([Buffer.from(msg)], snap));
      }),
      { numRuns: RUNS },
    );
  });
});
