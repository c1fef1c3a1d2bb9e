// `canopy collector [--config FILE] [--data-dir DIR] [--check] [--print-config]`
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../config/load.ts';
import { AuthConfigError } from '../api/auth.ts';
import { Collector } from '../collector.ts';
import { createLogger } from '../util/log.ts';
import { parseFlags } from '../util/args.ts';
import { Auth } from '../api/auth.ts';
import { defaultComponents } from '../components.ts';
import { redactSecrets } from '../config/redact.ts';
import { ComponentStartError } from '../component/lifecycle.ts';
import { checkFlowStore } from '../collectors/flows/open-flow-store.ts';
import { checkStorage } from '../topology/store/open-storage.ts';
import { checkFlowBus } from '../collectors/flows/bus/nats-link.ts';

const HELP = `usage: canopy collector [--config FILE] [--data-dir DIR] [--check] [--print-config]
  --config FILE    YAML config (default: $CANOPY_CONFIG, else built-in defaults)
  --data-dir DIR   storage.dataDir (default ./data)
  --check          validate the config and reach its storage and flow bus, then exit (0 = valid, 2 = invalid, 1 = unreachable)
  --print-config   print the effective config (defaults + file + CANOPY_* env; secrets as ***) and exit
Environment: CANOPY_<SECTION>_<KEY>=value overrides any key, e.g. CANOPY_API_LISTEN=127.0.0.1:9000`;

export async function run(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      check: { type: 'boolean' },
      'print-config': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }).values;
  } catch (e) {
    process.stderr.write(`canopy collector: ${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const file = flags.config ?? process.env.CANOPY_CONFIG;
  let config;
  try {
    config = loadConfig({ file, overrides: flags['data-dir'] ? { 'storage.dataDir': flags['data-dir'] } : {} });
    new Auth(config); // the auth rule is part of a valid config
  } catch (e) {
    if (e instanceof ConfigError || e instanceof AuthConfigError) {
      const msg = e instanceof AuthConfigError ? `${file ?? '(defaults)'}: api.listen: ${e.message}` : e.message;
      process.stderr.write(`canopy: invalid config\n${msg}\n`);
      return 2;
    }
    throw e;
  }
  if (flags['print-config']) {
    // Secrets masked: the output ends up in tickets and chat.
    process.stdout.write(stringify(redactSecrets(config)));
    return 0;
  }
  if (flags.check) {
    const reason = await checkStorage(config.storage);
    if (reason) {
      process.stderr.write(`canopy: storage unreachable\n${file ?? '(defaults)'}: storage.postgres.url: ${reason}\n`);
      return 1;
    }
    const flows = await checkFlowStore(config);
    if (flows) {
      process.stderr.write(`canopy: flow store unreachable\n${file ?? '(defaults)'}: ${flows.key}: ${flows.reason}\n`);
      return 1;
    }
    const bus = config.flows.bus === 'nats' ? await checkFlowBus(config.flows.nats) : undefined;
    if (bus) {
      process.stderr.write(`canopy: flow bus unreachable\n${file ?? '(defaults)'}: flows.nats.url: ${bus}\n`);
      return 1;
    }
    process.stdout.write(`${file ?? '(defaults)'}: config OK\n`);
    return 0;
  }
  const log = createLogger();
  const collector = new Collector({ config, configFile: file, log, components: defaultComponents() });
  try {
    // A failed start has already stopped what had started, in reverse.
    await collector.start();
  } catch (e) {
    const component = e instanceof ComponentStartError ? e.component : undefined;
    log.fatal({ err: e, ...(component ? { component } : {}) }, 'collector failed to start');
    process.stderr.write(`canopy: ${(e as Error).message}\n`);
    return 1;
  }
  process.on('SIGHUP', () => void collector.reload());
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('stopping');
  await collector.stop();
  return 0;
}
