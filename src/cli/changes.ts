// `canopy changes`: a collector's change timeline (GET /api/changes, docs/architecture.md#change-timeline)
// as one line per change, or the JSON answer with --json.
import { parseFlags } from '../util/args.ts';
import { emit } from './output.ts';
import { COLLECTOR_FLAGS, askCollector, collectorTarget } from './collector-request.ts';

const HELP = `usage: canopy changes [options]
  What changed in the topology between two instants, oldest first: link up/down, links added or
  removed, new/lost LLDP neighbours, MAC moves between ports, LAG members lost, reboots, speed/MTU.
  --collector URL        the collector to ask (default http://127.0.0.1:8082)
  --username NAME --password PW | --token T   credentials for a collector with auth on
  --from T               start of the window, exclusive: epoch ms or RFC 3339 (default: an hour before --to)
  --to T                 end of the window, inclusive: epoch ms or RFC 3339 (default now)
  --node ID              only this node's changes, its ports' and those of the links touching them
  --json                 print the collector's JSON answer {From, To, Changes}
  -h, --help             this help
exit status: 0 ok, 1 collector unreachable or failed, 2 usage error (also a parameter the collector refused)`;

interface Change {
  At: number;
  Kind: string;
  ID: string;
  Element: string;
  Type: string;
  Name?: string;
  Key?: string;
  Old?: unknown;
  New?: unknown;
  Parent?: string;
  Child?: string;
}

const show = (v: unknown) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));

/** One line: when, kind, the element (type, name, ID; an edge's two ends), what changed. */
export function changeLine(c: Change): string {
  const what = c.Element === 'edge' ? `${c.Type} ${c.Parent ?? '?'} — ${c.Child ?? '?'} (${c.ID})` : `${c.Type} ${c.Name ?? ''} (${c.ID})`;
  const key = c.Key !== undefined ? `  ${c.Key}: ${show(c.Old)} → ${show(c.New)}` : '';
  return `${new Date(c.At).toISOString()}  ${c.Kind.padEnd(19)} ${what.replace(/ {2,}/g, ' ')}${key}`;
}

function fail(msg: string): number {
  process.stderr.write(`canopy changes: ${msg}\n`);
  return 2;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(args, {
      ...COLLECTOR_FLAGS,
      from: { type: 'string' },
      to: { type: 'string' },
      node: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (e) {
    return fail(`${(e as Error).message}\n${HELP}`);
  }
  const { values: f, positionals } = parsed;
  if (f.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) return fail(`unexpected argument "${positionals[0]}"\n${HELP}`);
  const target = collectorTarget(f);
  if ('error' in target) return fail(target.error);
  const q = new URLSearchParams();
  if (f.from !== undefined) q.set('from', f.from);
  if (f.to !== undefined) q.set('to', f.to);
  if (f.node !== undefined) q.set('node', f.node);
  const a = await askCollector('changes', target, `/api/changes?${q}`);
  // A parameter the collector refused is this command line's mistake.
  if (!a.ok) return a.status === 400 && a.problem.parameter ? 2 : 1;
  const text = a.body;
  let body: { From: number; To: number; Changes: Change[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    process.stderr.write(`canopy changes: ${target.base} answered something other than JSON\n`);
    return 1;
  }
  if (f.json) emit(JSON.stringify(body, null, 2) + '\n');
  else {
    const head = `# ${body.Changes.length} change(s) in (${new Date(body.From).toISOString()}, ${new Date(body.To).toISOString()}]\n`;
    emit(head + body.Changes.map((c) => changeLine(c) + '\n').join(''));
  }
  return 0;
}
