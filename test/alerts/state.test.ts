// One rule's alert instances over a given clock: hold-down, resolve, flap damping and release.
import { describe, expect, it } from 'vitest';
import { RuleState, type Subject } from '../../src/alerts/state.ts';

const s = (key: string): Subject => ({ key, labels: { name: key }, summary: `${key} is down` });
const brief = (ts: { status: string; key: string }[]) => ts.map((t) => `${t.status} ${t.key}`);

describe('alert instance states', () => {
  it('fires at once without hold-down, once per element, and resolves when the condition stops holding', () => {
    const r = new RuleState({ forMs: 0, flapChanges: 4, flapWindowMs: 600_000 });
    const fired = r.update([s('e1'), s('e2')], 1000);
    expect(brief(fired)).toEqual(['firing e1', 'firing e2']);
    expect(fired[0]).toMatchObject({ startsAt: 1000 });
    expect(fired[0]!.endsAt).toBeUndefined();
    // Still holding: nothing new to send.
    expect(r.update([s('e1'), s('e2')], 2000)).toEqual([]);
    expect(r.summary()).toMatchObject({ state: 'firing', firing: 2 });
    const resolved = r.update([s('e2')], 3000);
    expect(brief(resolved)).toEqual(['resolved e1']);
    expect(resolved[0]).toMatchObject({ startsAt: 1000, endsAt: 3000 });
    expect(r.summary()).toMatchObject({ firing: 1 });
  });

  it('hold-down: pending until the condition held `for`; a blip shorter than that sends nothing', () => {
    const r = new RuleState({ forMs: 300_000, flapChanges: 4, flapWindowMs: 600_000 });
    expect(r.update([s('p1')], 0)).toEqual([]);
    expect(r.summary()).toMatchObject({ state: 'pending', pending: 1 });
    expect(r.update([s('p1')], 299_999)).toEqual([]);
    expect(brief(r.update([s('p1')], 300_000))).toEqual(['firing p1']);
    // A second element that holds only briefly never fires and never resolves.
    expect(r.update([s('p1'), s('p2')], 310_000)).toEqual([]);
    expect(r.update([s('p1')], 320_000)).toEqual([]);
    expect(r.view().map((v) => v.key)).toEqual(['p1']);
    // Coming back restarts the hold-down.
    expect(r.update([s('p1'), s('p2')], 330_000)).toEqual([]);
    expect(brief(r.update([s('p1'), s('p2')], 630_000))).toEqual(['firing p2']);
  });

  it('flap damping: more than K changes within the window holds the instance; released with its state after a quiet window', () => {
    const r = new RuleState({ forMs: 0, flapChanges: 3, flapWindowMs: 60_000 });
    const sent: string[] = [];
    let t = 0;
    // up/down every 5 s: firing, resolved, firing are sent (3 changes); the 4th change holds it.
    for (let i = 0; i < 8; i++) {
      sent.push(...brief(r.update(i % 2 === 0 ? [s('flap')] : [], t)));
      t += 5000;
    }
    expect(sent).toEqual(['firing flap', 'resolved flap', 'firing flap']);
    expect(r.view()[0]).toMatchObject({ key: 'flap', held: true });
    expect(r.summary().held).toBe(1);
    // It settles DOWN (the condition holds): nothing is sent while the window since the last change runs.
    sent.length = 0;
    const lastFlip = t;
    sent.push(...brief(r.update([s('flap')], t)));
    for (t = lastFlip + 10_000; t < lastFlip + 60_000; t += 10_000) sent.push(...brief(r.update([s('flap')], t)));
    expect(sent).toEqual([]);
    // Quiet for a whole window: released. The last state sent was firing and it fires: nothing to send.
    expect(r.update([s('flap')], lastFlip + 60_000)).toEqual([]);
    expect(r.view()[0]).toMatchObject({ held: false, state: 'firing' });
    // Released, it resolves normally.
    expect(brief(r.update([], lastFlip + 70_000))).toEqual(['resolved flap']);
  });

  it('a held instance that settles resolved sends the resolve on release', () => {
    const r = new RuleState({ forMs: 0, flapChanges: 1, flapWindowMs: 10_000 });
    expect(brief(r.update([s('x')], 0))).toEqual(['firing x']);
    expect(r.update([], 1000)).toEqual([]); // 2nd change > K=1: held, the resolve is not sent
    expect(r.view()[0]).toMatchObject({ held: true, state: 'resolved' });
    expect(r.update([], 5000)).toEqual([]);
    const out = r.update([], 11_000);
    expect(brief(out)).toEqual(['resolved x']);
    expect(out[0]).toMatchObject({ endsAt: 1000 });
    expect(r.view()).toEqual([]);
  });

  it('resolveAll resolves what was sent as firing (a deleted rule)', () => {
    const r = new RuleState({ forMs: 60_000, flapChanges: 4, flapWindowMs: 600_000 });
    r.update([s('a')], 0);
    r.update([s('a'), s('b')], 60_000);
    expect(brief(r.resolveAll(70_000))).toEqual(['resolved a']);
    expect(r.view()).toEqual([]);
  });
});
