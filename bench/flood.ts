// `npm run flood [-- --seconds 60 --factor 3 --rate N --rss-max-mb 512 --step-seconds 5 --refine 2]`: the
// 60-second flood of docs/reliability.md#flood, outside the suite. Without --rate the loss-free
// rate is measured first in the same run. Prints one JSON report; exits 1 when a check fails
// (collector down, RSS over the bound, drops not counted, a record lost, the API not answering).
import { parseFlags } from '../src/util/args.ts';
import { floodFailures } from './lib/flood-checks.ts';
import { runFlood } from './lib/flood.ts';

const { values } = parseFlags(process.argv.slice(2), {
  seconds: { type: 'string' },
  factor: { type: 'string' },
  rate: { type: 'string' },
  'rss-max-mb': { type: 'string' },
  'step-seconds': { type: 'string' },
  'max-rate': { type: 'string' },
  refine: { type: 'string' },
});
const report = await runFlood({
  seconds: Number(values.seconds ?? 60),
  factor: Number(values.factor ?? 3),
  lossFreeRate: values.rate === undefined ? undefined : Number(values.rate),
  stepSeconds: Number(values['step-seconds'] ?? 5),
  rssMax: Number(values['rss-max-mb'] ?? 512) * 1024 * 1024,
  keysPerMinute: 120_000,
  maxRate: Number(values['max-rate'] ?? 320_000),
  refine: Number(values.refine ?? 2),
  progress: (l) => process.stderr.write(`flood: ${l}\n`),
});
process.stdout.write(JSON.stringify({ bench: 'flood', ...report }) + '\n');
const failures = floodFailures(report);
for (const f of failures) process.stderr.write(`flood: FAILED: ${f}\n`);
process.exitCode = failures.length ? 1 : 0;
