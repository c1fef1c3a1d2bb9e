// The short version of `npm run fuzz`: every target of bench/*.fuzz.ts for its `quick` number of
// inputs (FUZZ_SCALE multiplies them), and every crash input ever found (fixtures/fuzz/<target>/)
// replayed through its target, which must now take it as a typed error or an accepted input.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allTargets } from '../../bench/fuzz.ts';
import { runTarget, type CrashReport } from '../../bench/lib/fuzz-core.ts';

const targets = await allTargets();
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const FIXTURES = join(import.meta.dirname, '../../fixtures/fuzz');
const show = (c: CrashReport) => `${c.target} #${c.index} ${c.kind}: ${c.message} at ${c.where}`;

describe('fuzz targets, short run', () => {
  it('every parser has a target, named after it', () => {
    const families = new Set(targets.map((t) => t.name.split('.')[0]));
    for (const f of ['sflow', 'netflow', 'ipfix', 'lldp', 'cdp', 'snmp', 'ovsdb', 'agent', 'gremlin', 'config', 'fabric', 'jsonpatch'])
      expect(families).toContain(f);
    expect(targets.some((t) => t.name.startsWith('netflow.v5.'))).toBe(true);
    expect(targets.some((t) => t.name.startsWith('netflow.v9.'))).toBe(true);
    // The default `npm run fuzz` is 10 M inputs: weights are thousands of inputs.
    expect(targets.reduce((a, t) => a + t.weight, 0)).toBe(10_000);
  });

  for (const t of targets) {
    it(
      t.name,
      async () => {
        const crashes: CrashReport[] = [];
        const n = Math.max(1, Math.round(t.quick * SCALE));
        const r = await runTarget(t, n, { seed: 7, onCrash: (c) => crashes.push(c) });
        expect(crashes.map(show)).toEqual([]);
        expect(r.inputs).toBe(n);
        expect(r.ok + r.errors).toBe(n);
      },
      120_000,
    );
  }
});

describe('the harness', () => {
  it('lets the event loop run during a synchronous target (work left on nextTick does not pile up)', async () => {
    let ran = 0;
    const t = {
      name: 'selftest.nexttick',
      weight: 0,
      quick: 0,
      about: '',
      open: () => ({
        input: (_s: number, i: number) => Buffer.from([i & 0xff]),
        exec: () => {
          process.nextTick(() => ran++);
          return 'ok' as const;
        },
      }),
    };
    await runTarget(t, 2048, { seed: 1 });
    // Without the yield none would have run before runTarget returned.
    expect(ran).toBeGreaterThanOrEqual(2048 - 256);
  });

  it('replays: input i of a seed is the same bytes however the run is split', async () => {
    const t = targets.find((x) => x.name === 'sflow.decode.mutated')!;
    const s = await t.open();
    expect(s.input(42, 1234)).toEqual(s.input(42, 1234));
    expect(s.input(42, 1234)).not.toEqual(s.input(43, 1234));
  });
});

describe('crash inputs found by fuzzing (fixtures/fuzz) no longer crash', () => {
  const dirs = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory());
  for (const d of dirs) {
    it(
      d.name,
      async () => {
        const t = targets.find((x) => x.name === d.name);
        expect(t, `fixtures/fuzz/${d.name} names a fuzz target`).toBeDefined();
        const files = readdirSync(join(FIXTURES, d.name)).filter((f) => !f.endsWith('.md'));
        expect(files.length).toBeGreaterThan(0);
        const s = await t!.open();
        try {
          for (const f of files) {
            const out = await s.exec(readFileSync(join(FIXTURES, d.name, f)));
            expect(['ok', 'error'], f).toContain(out);
            expect(s.takeCrashes?.() ?? [], f).toEqual([]);
          }
        } finally {
          await s.close?.();
        }
      },
      60_000,
    );
  }
});
