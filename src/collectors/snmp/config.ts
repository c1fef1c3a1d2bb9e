import { z } from 'zod';
import { durationSeconds, listenSchema, section } from '../../config/common.ts';

const v2 = z
  .object({
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(161),
    version: z.literal('2c'),
    community: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  })
  .strict();

const v3 = z
  .object({
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(161),
    version: z.literal('3'),
    user: z.string().min(1),
    authProtocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
    authKey: z.string().min(8).optional(),
    privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).optional(),
    privKey: z.string().min(8).optional(),
  })
  .strict();

const credential = z
  .object({
    /** CIDR the credential applies to; absent = everywhere. */
    subnet: z.string().optional(),
    version: z.enum(['2c', '3']).default('2c'),
    community: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    user: z.string().optional(),
    authProtocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
    authKey: z.string().optional(),
    privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).optional(),
    privKey: z.string().optional(),
  })
  .strict();

export const snmpSection = section({
  enabled: z.boolean().default(true),
  devices: z
    .array(
      z.preprocess(
        (d) => (d && typeof d === 'object' && !('version' in d) ? { ...d, version: '2c' } : d),
        z.discriminatedUnion('version', [v2, v3]),
      ),
    )
    .default([]),
  credentials: z.array(credential).default([]),
  traps: section({
    enabled: z.boolean().default(true),
    listen: listenSchema.default('0.0.0.0:9162'),
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
});
