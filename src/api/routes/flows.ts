// GET /api/flows — its parameters are declared once here: the handler validates against the list,
// the 400 for an unknown one names them all, and /api/openapi.json describes them from it.
// The rows come from the flows reader the flow pipeline component exposes.
import type { ApiApp } from '../app.ts';
import { json, problem } from '../problem.ts';
import type { GraphReader } from '../../topology/store/graph-store.ts';
import { ipProtocolNames, ipProtocolNumber } from '../../collectors/common/protocol-names.ts';
import type { FlowQuery } from '../../collectors/flows/flow-store.ts';
import type { FlowsReader } from '../../collectors/flows/flows-reader.ts';
import { hostScope, isFlowNode, normAddr, normMac } from '../../collectors/flows/host-scope.ts';

const INT = /^\d+$/;

/** Times: epoch ms, epoch seconds (< 2^31), ISO 8601, or a relative '-15m'. */
export function parseTime(v: string, now = Date.now()): number | undefined {
  if (INT.test(v)) {
    const n = Number(v);
    return n < 2 ** 31 ? n * 1000 : n;
  }
  const rel = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v);
  if (rel) {
    const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(rel[1]) * mult;
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

const TIME = 'epoch seconds, epoch ms, ISO 8601, or relative to now like -15m, -1h, -7d';
const ENDPOINT = 'an IPv4/IPv6 address or a MAC (aa:bb:cc:dd:ee:ff)';

/** Every query parameter of GET /api/flows, in the order the API description lists them. */
export const FLOW_PARAMS = [
  {
    name: 'node',
    schema: { type: 'string' },
    description:
      'a graph node ID. A switch, exporter or port: flows that device exported or that crossed that port (in or out). A host or host interface: flows seen on its TOR port(s) — the switch ports its interfaces are linked to — with one of its MACs or IP addresses as source or destination; with no TOR port known, flows with one of its addresses anywhere.',
  },
  { name: 'exporter', schema: { type: 'string' }, description: 'exporter address (sFlow agent, NetFlow/IPFIX source)' },
  { name: 'addr', schema: { type: 'string' }, description: `${ENDPOINT} as source or destination` },
  { name: 'src', schema: { type: 'string' }, description: `${ENDPOINT} as source` },
  { name: 'dst', schema: { type: 'string' }, description: `${ENDPOINT} as destination` },
  { name: 'port', schema: { type: 'integer', minimum: 0, maximum: 65535 }, description: 'L4 port as source or destination port' },
  {
    name: 'proto',
    schema: {
      oneOf: [
        { type: 'integer', minimum: 0, maximum: 255 },
        { type: 'string', examples: ['tcp', 'udp', 'icmp', 'icmpv6'] },
      ],
    },
    description: 'IP protocol: a number (6) or a name (tcp, case-insensitive)',
  },
  {
    name: 'from',
    schema: { type: 'string' },
    description: `flows last seen at or after this time (${TIME}); older than the flow window, answers come from 1-minute rollups`,
  },
  { name: 'since', schema: { type: 'string' }, description: 'the same as from' },
  { name: 'to', schema: { type: 'string' }, description: `flows first seen at or before this time (${TIME})` },
  {
    name: 'top',
    schema: { type: 'integer', minimum: 0, maximum: 10_000, default: 100 },
    description: 'at most this many rows, biggest (bytes) first',
  },
] as const;

const NAMES: readonly string[] = FLOW_PARAMS.map((p) => p.name);

class BadParam extends Error {
  constructor(
    readonly param: string,
    why: string,
  ) {
    super(`${param}: ${why}`);
  }
}

function endpoint(k: string, v: string): string {
  const a = normMac(v) ?? normAddr(v);
  if (!a) throw new BadParam(k, `${ENDPOINT}, got "${v}"`);
  return a;
}

/** Query parameters → FlowQuery; throws BadParam naming the parameter. */
export function parseFlowParams(p: Record<string, string>, g: GraphReader, now = Date.now()): FlowQuery {
  for (const k of Object.keys(p)) {
    if (!NAMES.includes(k)) throw new BadParam(k, `unknown parameter; valid parameters: ${NAMES.join(', ')}`);
  }
  const q: FlowQuery = {};
  if (p.exporter) q.exporter = p.exporter;
  if (p.node) {
    const n = g.getNode(p.node);
    // Unknown IDs keep the device/port reading: flows may name nodes retired since (history).
    if (n && !isFlowNode(n)) q.hosts = [hostScope(g, n)];
    else q.node = p.node;
  }
  for (const k of ['addr', 'src', 'dst'] as const) if (p[k]) q[k] = endpoint(k, p[k]);
  for (const k of ['port', 'top'] as const) {
    if (p[k] === undefined) continue;
    const max = k === 'top' ? 10_000 : 65535;
    if (!INT.test(p[k]) || Number(p[k]) > max) throw new BadParam(k, `an integer up to ${max}`);
    q[k] = Number(p[k]);
  }
  if (p.proto !== undefined) {
    const n = ipProtocolNumber(p.proto);
    if (n === undefined) throw new BadParam('proto', `an IP protocol number up to 255 or one of ${ipProtocolNames().join(', ')}`);
    q.proto = n;
  }
  if (p.from !== undefined && p.since !== undefined) throw new BadParam('since', 'the same as from: give one of them');
  for (const k of ['from', 'since', 'to'] as const) {
    if (p[k] === undefined) continue;
    const t = parseTime(p[k], now);
    if (t === undefined) throw new BadParam(k, TIME);
    q[k === 'since' ? 'from' : k] = t;
  }
  return q;
}

export function registerFlowRoutes(app: ApiApp, flows: FlowsReader, graph: GraphReader): void {
  app.get('/api/flows', (c) => {
    let q: FlowQuery;
    // One clock reading for the relative times and the window's start (see FlowsReader.query).
    const now = Date.now();
    try {
      q = parseFlowParams(c.req.query(), graph, now);
    } catch (e) {
      if (e instanceof BadParam) return problem(c, 400, 'Bad Request', e.message, { parameter: e.param });
      throw e;
    }
    return json(c, flows.query(q, now));
  });
}

const ROW_SCHEMA = {
  type: 'object',
  properties: {
    protocol: { type: 'string', description: 'flow source: sflow, netflow5, netflow9, ipfix or mirror (port-mirror capture, unsampled)' },
    exporter: { type: 'string' },
    deviceId: { type: 'string', description: 'switch or exporter node' },
    inIf: { type: 'integer' },
    outIf: { type: 'integer', description: '0 when the record names no single ifIndex' },
    inPortId: { type: ['string', 'null'] },
    outPortId: { type: ['string', 'null'] },
    vlan: { type: 'integer' },
    srcAddr: { type: 'string', description: "'' for non-IP traffic" },
    dstAddr: { type: 'string' },
    proto: { type: 'integer', description: 'IP protocol number (0: none)' },
    protoName: { type: 'string', description: "IANA keyword (TCP, UDP, ICMP …); '' when proto is 0" },
    srcPort: { type: 'integer' },
    dstPort: { type: 'integer' },
    srcMac: { type: 'string', description: "MAC of the sampled frame; '' when the source does not report it" },
    dstMac: { type: 'string' },
    etherType: { type: 'integer', description: 'EtherType of the sampled frame (2048 IPv4, 2054 ARP, 34525 IPv6 …); 0 when unknown' },
    etherTypeName: { type: 'string', description: 'IPv4, ARP, LLDP, … (802.3 LLC for length fields)' },
    bytes: { type: 'integer', description: 'scaled by the sampling rate' },
    packets: { type: 'integer', description: 'scaled by the sampling rate' },
    flows: { type: 'integer', description: 'records aggregated (not scaled)' },
    first: { type: 'integer', description: 'epoch ms' },
    last: { type: 'integer', description: 'epoch ms' },
  },
};

/** The OpenAPI path item of /api/flows. */
export function flowsOpenApi(): Record<string, object> {
  const problemRef = {
    description: 'problem details (RFC 9457); `parameter` names the bad parameter',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  return {
    '/api/flows': {
      get: {
        summary: 'flows aggregated over the flow key, biggest first (all filters AND-ed)',
        parameters: FLOW_PARAMS.map((p) => ({ name: p.name, in: 'query', required: false, description: p.description, schema: p.schema })),
        responses: {
          200: { description: 'flow rows', content: { 'application/json': { schema: { type: 'array', items: ROW_SCHEMA } } } },
          400: problemRef,
        },
      },
    },
  };
}
