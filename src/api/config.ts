import { z } from 'zod';
import { durationSeconds, listenSchema, section } from '../config/common.ts';

export const apiSection = section({
  listen: listenSchema
    .default('127.0.0.1:8082')
    .describe('REST/WebSocket API and the wall display (`/`). A non-loopback address needs `auth.users` or `auth.tokens`.'),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024)
    .describe('Request bodies above this are refused with 413 (counted in `canopy_api_too_large_total{kind="http_body"}`).'),
  wsMaxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024)
    .describe(
      'A WebSocket message above this closes its connection with code 1009 (counted in `canopy_api_too_large_total{kind="ws_message"}`).',
    ),
  tls: z
    .object({
      cert: z.string().min(1).describe('PEM file with the server certificate (and its chain).'),
      key: z.string().min(1).describe('PEM file with the private key of that certificate.'),
    })
    .strict()
    .optional()
    .describe('Serve the API, the UI and the WebSockets over HTTPS/WSS on every `listen` address; plain HTTP is then refused there.'),
  queryMaxResults: z.number().int().positive().default(200_000).describe('Upper bound on elements a single query may return or visit.'),
  queryTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('A Gremlin query running longer than this (milliseconds) is stopped with an error.'),
  interfaceMetrics: z
    .boolean()
    .default(false)
    .describe(
      'Serve `/metrics/interfaces`: Prometheus gauges per port (bits and packets per second, errors, oper status; labels device, port, role). Off by default: one series per port and counter.',
    ),
}).describe('The HTTP API (`/api/*`, `/ws/*`, `/metrics`, `/healthz`) and the UI it serves.');

const user = z
  .object({
    name: z.string().min(1).describe('Login name.'),
    passwordHash: z
      .string()
      .regex(/^\$2[aby]\$\d\d\$/, 'expected a bcrypt hash')
      .optional()
      .describe('bcrypt hash of the password (e.g. `htpasswd -nbB user pass`); give this or `password`.'),
    password: z.string().min(1).optional().describe('Plain-text password (tests, labs); give this or `passwordHash`.'),
    role: z
      .enum(['admin', 'viewer'])
      .default('viewer')
      .describe('`viewer` reads; `admin` may also write (node/edge CRUD, devices, config reload).'),
  })
  .strict()
  .refine((u) => (u.passwordHash ? 1 : 0) + (u.password ? 1 : 0) === 1, 'give exactly one of passwordHash or password');

export const authSection = section({
  users: z.array(user).default([]).describe('Accounts for `POST /login` (session cookie) and HTTP Basic.'),
  tokens: z
    .array(
      z
        .object({
          token: z.string().min(8).describe('Sent as `Authorization: Bearer <token>`.'),
          role: z.enum(['admin', 'viewer']).default('viewer').describe('As for users.'),
        })
        .strict(),
    )
    .default([])
    .describe('Static bearer tokens (scripts, Prometheus).'),
  sessionTtl: z.number().int().positive().default(86_400).describe('Lifetime in seconds of the session token set by `POST /login`.'),
}).describe(
  'Who may use the API. With no users, tokens or agent tokens the API is open (every caller is admin) and `api.listen` must be loopback only; with any of them every request must authenticate.',
);

const agentToken = z.union([
  z
    .object({
      token: z.string().min(8).describe('Sent by the agent as `Authorization: Bearer <token>`.'),
      host: z.string().min(1).describe('The only host this token may publish as (its `X-Host-ID`; the origin is `agent.<host>`).'),
    })
    .strict(),
  // Older configs listed bare tokens: accepted, bound to no host (the agent's X-Host-ID names it).
  z
    .string()
    .min(8)
    .transform((token) => ({ token, host: undefined as string | undefined })),
]);

export const agentsSection = section({
  tokens: z
    .array(agentToken)
    .default([])
    .describe('Agent tokens, each bound to one host: `[{token, host}]`. A bare string is a token bound to no host (not recommended).'),
  downAfter: durationSeconds.default(60).describe('A host whose agent has been gone this long is marked `State=DOWN` (never deleted).'),
  pingInterval: durationSeconds.default(10).describe('The collector pings each agent this often; two missed pongs drop the connection.'),
}).describe('Host agents (`canopy agent`) that publish their host over `/ws/agent`; see docs/architecture.md#agent.');
