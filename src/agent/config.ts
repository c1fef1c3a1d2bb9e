// The host agent's own section (`agent:` in canopy.yml or the agent's file; docs/architecture.md#agent).
// One key group per capability, each with a default, so `canopy agent --collector URL` needs nothing else.
import { z } from 'zod';
import { durationSeconds, section } from '../config/common.ts';

const ovsdbEndpoint = z.string().regex(/^(tcp:.+:\d+|unix:.+)$/, 'expected tcp:IP:PORT or unix:PATH');

export const agentSection = section({
  collector: z
    .string()
    .regex(/^wss?:\/\/.+/, 'expected ws://HOST:PORT or wss://HOST:PORT')
    .default('ws://127.0.0.1:8082')
    .describe('The collector the agent dials (`/ws/agent` is appended when the URL has no path).'),
  token: z.string().optional().describe("This host's agent token (the collector's `agents.tokens` entry bound to this host)."),
  hostname: z.string().min(1).optional().describe('Host name to report (default: the kernel host name). Also the `X-Host-ID`.'),
  machineId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Identity of the host node (default: /etc/machine-id, else the host name). Set it when hosts share a machine-id (namespace labs, cloned images).',
    ),
  ovsdb: ovsdbEndpoint
    .optional()
    .describe('Local OVSDB the agent relays to the collector when asked, e.g. `unix:/var/run/openvswitch/db.sock`.'),
  capture: z
    .array(
      z
        .object({
          interface: z.string().min(1).describe('A host interface to capture on (every frame counted into flows).'),
          netns: z.string().min(1).optional().describe('Its network namespace: a name under `netns.dir` (default: the root namespace).'),
          filter: z.string().default('').describe('BPF filter (tcpdump syntax) applied in the kernel; empty: every frame.'),
          snaplen: z.number().int().min(64).max(262_144).default(256).describe('Bytes kept of each frame (headers only).'),
        })
        .strict(),
    )
    .default([])
    .describe(
      "Host interfaces whose traffic the agent captures itself (port-mirror capture engine), as flows attributed to that interface with `Source: mirror`. Captures created through the collector's /api/capture on this host's interfaces or OVS ports are added to these.",
    ),
  captureExportInterval: durationSeconds.default(5).describe('Seconds between exports of the agent’s capture tables to the collector.'),
  netns: section({
    dir: z.string().default('/run/netns').describe('Named network namespaces (`ip netns`) are listed from here.'),
    match: z.string().default('').describe('Only named namespaces whose name matches this regular expression (empty: all).'),
    processes: z
      .boolean()
      .default(true)
      .describe('Also report network namespaces that only processes hold (containers without a named namespace).'),
    max: z.number().int().positive().default(512).describe('At most this many namespaces are watched (one `ip monitor` each).'),
  }).describe('Which network namespaces the agent reports.'),
  interfaces: section({
    countersInterval: durationSeconds.default(30).describe('Interface counters (`Metric`) are read this often.'),
    debounceMs: z.number().int().nonnegative().default(50).describe('Link/address events closer than this are read as one change.'),
  }).describe('Interfaces (rtnetlink through `ip -json` and `ip monitor`).'),
  docker: section({
    enabled: z.boolean().default(true).describe('Read containers from the Docker Engine API when its socket exists.'),
    socket: z.string().default('/var/run/docker.sock').describe('The Engine API unix socket.'),
  }).describe('Docker containers.'),
  runc: section({
    dirs: z
      .array(z.string())
      .default(['/run/runc', '/run/docker/runtime-runc/moby', '/run/containerd/runc/k8s.io', '/run/containerd/runc/default'])
      .describe('runc state directories (`<dir>/<container id>/state.json`).'),
  }).describe('Containers started by runc (containerd, CRI-O, podman, Docker).'),
  sockets: section({
    enabled: z.boolean().default(true).describe('Report TCP/UDP sockets from /proc with their processes.'),
    interval: durationSeconds.default(10).describe('Sockets are read this often.'),
    max: z.number().int().positive().default(20_000).describe('At most this many sockets per host are reported.'),
  }).describe('Sockets (process, pid, addresses, ports, state) in Skydive’s `Sockets` shape.'),
  lldp: section({
    enabled: z.boolean().default(true).describe('Report the neighbours lldpd sees (`lldpcli -f json`).'),
    socket: z.string().optional().describe('lldpd control socket (`lldpcli -u`); default: lldpd’s own.'),
    interval: durationSeconds.default(30).describe('Neighbours are read this often.'),
  }).describe('LLDP neighbours from lldpd.'),
  k8s: section({
    kubeconfig: z
      .string()
      .optional()
      .describe('Kubeconfig of a cluster this agent watches and publishes (the Kubernetes probe runs only when set).'),
    context: z.string().optional().describe('Context in that kubeconfig (default: its current-context).'),
    cluster: z.string().min(1).default('default').describe("Cluster name: the `cluster` node's Name and `K8s.Cluster` on its objects."),
    batchDelay: durationSeconds.default(0.05).describe('How long watch events are gathered before they are published.'),
  }).describe('The Kubernetes probe (list+watch of the cluster’s objects), run by the agent and published under its origin.'),
  reconnect: section({
    min: durationSeconds.default(0.5).describe('First retry after a lost connection; doubles up to `max`.'),
    max: durationSeconds.default(30).describe('Longest wait between connection attempts.'),
  }).describe('Reconnection backoff.'),
  bufferSize: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe('Graph events kept while disconnected and replayed (with their times) before the re-sync; older ones are dropped.'),
}).describe('The host agent (`canopy agent`): what it reports and where to.');

export type AgentConfig = z.infer<typeof agentSection>;
