// mirror: port-mirror capture (docs/architecture.md#port-mirror-capture).
import { z } from 'zod';
import { section } from '../../config/common.ts';

export const mirrorInterfaceSchema = z
  .object({
    interface: z
      .string()
      .min(1)
      .describe('Interface that receives the mirrored frames (a SPAN/RSPAN port wired to this host, an OVS mirror port).'),
    netns: z
      .string()
      .min(1)
      .optional()
      .describe("Network namespace of the interface: a name under /run/netns or a path (/proc/PID/ns/net). Default: the collector's own."),
    device: z.string().min(1).describe('The mirrored switch: its Name, management address or node ID in the graph.'),
    port: z.union([z.string().min(1), z.number().int().nonnegative()]).describe('The mirrored port on that switch: its Name or ifIndex.'),
    direction: z
      .enum(['ingress', 'egress', 'both'])
      .default('both')
      .describe('What the SPAN session copies: frames entering the port (in-port of the rows), leaving it (out-port), or both (in-port).'),
    filter: z.string().default('').describe('BPF filter (tcpdump syntax) applied in the kernel; empty: every frame.'),
    snaplen: z
      .number()
      .int()
      .min(64)
      .max(262_144)
      .default(256)
      .describe('Bytes kept of each frame for parsing (headers only; byte counts use the length on the wire).'),
    promisc: z.boolean().default(true).describe('Put the interface in promiscuous mode (a SPAN port carries frames for other MACs).'),
    bufferSize: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024)
      .describe('Kernel capture ring in bytes: absorbs bursts while the collector is busy; overflow counts as kernel drops.'),
    exporter: z.string().min(1).optional().describe('Label of these rows in /api/flows `exporter` (default: the interface name).'),
  })
  .strict();

export type MirrorInterfaceConfig = z.infer<typeof mirrorInterfaceSchema>;

export const mirrorSection = section({
  interfaces: z
    .array(mirrorInterfaceSchema)
    .default([])
    .describe('Capture interfaces, each mapped to the switch port it mirrors. Empty: capture off.'),
  tableSize: z
    .number()
    .int()
    .positive()
    .default(65_536)
    .describe(
      'Conversations held per interface; a full table exports and evicts its oldest (counted in canopy_mirror_drops_total{reason="eviction"}).',
    ),
  exportInterval: z.number().positive().default(5).describe('Seconds between exports of the conversation tables into the flow table.'),
  idleTimeout: z.number().positive().default(30).describe('Seconds without a frame after which a conversation is forgotten.'),
}).describe(
  'Port-mirror capture: SPAN/RSPAN or OVS mirror traffic counted frame by frame into flows on the mirrored port (`Source: mirror`).',
);
