// Rendezvous assignment of SNMP devices to live collectors (leases.ts): every collector computes
// the same owner, the shares are even for many devices, and a collector leaving or joining moves
// only the devices it loses or wins.
import { describe, expect, it } from 'vitest';
import { preferredHolder } from '../../../src/collectors/snmp/leases.ts';

const keys = Array.from({ length: 3000 }, (_, i) => `10.${i >> 8}.${i & 255}.1:161`);
const assign = (live: string[]) => new Map(keys.map((k) => [k, preferredHolder(live, k)!]));

describe('preferredHolder', () => {
  it('spreads 3,000 devices evenly over 3 collectors, whatever order each lists them in', () => {
    const a = assign(['c1', 'c2', 'c3']);
    expect(assign(['c3', 'c1', 'c2'])).toEqual(a);
    for (const c of ['c1', 'c2', 'c3']) {
      const share = [...a.values()].filter((x) => x === c).length / keys.length;
      expect(share).toBeGreaterThan(0.3);
      expect(share).toBeLessThan(0.37);
    }
  });

  it('moves only the devices of a collector that leaves, and only those a joining one wins', () => {
    const three = assign(['c1', 'c2', 'c3']);
    const two = assign(['c1', 'c3']);
    for (const k of keys) if (three.get(k) !== 'c2') expect(two.get(k)).toBe(three.get(k));
    const four = assign(['c1', 'c2', 'c3', 'c4']);
    const moved = keys.filter((k) => four.get(k) !== three.get(k));
    expect(moved.every((k) => four.get(k) === 'c4')).toBe(true);
    expect(moved.length / keys.length).toBeGreaterThan(0.2);
  });

  it('has no owner without live collectors', () => {
    expect(preferredHolder([], 'x')).toBeUndefined();
  });
});
