import { z } from 'zod';
import { listenSchema, section } from '../config/common.ts';

export const apiSection = section({
  listen: listenSchema.default('127.0.0.1:8082'),
  /** Request bodies above this are refused with 413. */
  maxBodyBytes: z.number().int().positive().default(8 * 1024 * 1024),
  /** Upper bound on elements a single query may return or visit. */
  queryMaxResults: z.number().int().positive().default(200_000),
  queryTimeoutMs: z.number().int().positive().default(10_000),
});

const user = z
  .object({
    name: z.string().min(1),
    passwordHash: z.string().regex(/^\$2[aby]\$\d\d\$/, 'expected a bcrypt hash').optional(),
    password: z.string().min(1).optional(),
    role: z.enum(['admin', 'viewer']).default('viewer'),
  })
  .strict()
  .refine((u) => (u.passwordHash ? 1 : 0) + (u.password ? 1 : 0) === 1, 'give exactly one of passwordHash or password');

export const authSection = section({
  users: z.array(user).default([]),
  tokens: z.array(z.object({ token: z.string().min(8), role: z.enum(['admin', 'viewer']).default('viewer') }).strict()).default([]),
  /** Lifetime of the session token set by POST /login. */
  sessionTtl: z.number().int().positive().default(86_400),
});

export const agentsSection = section({
  tokens: z.array(z.string().min(8)).default([]),
});
