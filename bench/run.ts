// `npm run bench [-- --filter NAME]`: runs every bench/*.bench.ts module and prints one JSON line
// per figure (docs/architecture.md#configuration-and-metrics): {"bench", "value", "unit", "peer"?, "peerValue"?, ...}.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseFlags } from '../src/util/args.ts';

export interface BenchFigure {
  bench: string;
  value: number;
  unit: string;
  peer?: string;
  peerValue?: number;
  [extra: string]: unknown;
}

export type Emit = (f: BenchFigure) => void;

export interface Bench {
  /** Dotted name; --filter matches any figure whose bench name contains the filter. */
  name: string;
  run: (emit: Emit) => Promise<void>;
}

const { values } = parseFlags(process.argv.slice(2), { filter: { type: 'string' } });
const filter = values.filter;
const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
let ran = 0;
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { benches: Bench[] };
  for (const b of mod.benches) {
    if (filter && !b.name.includes(filter)) continue;
    ran++;
    const emit: Emit = (fig) => process.stdout.write(JSON.stringify(fig) + '\n');
    try {
      await b.run(emit);
    } catch (e) {
      process.stderr.write(`bench ${b.name} failed: ${(e as Error).stack}\n`);
      process.exitCode = 1;
    }
  }
}
if (ran === 0) {
  process.stderr.write(`no bench matches ${filter ?? '(all)'}\n`);
  process.exitCode = 2;
}
