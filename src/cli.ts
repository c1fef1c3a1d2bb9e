// `canopy <command>`: each sub-command lives in its own module and is loaded on demand, so a
// CLI tool never pays for the collector's start-up.
import { errorText, watchOutput } from './cli/output.ts';
import { packageVersion } from './util/version.ts';

type Runner = (args: string[]) => Promise<number>;

const commands: Record<string, { help: string; load: () => Promise<{ run: Runner }> }> = {
  collector: { help: 'run the collector (API/UI, flow listeners, SNMP, stitching)', load: () => import('./cli/collector.ts') },
  agent: { help: 'run the host agent: report this host to a collector over /ws/agent', load: () => import('./agent/cli.ts') },
  query: { help: 'run a Gremlin query against a collector or a data dir', load: () => import('./cli/query.ts') },
  decode: { help: 'decode sFlow/NetFlow/IPFIX/LLDP/CDP from a pcap or raw file to JSON lines', load: () => import('./cli/decode.ts') },
  replay: { help: 'count a pcap into per-direction flows as port-mirror capture does', load: () => import('./cli/replay.ts') },
  'flow-matrix': {
    help: "who talks to whom: a collector's service dependency matrix (CSV, JSON, DOT, SVG)",
    load: () => import('./cli/flow-matrix.ts'),
  },
  changes: {
    help: 'what changed in the topology between two instants (link up/down, LLDP, MAC moves, reboots …)',
    load: () => import('./cli/changes.ts'),
  },
  'verify-cabling': {
    help: 'compare a cabling plan (CSV or fabric DSL) with the links a collector observed',
    load: () => import('./cli/verify-cabling.ts'),
  },
  'snmp-sim': { help: 'serve SNMP walk files as simulated devices', load: () => import('./collectors/snmp/sim/cli.ts') },
  demo: {
    help: 'start a collector with a simulated fabric and live changes (the wall display demo)',
    load: () => import('./demo/demo.ts'),
  },
  lab: { help: 'bring a containerlab topology up/down as network namespaces (needs root)', load: () => import('./lab/cli.ts') },
};

export function usage(): string {
  const lines = ['usage: canopy <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(14)} ${c.help}`);
  lines.push(`  ${'version'.padEnd(14)} print the version`);
  lines.push(
    '',
    'options:',
    '  -h, --help     this help; canopy <command> --help for the options of a command',
    '  -V, --version  print the version',
    '',
    'exit status:',
    '  0  success (also when the reader of the output goes away, e.g. `canopy decode x.pcap | head`)',
    '  1  runtime error: unreadable input, nothing decodable, unreachable collector, failed query',
    '  2  usage error: unknown command or option, missing argument, invalid config',
    '  3  verify-cabling only: the plan and the observed links disagree',
    '',
    'Errors are one line on stderr; CANOPY_DEBUG=1 adds the stack trace of unexpected ones.',
  );
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  watchOutput();
  const [cmd, ...rest] = argv;
  if (!cmd) {
    // A usage error: the usage goes to stderr, stdout stays for results.
    process.stderr.write(usage() + '\n');
    return 2;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    process.stdout.write(`canopy ${packageVersion()}\n`);
    return 0;
  }
  const c = commands[cmd];
  if (!c) {
    process.stderr.write(`canopy: unknown command "${cmd}" (see canopy --help)\n`);
    return 2;
  }
  try {
    const mod = await c.load();
    return await mod.run(rest);
  } catch (e) {
    process.stderr.write(`canopy ${cmd}: ${errorText(e)}\n`);
    if (process.env.CANOPY_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

// Allow `tsx src/cli.ts …` as well as bin/canopy.js.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
