// `npm run fuzz [-- --runs N --filter NAME --seed S]`: long fuzz runs outside the suite
// (default 1,000,000 inputs per target). Each bench/*.fuzz.ts exports `fuzz: FuzzTarget[]`.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseFlags } from '../src/util/args.ts';

export interface FuzzResult {
  iterations: number;
  /** Inputs on which the decoder threw (must be 0). */
  crashes: number;
  /** Inputs rejected with a typed error. */
  errors: number;
  decoded: number;
}

export interface FuzzTarget {
  name: string;
  run(iterations: number, seed: number): Promise<FuzzResult> | FuzzResult;
}

const { values } = parseFlags(process.argv.slice(2), {
  runs: { type: 'string' },
  filter: { type: 'string' },
  seed: { type: 'string' },
});
const runs = Number(values.runs ?? 1_000_000);
const seed = Number(values.seed ?? 42);
const here = dirname(fileURLToPath(import.meta.url));
let crashes = 0;
for (const f of readdirSync(here)
  .filter((x) => x.endsWith('.fuzz.ts'))
  .sort()) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { fuzz: FuzzTarget[] };
  for (const t of mod.fuzz) {
    if (values.filter && !t.name.includes(values.filter)) continue;
    const t0 = performance.now();
    const r = await t.run(runs, seed);
    crashes += r.crashes;
    process.stdout.write(JSON.stringify({ fuzz: t.name, ...r, seconds: +((performance.now() - t0) / 1000).toFixed(1) }) + '\n');
  }
}
process.exitCode = crashes > 0 ? 1 : 0;
