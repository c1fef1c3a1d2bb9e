// `canopy lab up|down|status|forward FILE [options]` — the namespace twin of a containerlab topology.
import { parseFlags } from '../util/args.ts';
import { labHints } from './collector-config.ts';
import { labDown } from './down.ts';
import { startForward } from './forward.ts';
import { readState, type LabOptions } from './state.ts';
import { labUp, planNamespaces } from './up.ts';

const HELP = `usage: canopy lab up|down|status|forward FILE [options]
Needs root (sudo): it creates network namespaces, veth links, OVS bridges and runs snmpd/lldpd in them.

  up       build FILE as network namespaces (idempotent: an existing instance is removed first) and
           write a collector config for it (<state dir>/collector.yml: switches, credentials,
           trap and flow listeners); prints how to start the collector and open the wall
  down     stop every process the lab started (by PID) and delete its namespaces
  status   print the lab state (JSON) of FILE's instance
  forward  serve --listen on the host and relay it to the collector API in the lab's management
           namespace (127.0.0.1:8082 there), until Ctrl-C

options:
  --prefix P            namespace name prefix (default "<topology name>-")
  --subnet-base A.B     replace the file's first two address octets (default: keep the file's)
  --collector ADDR      collector address in the mgmt namespace (default: mgmt.ipv4-gw of the file)
  --sflow-port N        OVS sFlow target port (default 6343)
  --netflow-port N      softflowd NetFlow v5/v9 target port (default 2055)
  --ipfix-port N        softflowd IPFIX target port (default 4739)
  --trap-port N         snmpd trap target port (default 9162, the collector's default trap port)
  --state-dir DIR       state/log folder (default /tmp/canopy-lab/<prefix>)
  --keep-on-error       up: leave a failed lab in place for inspection (then run down)
  --fail-after STEP     up: fail on purpose after STEP (test hook: namespaces|links|ovs|snmpd|lldpd|exporters)
  --quiet               up: no progress lines
  --listen ADDR         forward: host address to serve (default 127.0.0.1:8082)

The same --prefix / --state-dir / --subnet-base / --collector must be given to every action.
`;

function port(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag} must be a port number (got ${v})`);
  return n;
}

/** The options that identify a lab instance, as given (repeated in the hints for other actions). */
function sameOptions(v: Record<string, string | boolean | undefined>): string[] {
  return ['prefix', 'state-dir', 'subnet-base', 'collector'].flatMap((k) => (typeof v[k] === 'string' ? [`--${k}`, v[k]] : []));
}

export async function run(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, {
      prefix: { type: 'string' },
      'subnet-base': { type: 'string' },
      collector: { type: 'string' },
      'sflow-port': { type: 'string' },
      'netflow-port': { type: 'string' },
      'ipfix-port': { type: 'string' },
      'trap-port': { type: 'string' },
      'state-dir': { type: 'string' },
      'keep-on-error': { type: 'boolean' },
      'fail-after': { type: 'string' },
      quiet: { type: 'boolean' },
      listen: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (e) {
    process.stderr.write(`canopy lab: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  const [action, file] = flags.positionals;
  if (flags.values.help || !action || !file || !['up', 'down', 'status', 'forward'].includes(action)) {
    process.stdout.write(HELP);
    return flags.values.help ? 0 : 2;
  }
  const v = flags.values;
  try {
    const opts: LabOptions = {
      prefix: v.prefix,
      subnetBase: v['subnet-base'],
      collector: v.collector,
      stateDir: v['state-dir'],
      sflowPort: port(v['sflow-port'], '--sflow-port'),
      netflowPort: port(v['netflow-port'], '--netflow-port'),
      ipfixPort: port(v['ipfix-port'], '--ipfix-port'),
      trapPort: port(v['trap-port'], '--trap-port'),
      failAfter: v['fail-after'],
      keepOnError: v['keep-on-error'] ?? false,
      progress: v.quiet ? undefined : (l: string) => process.stderr.write(`lab: ${l}\n`),
    };
    const plan = planNamespaces(file, opts);
    if (action === 'up') {
      const st = await labUp(file, opts);
      process.stdout.write(
        `${JSON.stringify({ stateDir: st.stateDir, mgmtNs: st.mgmtNs, collector: st.collector, collectorConfig: st.collectorConfig, upMs: st.timings.ready })}\n`,
      );
      if (!v.quiet)
        process.stderr.write(
          labHints(st, file, sameOptions(v))
            .map((l) => `lab: ${l}\n`)
            .join(''),
        );
    } else if (action === 'down') {
      const r = await labDown(plan.stateDir, plan.namespaces);
      process.stderr.write(
        `lab: down in ${r.ms} ms (${r.stopped} processes, ${r.namespaces.length} namespaces${r.forced.length ? `, SIGKILLed ${r.forced.join(' ')}` : ''})\n`,
      );
    } else if (action === 'forward') {
      const st = readState(plan.stateDir);
      if (!st) {
        process.stderr.write(`lab: no state in ${plan.stateDir} (not up)\n`);
        return 1;
      }
      const fwd = await startForward(st, v.listen ?? '127.0.0.1:8082');
      process.stderr.write(`lab: http://${fwd.address}/ → the collector API in namespace ${st.mgmtNs}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await fwd.close();
    } else {
      const st = readState(plan.stateDir);
      if (!st) {
        process.stderr.write(`lab: no state in ${plan.stateDir} (not up)\n`);
        return 1;
      }
      process.stdout.write(`${JSON.stringify(st, null, 2)}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`canopy lab ${action}: ERROR: ${(e as Error).message}\n`);
    return 1;
  }
}
