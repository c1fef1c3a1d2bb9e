// `canopy flow-matrix`: the service dependency matrix a collector computes from its host agents'
// sockets (and flows with --use-flows), fetched from GET /api/flow-matrix (docs/architecture.md#flow-matrix).
import { parseFlags } from '../util/args.ts';
import { emit } from './output.ts';
import { COLLECTOR_FLAGS, askCollector, collectorTarget } from './collector-request.ts';

const FORMATS = ['csv', 'json', 'dot', 'svg'];

const HELP = `usage: canopy flow-matrix [options]
  Who talks to whom: listening vs established sockets reported by host agents, matched across
  hosts by address and port, one row per connection class (the client port does not count).
  --collector URL        the collector to ask (default http://127.0.0.1:8082)
  --username NAME --password PW | --token T   credentials for a collector with auth on
  --format F             csv (default; skydive-flow-matrix's columns), json, dot (Graphviz), svg
  --at T                 the graph as it was at T: epoch seconds/ms, ISO 8601, or relative (--at=-15m)
  --duration S           also the graph S before T, and flows over that window (seconds, or 30s, 5m, 1h)
  --use-flows            join flows (sFlow, NetFlow/IPFIX, mirror) to sockets by 5-tuple; hosts
                         without an agent are named by IP
  --list-no-peers        also list connections whose other end no agent reports
  --host H               only rows with host H (name or node ID) at either end
  -h, --help             this help
exit status: 0 ok, 1 collector unreachable or failed, 2 usage error (also a parameter the collector refused)`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(args, {
      ...COLLECTOR_FLAGS,
      format: { type: 'string' },
      at: { type: 'string' },
      duration: { type: 'string' },
      'use-flows': { type: 'boolean' },
      'list-no-peers': { type: 'boolean' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (e) {
    process.stderr.write(`canopy flow-matrix: ${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  const { values: f, positionals } = parsed;
  if (f.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(`canopy flow-matrix: unexpected argument "${positionals[0]}"\n${HELP}\n`);
    return 2;
  }
  const format = f.format ?? 'csv';
  if (!FORMATS.includes(format)) {
    process.stderr.write(`canopy flow-matrix: --format must be one of ${FORMATS.join(', ')}, not "${format}"\n`);
    return 2;
  }
  const target = collectorTarget(f);
  if ('error' in target) {
    process.stderr.write(`canopy flow-matrix: ${target.error}\n`);
    return 2;
  }
  const q = new URLSearchParams({ format });
  if (f.at !== undefined) q.set('at', f.at);
  if (f.duration !== undefined) q.set('duration', f.duration);
  if (f['use-flows']) q.set('useFlows', 'true');
  if (f['list-no-peers']) q.set('listNoPeers', 'true');
  if (f.host !== undefined) q.set('host', f.host);
  const a = await askCollector('flow-matrix', target, `/api/flow-matrix?${q}`);
  // A parameter the collector refused is this command line's mistake.
  if (!a.ok) return a.status === 400 && a.problem.parameter ? 2 : 1;
  const text = a.body;
  emit(format === 'json' ? JSON.stringify(JSON.parse(text), null, 2) + '\n' : text);
  return 0;
}
