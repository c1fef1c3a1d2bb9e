// `canopy <command>`: each sub-command lives in its own module and is loaded on demand, so a
// CLI tool never pays for the collector's start-up.

type Runner = (args: string[]) => Promise<number>;

const commands: Record<string, { help: string; load: () => Promise<{ run: Runner }> }> = {
  collector: { help: 'run the collector (API/UI, flow listeners, SNMP, stitching)', load: () => import('./cli/collector.ts') },
  query: { help: 'run a Gremlin query against a collector or a data dir', load: () => import('./cli/query.ts') },
  decode: { help: 'decode sFlow/NetFlow/IPFIX/LLDP/CDP from a pcap or raw file to JSON lines', load: () => import('./cli/decode.ts') },
  'snmp-sim': { help: 'serve SNMP walk files as simulated devices', load: () => import('./collectors/snmp/sim/cli.ts') },
  demo: { help: 'start a collector with a simulated fabric and live changes (the wall display demo)', load: () => import('./ui/demo.ts') },
  lab: { help: 'bring a containerlab topology up/down as network namespaces', load: () => import('./lab/cli.ts') },
};

export function usage(): string {
  const lines = ['usage: canopy <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.help}`);
  lines.push('', 'canopy <command> --help for its options');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage() + '\n');
    return cmd ? 0 : 2;
  }
  const c = commands[cmd];
  if (!c) {
    process.stderr.write(`canopy: unknown command "${cmd}"\n${usage()}\n`);
    return 2;
  }
  const mod = await c.load();
  return mod.run(rest);
}

// Allow `tsx src/cli.ts …` as well as bin/canopy.js.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
