// `npm run flood [-- --seconds 60 --factor 3 --rate N --rss-max-mb 512 --step-seconds 5 --refine 2]`: the
// 60-second flood of docs/reliability.md#flood, outside the suite. Without --rate the loss-free
// rate is measured first in the same run. Prints one JSON report; exits 1 when a check fails
// (collector down, RSS over the bound, drops not counted, a record lost, the API not answering).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
// As the sflow.ingest bench does: let the kernel grant the 32 MiB receive buffer the collector asks
// for during the run (the default net.core.rmem_max caps it near 200 kB, so a stall of a few
// milliseconds overflows it and the loss-free rate measures stalls, not throughput), then restore.
const RMEM = '/proc/sys/net/core/rmem_max';
const oldRmem = existsSync(RMEM) ? readFileSync(RMEM, 'utf8').trim() : undefined;
try {
  if (oldRmem !== undefined && Number(oldRmem) < 33554432) writeFileSync(RMEM, '33554432');
} catch {
  process.stderr.write('flood: cannot raise net.core.rmem_max (not root); the collector keeps the default buffer\n');
}
const rmemMax = existsSync(RMEM) ? Number(readFileSync(RMEM, 'utf8').trim()) : undefined;
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
}).finally(() => {
  try {
    if (oldRmem !== undefined) writeFileSync(RMEM, oldRmem);
  } catch {
    // not root: nothing was changed
  }
});
process.stdout.write(JSON.stringify({ bench: 'flood', rmemMax, ...report }) + '\n');
const failures = floodFailures(report);
for (const f of failures) process.stderr.write(`flood: FAILED: ${f}\n`);
process.exitCode = failures.length ? 1 : 0;
