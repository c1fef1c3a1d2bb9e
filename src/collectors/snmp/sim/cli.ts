// `canopy snmp-sim --dir DIR --listen ADDR:PORT [--port-per-device BASEPORT | --address-per-device BASE]`: serves walk files as
// simulated devices until SIGINT/SIGTERM. Logs (JSON) each device and the bound ports.
import { isIP } from 'node:net';
import { createLogger } from '../../../util/log.ts';
import { parseFlags } from '../../../util/args.ts';
import { startSimulator, type StartSimulatorOptions } from './server.ts';
import type { AuthProtocol, PrivProtocol } from './usm.ts';

const HELP = `usage: canopy snmp-sim --dir DIR [--listen ADDR:PORT] [--port-per-device BASEPORT | --address-per-device BASE]
  --dir DIR                 walk files: *.snmprec (snmpsim), *.snmpwalk|*.walk|*.txt (snmpwalk -On);
                            community (and v3 context) = file name without extension
  --file FILE               a single walk file (repeatable)
  --switches N              also serve N generated 48-port switches (sim-sw-0000…), LLDP ring
  --fdb N                   FDB entries per generated switch (default 500)
  --arp N                   ipNetToPhysicalTable rows per generated switch, for its first N FDB MACs (default 0)
  --lag                     one aggregate per generated switch (ifStackTable, dot3adAggPortAttachedAggID)
  --listen ADDR:PORT        default 127.0.0.1:1161; port 0 = ephemeral
  --port-per-device BASE    device i on port BASE+i instead of one shared port (0 = ephemeral each)
  --address-per-device BASE device i on IPv4 address BASE+i (e.g. 127.1.0.1; all of 127/8 is on lo),
                            at --listen's port, 161 without --listen; generated switches advertise
                            these addresses in their neighbours' lldpRemManAddrTable
  --community NAME          with a port or address per device: every device also answers NAME
  --max-message-size N      largest response datagram (default 1472, max 65507)
  --max-repetitions N       cap GETBULK max-repetitions
  --v3-user NAME --v3-auth-proto md5|sha|sha224|sha256|sha384|sha512 --v3-auth-key KEY
  [--v3-priv-proto aes|aes256b|aes256r --v3-priv-key KEY] [--engine-id HEX]
`;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseFlags(args, {
      dir: { type: 'string' },
      file: { type: 'string', multiple: true },
      switches: { type: 'string' },
      fdb: { type: 'string' },
      arp: { type: 'string' },
      lag: { type: 'boolean' },
      listen: { type: 'string' },
      'port-per-device': { type: 'string' },
      'address-per-device': { type: 'string' },
      community: { type: 'string' },
      'max-message-size': { type: 'string' },
      'max-repetitions': { type: 'string' },
      'v3-user': { type: 'string' },
      'v3-auth-proto': { type: 'string', default: 'sha' },
      'v3-auth-key': { type: 'string' },
      'v3-priv-proto': { type: 'string' },
      'v3-priv-key': { type: 'string' },
      'engine-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }));
  } catch (e) {
    process.stderr.write(`snmp-sim: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const perAddress = values['address-per-device'];
  if (perAddress !== undefined && values['port-per-device'] !== undefined) {
    process.stderr.write('snmp-sim: give --port-per-device or --address-per-device, not both\n');
    return 2;
  }
  if (perAddress !== undefined && isIP(perAddress) !== 4) {
    process.stderr.write(`snmp-sim: --address-per-device needs an IPv4 address, not "${perAddress}"\n`);
    return 2;
  }
  const opts: StartSimulatorOptions = {
    dir: values.dir,
    files: values.file,
    // Management addresses carry no port: one address per device answers where agents do, on 161.
    listen: values.listen ?? (perAddress !== undefined ? '0.0.0.0:161' : '127.0.0.1:1161'),
    addressPerDevice: perAddress,
    sharedCommunity: values.community,
    portPerDevice: num(values['port-per-device']),
    maxMessageSize: num(values['max-message-size']),
    maxRepetitions: num(values['max-repetitions']),
  };
  if (values.switches)
    opts.switches = { count: Number(values.switches), fdbEntries: num(values.fdb), arpEntries: num(values.arp), lag: values.lag === true };
  for (const [k, v] of Object.entries({
    portPerDevice: opts.portPerDevice,
    maxMessageSize: opts.maxMessageSize,
    maxRepetitions: opts.maxRepetitions,
    arp: opts.switches?.arpEntries,
  })) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      process.stderr.write(`snmp-sim: ${k} must be a non-negative integer\n`);
      return 2;
    }
  }
  if (values['v3-user']) {
    if (!values['v3-auth-key']) {
      process.stderr.write('snmp-sim: --v3-user needs --v3-auth-key\n');
      return 2;
    }
    opts.v3 = {
      users: [
        {
          name: values['v3-user'],
          authProtocol: values['v3-auth-proto'] as AuthProtocol,
          authKey: values['v3-auth-key'],
          privProtocol: values['v3-priv-proto'] as PrivProtocol | undefined,
          privKey: values['v3-priv-key'],
        },
      ],
      engineId: values['engine-id'],
    };
  }
  if (!opts.dir && !opts.files?.length && !opts.switches) {
    process.stderr.write(`snmp-sim: give --dir, --file or --switches\n${HELP}`);
    return 2;
  }
  const log = createLogger();
  opts.log = log;
  const sim = await startSimulator(opts);
  for (const d of sim.devices)
    log.info(
      { community: d.community, address: d.address, port: d.port, records: d.records, source: d.source, skips: d.skips },
      'snmp-sim device',
    );
  log.info(
    { address: sim.address, port: sim.port, devices: sim.devices.length, ports: [...new Set(sim.devices.map((d) => d.port))] },
    'snmp-sim ready',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  log.info({ stats: sim.stats() }, 'snmp-sim stopping');
  await sim.close();
  return 0;
}
