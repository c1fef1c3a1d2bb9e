// `canopy verify-cabling`: a cabling plan (CSV or fabric DSL) against the links a collector
// observed, through POST /api/verify-cabling (docs/architecture.md#cabling-intent).
import { readFileSync } from 'node:fs';
import { parseFlags } from '../util/args.ts';
import { emit, reason } from './output.ts';
import { COLLECTOR_FLAGS, askCollector, collectorTarget } from './collector-request.ts';

/** Exit status when the plan and the observed links disagree. */
export const MISMATCH_EXIT = 3;

const HELP = `usage: canopy verify-cabling --intent FILE [options]
  Compare a cabling plan with the links the collector observed (LLDP, CDP, FDB): planned cables
  seen (ok), not seen (missing), seen with one end on another port (miswired), seen between
  planned devices but not planned (unexpected); also cables only one end reports through
  LLDP/CDP (one-sided) and cables whose ends differ in speed or MTU.
  --intent FILE          the plan: a CSV with the header a_device,a_port,b_device,b_port, or the
                         fabric DSL (DEV -> PORT, PORT --> PORT); CSV when the file ends in .csv or
                         its first line is that header
  --collector URL        the collector to ask (default http://127.0.0.1:8082)
  --username NAME --password PW | --token T   credentials for a collector with auth on
  --json                 print {"ok": […], "missing": […], "unexpected": […], "miswired": […],
                         "oneSided": […], "speedMismatch": […], "mtuMismatch": […]}
  -h, --help             this help
exit status: 0 every planned cable as planned and nothing else flagged, ${MISMATCH_EXIT} a mismatch found
  (missing, unexpected, miswired, one-sided, speed or MTU), 1 runtime error (unreadable file,
  collector unreachable or failed), 2 usage error (also a plan the collector refused)`;

interface End {
  device: string;
  port: string;
  speed?: number;
  mtu?: number;
}
interface Report {
  ok: { planned: { a: End; b: End } }[];
  missing: { planned: { a: End; b: End }; reason: string }[];
  unexpected: { a: End; b: End }[];
  miswired: { planned: { a: End; b: End }; expected: End; found: End }[];
  oneSided?: { a: End; b: End; reportedBy: string }[];
  speedMismatch?: { a: End; b: End }[];
  mtuMismatch?: { a: End; b: End }[];
}

const end = (e: End) => `${e.device} ${e.port}`;
const cable = (c: { a: End; b: End }) => `${end(c.a)} — ${end(c.b)}`;

function text(r: Report): string {
  const out: string[] = [];
  for (const x of r.ok) out.push(`ok          ${cable(x.planned)}`);
  for (const x of r.missing) out.push(`missing     ${cable(x.planned)}: ${x.reason}`);
  for (const x of r.miswired) out.push(`miswired    ${cable(x.planned)}: ${end(x.expected)} planned, ${end(x.found)} found`);
  for (const x of r.unexpected) out.push(`unexpected  ${cable(x)}`);
  for (const x of r.oneSided ?? []) out.push(`one-sided   ${cable(x)}: only ${x.reportedBy} reports it`);
  for (const x of r.speedMismatch ?? []) out.push(`speed       ${cable(x)}: ${x.a.speed} vs ${x.b.speed} bit/s`);
  for (const x of r.mtuMismatch ?? []) out.push(`mtu         ${cable(x)}: ${x.a.mtu} vs ${x.b.mtu}`);
  return out.join('\n') + '\n';
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(args, {
      intent: { type: 'string' },
      ...COLLECTOR_FLAGS,
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (e) {
    process.stderr.write(`canopy verify-cabling: ${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  const { values: f, positionals } = parsed;
  if (f.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(`canopy verify-cabling: unexpected argument "${positionals[0]}"\n${HELP}\n`);
    return 2;
  }
  if (!f.intent) {
    process.stderr.write(`canopy verify-cabling: --intent FILE is required\n${HELP}\n`);
    return 2;
  }
  const target = collectorTarget(f);
  if ('error' in target) {
    process.stderr.write(`canopy verify-cabling: ${target.error}\n`);
    return 2;
  }
  let plan: string;
  try {
    plan = readFileSync(f.intent, 'utf8');
  } catch (e) {
    process.stderr.write(`canopy verify-cabling: cannot read ${f.intent}: ${reason(e)}\n`);
    return 1;
  }
  const first =
    plan
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? '';
  const csv = f.intent.toLowerCase().endsWith('.csv') || first.trim().toLowerCase().startsWith('a_device');
  const a = await askCollector('verify-cabling', target, '/api/verify-cabling', {
    method: 'POST',
    headers: { 'Content-Type': csv ? 'text/csv' : 'text/plain' },
    body: plan,
  });
  // A plan the collector refused is this command line's input at fault.
  if (!a.ok) return a.status === 400 || a.status === 415 ? 2 : 1;
  const body = a.body;
  const r = JSON.parse(body) as Report;
  emit(f.json ? JSON.stringify(r, null, 2) + '\n' : text(r));
  const flagged =
    r.missing.length +
    r.unexpected.length +
    r.miswired.length +
    (r.oneSided?.length ?? 0) +
    (r.speedMismatch?.length ?? 0) +
    (r.mtuMismatch?.length ?? 0);
  return flagged > 0 ? MISMATCH_EXIT : 0;
}
