import { z } from 'zod';
import { isIP } from 'node:net';
import { durationSeconds, listenSchema, section } from '../../config/common.ts';
import { checkSharedEndpoints } from './shared-endpoints.ts';

const authProtocol = z
  .enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'])
  .describe('SNMPv3 authentication protocol (`sha` = SHA-1).');
const privProtocol = z
  .enum(['des', 'aes', 'aes256b', 'aes256r'])
  .describe('SNMPv3 privacy protocol (`aes` = AES-128; `aes256b`/`aes256r`: AES-256 with Blumenthal/Reeder key extension).');

/** Per-device overrides of the section-wide schedule and transport settings (docs/architecture.md#configuration-and-metrics). */
const perDevice = {
  name: z.string().optional().describe('Free text shown in /api/status and /api/devices.'),
  counterInterval: durationSeconds.optional().describe("This device's `snmp.counterInterval`."),
  lldpInterval: durationSeconds.optional().describe("This device's `snmp.lldpInterval`."),
  fdbInterval: durationSeconds.optional().describe("This device's `snmp.fdbInterval`."),
  rediscoverInterval: durationSeconds.optional().describe("This device's `snmp.rediscoverInterval`."),
  timeout: durationSeconds.optional().describe("This device's `snmp.timeout`."),
  retries: z.number().int().min(0).max(10).optional().describe("This device's `snmp.retries`."),
  maxRepetitions: z.number().int().positive().max(200).optional().describe("This device's `snmp.maxRepetitions`."),
};

const address = z.string().min(1).describe("The agent's IP address (traps are matched to devices by their source address).");
const port = z.number().int().min(1).max(65535).default(161).describe("The agent's UDP port.");

const v2 = z
  .object({
    address,
    port,
    // The default is applied by deviceSchema's preprocess step; docDefault tells the reference.
    version: z.literal('2c').meta({
      description: 'SNMP version. Left out: `2c`, unless no community is given and the first matching `credentials` entry is v3.',
      docDefault: '2c',
    }),
    community: z
      .union([z.string(), z.array(z.string()).min(1)])
      .optional()
      .describe(
        'Community, or several tried in order (the one that answers is kept); absent: the communities of the matching `credentials` entries, then `public`.',
      ),
    ...perDevice,
  })
  .strict();

const v3 = z
  .object({
    address,
    port,
    version: z.literal('3'),
    user: z
      .string()
      .min(1)
      .optional()
      .describe('USM user name; absent: from the first matching v3 `credentials` entry (as are the keys and protocols).'),
    authProtocol: authProtocol.optional(),
    authKey: z.string().min(8).optional().describe('Authentication pass phrase (at least 8 characters); absent: noAuthNoPriv.'),
    privProtocol: privProtocol.optional(),
    privKey: z.string().min(8).optional().describe('Privacy pass phrase (at least 8 characters); absent: no encryption (authNoPriv).'),
    contextName: z
      .string()
      .optional()
      .describe('SNMPv3 context name sent with every request (a proxy or an agent serving several devices at one address:port).'),
    ...perDevice,
  })
  .strict();

const versionDefaulted = z.literal(true).optional().describe('internal: set when `version` was left out');

/** One SNMP target; `version` defaults to "2c" (credentials per subnet may still supply v3). */
export const deviceSchema = z.preprocess(
  (d) => (d && typeof d === 'object' && !Array.isArray(d) && !('version' in d) ? { ...d, version: '2c', versionDefaulted: true } : d),
  z.discriminatedUnion('version', [v2.extend({ versionDefaulted }), v3.extend({ versionDefaulted })]),
);
export type DeviceConfig = z.output<typeof deviceSchema>;

const credential = z
  .object({
    subnet: z.string().optional().describe('CIDR (`10.0.0.0/24`) of the device addresses this entry applies to; absent: every device.'),
    version: z.enum(['2c', '3']).default('2c').describe('Which devices it serves: v2c ones (community) or v3 ones (user and keys).'),
    community: z
      .union([z.string(), z.array(z.string()).min(1)])
      .optional()
      .describe('v2c: communities to try, in order.'),
    user: z.string().optional().describe('v3: USM user name.'),
    authProtocol: authProtocol.optional(),
    authKey: z.string().optional().describe('v3: authentication pass phrase.'),
    privProtocol: privProtocol.optional(),
    privKey: z.string().optional().describe('v3: privacy pass phrase.'),
  })
  .strict();
export type CredentialConfig = z.output<typeof credential>;

/** An IPv4 or IPv6 prefix, `10.0.0.0/24` or `2001:db8::/64`. */
const cidr = z.string().refine((v) => {
  const [net, bits, extra] = v.split('/');
  const fam = isIP(net ?? '');
  const n = Number(bits);
  return fam !== 0 && extra === undefined && /^\d+$/.test(bits ?? '') && n <= (fam === 4 ? 32 : 128);
}, 'expected a prefix like 10.0.0.0/24');

