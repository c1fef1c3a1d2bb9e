// `npm run security:matrix`: starts a collector with auth on and every optional route, sweeps every
// HTTP route (from the router) and WebSocket endpoint as each caller, and prints the route × role
// table; `-- --write` replaces the table in docs/reliability.md. The same sweep is asserted by
// test/security/routes.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startTestCollector } from '../api/helpers.ts';
import { markdown, SWEEP_CONFIG, sweepHttp, sweepWs, violations } from './sweep.ts';

const DOC = resolve('docs/reliability.md');
const START = '<!-- route-matrix:start -->';
const END = '<!-- route-matrix:end -->';

const t = await startTestCollector(SWEEP_CONFIG);
try {
  const rows = [
    ...(await sweepHttp(t.collector.apiRoutes(), async (method, path, headers, body) => {
      const r = await fetch(t.base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      await r.arrayBuffer();
      return r.status;
    })),
    ...(await sweepWs(t.ws)),
  ];
  const table = markdown(rows);
  const broken = rows.flatMap(violations);
  if (process.argv.includes('--write')) {
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(START);
    const b = doc.indexOf(END);
    if (a < 0 || b < a) throw new Error(`${DOC} has no ${START} … ${END} block`);
    writeFileSync(DOC, `${doc.slice(0, a + START.length)}\n${table}\n${doc.slice(b)}`);
    process.stdout.write(`wrote ${rows.length} rows to ${DOC}\n`);
  } else process.stdout.write(table + '\n');
  for (const v of broken) process.stderr.write(`policy violation: ${v}\n`);
  process.exitCode = broken.length ? 1 : 0;
} finally {
  await t.stop();
}
