import { z } from 'zod';
import { durationSeconds, listenSchema, section } from '../../config/common.ts';

const authProtocol = z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']);
const privProtocol = z.enum(['des', 'aes', 'aes256b', 'aes256r']);

/** Per-device overrides of the section-wide schedule and transport settings (DESIGN §2). */
const perDevice = {
  /** Free text shown in /api/status and /api/devices. */
  name: z.string().optional(),
  counterInterval: durationSeconds.optional(),
  lldpInterval: durationSeconds.optional(),
  fdbInterval: durationSeconds.optional(),
  rediscoverInterval: durationSeconds.optional(),
  timeout: durationSeconds.optional(),
  retries: z.number().int().min(0).max(10).optional(),
  maxRepetitions: z.number().int().positive().max(200).optional(),
};

const v2 = z
  .object({
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(161),
    version: z.literal('2c'),
    /** Tried in order; absent = the communities of the matching `credentials` entries, then "public". */
    community: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    ...perDevice,
  })
  .strict();

const v3 = z
  .object({
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(161),
    version: z.literal('3'),
    user: z.string().min(1).optional(),
    authProtocol: authProtocol.optional(),
    authKey: z.string().min(8).optional(),
    privProtocol: privProtocol.optional(),
    privKey: z.string().min(8).optional(),
    ...perDevice,
  })
  .strict();

/** One SNMP target; `version` defaults to "2c" (credentials per subnet may still supply v3). */
export const deviceSchema = z.preprocess(
  (d) => (d && typeof d === 'object' && !Array.isArray(d) && !('version' in d) ? { ...d, version: '2c', versionDefaulted: true } : d),
  z.discriminatedUnion('version', [v2.extend({ versionDefaulted: z.literal(true).optional() }), v3.extend({ versionDefaulted: z.literal(true).optional() })]),
);
export type DeviceConfig = z.output<typeof deviceSchema>;

const credential = z
  .object({
    /** CIDR the credential applies to; absent = everywhere. */
    subnet: z.string().optional(),
    version: z.enum(['2c', '3']).default('2c'),
    community: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    user: z.string().optional(),
    authProtocol: authProtocol.optional(),
    authKey: z.string().optional(),
    privProtocol: privProtocol.optional(),
    privKey: z.string().optional(),
  })
  .strict();
export type CredentialConfig = z.output<typeof credential>;

export const snmpSection = section({
  enabled: z.boolean().default(true),
  devices: z.array(deviceSchema).default([]),
  credentials: z.array(credential).default([]),
  traps: section({
    enabled: z.boolean().default(true),
    listen: listenSchema.default('0.0.0.0:9162'),
    /** v1/v2c communities accepted on the trap port (devices' communities are added automatically). */
    communities: z.array(z.string()).default(['public']),
    /** SNMPv3 users accepted on the trap port (devices' v3 users are added automatically). */
    users: z
      .array(z.object({ user: z.string().min(1), authProtocol: authProtocol.optional(), authKey: z.string().optional(), privProtocol: privProtocol.optional(), privKey: z.string().optional() }).strict())
      .default([]),
    /** A link change seen by polling with no linkUp/linkDown trap for that port within this long counts as a trap not received (0 = no check). */
    expectWithin: durationSeconds.default(5),
  }),
  counterInterval: durationSeconds.default(60),
  lldpInterval: durationSeconds.default(300),
  fdbInterval: durationSeconds.default(300),
  rediscoverInterval: durationSeconds.default(3600),
  timeout: durationSeconds.default(2),
  retries: z.number().int().min(0).max(10).default(2),
  concurrency: z.number().int().positive().default(32),
  maxRepetitions: z.number().int().positive().max(200).default(25),
  /** A link is DOWN after this many missed LLDP polls. */
  missedPollsDown: z.number().int().positive().default(3),
  /** Longest wait between polls of a device that does not answer (exponential backoff cap). */
  maxBackoff: durationSeconds.default(3600),
});
