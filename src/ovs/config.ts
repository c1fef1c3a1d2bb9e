// The `ovsdb` config section (docs/architecture.md#ovsdb): which Open vSwitch databases to mirror into
// the graph, how to reach them, and where OVS is told to send sFlow for a capture.
import { z } from 'zod';
import { section } from '../config/common.ts';

const endpoint = z
  .string()
  .regex(
    /^((tcp|ssl):(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}|unix:.+|agent:\S+)$/,
    'expected tcp:IP:PORT, ssl:IP:PORT, unix:PATH or agent:HOST',
  );

export const ovsdbSection = section({
  endpoints: z
    .array(endpoint)
    .default([])
    .describe(
      "OVSDB servers in Open vSwitch's own form: `tcp:IP:PORT`, `ssl:IP:PORT` (needs `tls`) or `unix:PATH`; `agent:HOST` reaches the `agent.ovsdb` of the host agent connected with that host's token (relayed over its connection).",
    ),
  tls: z
    .object({
      key: z.string().describe('PEM file with our private key.'),
      cert: z.string().describe('PEM file with our certificate.'),
      caCert: z.string().describe('PEM file with the CA that signed the server certificate.'),
    })
    .strict()
    .optional()
    .describe('Client certificate and CA for `ssl:` endpoints.'),
  sflowTarget: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}$/, 'expected address:port')
    .optional()
    .describe(
      "`address:port` OVS is told to send sFlow to for a capture on a bridge. Default: the collector's sFlow listener port at the address the OVSDB connection comes from (127.0.0.1 for `unix:`).",
    ),
  database: z.string().default('Open_vSwitch').describe('Database name on each server.'),
  maxMessageBytes: z
    .number()
    .int()
    .min(4096)
    .default(64 * 1024 * 1024)
    .describe('A larger JSON-RPC message closes the connection (counted); the initial sync of a big switch is one message.'),
  reconnectMin: z.number().positive().default(0.5).describe('Seconds before the first reconnect; doubles per failure.'),
  reconnectMax: z.number().positive().default(30).describe('Longest wait between reconnects (seconds).'),
  probeInterval: z
    .number()
    .positive()
    .default(5)
    .describe('Seconds of silence after which we send echo; no answer within requestTimeout closes.'),
  requestTimeout: z.number().positive().default(10).describe('Seconds a request may wait for its reply.'),
  captureSampling: z.number().int().min(1).default(1024).describe('Default sFlow sampling rate of a capture that gives none.'),
  capturePolling: z
    .number()
    .int()
    .min(0)
    .default(10)
    .describe('Default sFlow counter polling interval (seconds) of a capture that gives none.'),
  captureFollowDelay: z
    .number()
    .min(0)
    .default(0.3)
    .describe(
      'Seconds after a graph change before captures are re-applied to what their GremlinQuery selects now (changes within it are handled together).',
    ),
}).describe('Open vSwitch databases (OVSDB, RFC 7047) mirrored into the graph; /api/capture configures sFlow and mirrors through them.');

export type OvsdbConfig = z.infer<typeof ovsdbSection>;
