// `canopy agent --collector ws://HOST:8082 [--token T] [--config FILE] …` (docs/architecture.md#agent)
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from '../util/log.ts';
import { parseFlags } from '../util/args.ts';
import { packageVersion } from '../util/version.ts';
import { Agent } from './agent.ts';
import { redactSecrets } from '../config/redact.ts';

const HELP = `usage: canopy agent [--collector ws://HOST:8082] [--token T] [--config FILE] [options]
  --collector URL   the collector (agent.collector; /ws/agent is appended)
  --token T         this host's agent token (agent.token)
  --config FILE     YAML with an \`agent:\` section (default: $CANOPY_CONFIG)
  --hostname NAME   host name to report (agent.hostname; default the kernel's)
  --machine-id ID   host identity (agent.machineId; default /etc/machine-id)
  --ovsdb EP        local OVSDB to relay when the collector asks (agent.ovsdb), e.g. unix:/var/run/openvswitch/db.sock
  --check           validate the config and exit
  --print-config    print the effective agent section (token as ***) and exit
Environment: CANOPY_AGENT_<KEY>=value, e.g. CANOPY_AGENT_TOKEN=…`;

export async function run(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, {
      collector: { type: 'string' },
      token: { type: 'string' },
      config: { type: 'string', short: 'c' },
      hostname: { type: 'string' },
      'machine-id': { type: 'string' },
      ovsdb: { type: 'string' },
      check: { type: 'boolean' },
      'print-config': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }).values;
  } catch (e) {
    process.stderr.write(`canopy agent: ${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const file = flags.config ?? process.env.CANOPY_CONFIG;
  const overrides: Record<string, unknown> = {};
  if (flags.collector) overrides['agent.collector'] = flags.collector;
  if (flags.token) overrides['agent.token'] = flags.token;
  if (flags.hostname) overrides['agent.hostname'] = flags.hostname;
  if (flags['machine-id']) overrides['agent.machineId'] = flags['machine-id'];
  if (flags.ovsdb) overrides['agent.ovsdb'] = flags.ovsdb;
  let config;
  try {
    config = loadConfig({ file, overrides }).agent;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`canopy: invalid config\n${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (flags['print-config']) {
    // The token masked: the output ends up in tickets and chat.
    process.stdout.write(stringify({ agent: redactSecrets(config) }));
    return 0;
  }
  if (flags.check) {
    process.stdout.write(`${file ?? '(defaults)'}: config OK\n`);
    return 0;
  }
  const log = createLogger().child({ component: 'agent' });
  const agent = new Agent({ config, log, version: packageVersion() });
  await agent.start();
  log.info({ host: agent.facts.name, hostId: agent.hostId, collector: config.collector }, 'agent started');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  log.info('stopping');
  await agent.stop();
  return 0;
}