const discovery = section({
  enabled: z.boolean().default(false).describe("Add devices found in polled devices' LLDP and CDP neighbour tables."),
  seeds: z
    .array(z.string().refine((v) => isIP(v) !== 0, 'expected an IP address'))
    .default([])
    .describe('Addresses to try first (polled devices are seeds too); a seed needs no `cidrs` entry.'),
  cidrs: z
    .array(cidr)
    .default([])
    .describe(
      "Neighbours' management addresses (lldpRemManAddrTable, cdpCacheAddress) inside these prefixes are tried; others are counted and left alone.",
    ),
  maxDevices: z.number().int().positive().default(256).describe('Most devices discovery adds (configured and API devices do not count).'),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(161)
    .describe('UDP port of discovered agents (management addresses carry none); seeds too.'),
}).describe(
  'Discovery from neighbours: a candidate is polled when `snmp.credentials` has an entry for its subnet and it answers; discovered devices are kept in storage and show `Source: discovered` in /api/devices.',
);

const lease = section({
  ttl: durationSeconds
    .refine((v) => v >= 1, 'at least 1s')
    .default(15)
    .describe(
      'How long a device lease lasts without renewal (PostgreSQL storage only). Renewed every quarter of it; a collector that cannot renew stops polling the device a third of it before expiry; a device of a collector that died is polled by another within 1.25 × this + 2 s (21 s at 15 s).',
    ),
  collectorId: z
    .string()
    .min(1)
    .optional()
    .describe('This collector in the lease and collector tables; absent: host name, process ID and a random suffix (new at each start).'),
}).describe(
  'With `storage.backend: postgres`, collectors on one database share the SNMP devices: each device is leased to one collector at a time (docs/scale-out.md). Ignored with SQLite.',
);

export const snmpSection = section({
  enabled: z.boolean().default(true).describe('Poll devices and receive traps.'),
  devices: z
    .array(deviceSchema)
    .superRefine(checkSharedEndpoints)
    .default([])
    .describe(
      'Switches to poll (more can be added at run time with `POST /api/devices`). Several entries at one address:port are several devices only when each has a `name` and they differ by `community` or `contextName`.',
    ),
  credentials: z
    .array(credential)
    .default([])
    .describe('Credentials by subnet, filling in what a device entry leaves out; the first matching entry of the right version wins.'),
  discovery,
  lease,
  traps: section({
    enabled: z.boolean().default(true).describe('Receive SNMP traps and informs.'),
    listen: listenSchema
      .default('0.0.0.0:9162')
      .describe(
        'UDP address(es) for traps. Devices send to 162 unless told otherwise: point them at this port, or let the collector bind 162 (docs/getting-started.md, "Traps on port 162").',
      ),
    communities: z
      .array(z.string())
      .default(['public'])
      .describe("v1/v2c communities accepted (every polled device's communities are added)."),
    users: z
      .array(
        z
          .object({
            user: z.string().min(1).describe('USM user name the device sends as.'),
            authProtocol: authProtocol.optional(),
            authKey: z.string().optional().describe('Authentication pass phrase.'),
            privProtocol: privProtocol.optional(),
            privKey: z.string().optional().describe('Privacy pass phrase.'),
          })
          .strict(),
      )
      .default([])
      .describe("SNMPv3 users accepted (every polled v3 device's user is added). Users are keyed by name: use one set of keys per name."),
    expectWithin: durationSeconds
      .default(5)
      .describe(
        'A link change seen by polling with no linkUp/linkDown trap for that port within this long counts as a trap not received (`snmpTrapsNotReceived`); 0 turns the check off.',
      ),
  }).describe(
    'The trap/inform listener: linkDown/linkUp set port state at once, coldStart/warmStart re-poll, lldpRemTablesChange polls LLDP early.',
  ),
  vlanCommunities: z
    .boolean()
    .default(false)
    .describe(
      "Cisco switches (v2c): read each operational VLAN's forwarding table (CISCO-VTP-MIB vtpVlanState) with community `community@vlan`, as their BRIDGE-MIB answers for one VLAN per community.",
    ),
  counterInterval: durationSeconds.default(60).describe('Port state and counters (IF-MIB), and sysUpTime.'),
  lldpInterval: durationSeconds.default(300).describe('LLDP-MIB (and CDP) neighbours, from which links are made.'),
  fdbInterval: durationSeconds.default(300).describe('Forwarding database (BRIDGE-MIB, Q-BRIDGE-MIB): which MAC is behind which port.'),
  rediscoverInterval: durationSeconds
    .default(3600)
    .describe('System group, LLDP chassis, ifTable inventory and ENTITY-MIB (also after a reboot or coldStart).'),
  timeout: durationSeconds.default(2).describe('Wait for one SNMP reply.'),
  retries: z.number().int().min(0).max(10).default(2).describe('Resends of a request before it times out.'),
  concurrency: z.number().int().positive().default(32).describe('Poll tasks running at once across all devices.'),
  maxRepetitions: z
    .number()
    .int()
    .positive()
    .max(200)
    .default(25)
    .describe('GETBULK max-repetitions (rows per request when walking a table).'),
  missedPollsDown: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe('A link is DOWN after this many LLDP polls in a row that no longer see it.'),
  maxBackoff: durationSeconds
    .default(3600)
    .describe('Longest wait between polls of a device that does not answer (exponential backoff cap).'),
}).describe(
  'SNMP polling (IF-MIB, LLDP-MIB, BRIDGE-MIB, ENTITY-MIB) of switches and the trap listener. Every interval and transport setting can be set per device.',
);
