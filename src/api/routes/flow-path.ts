// GET /api/flows/path (the observed path of a flow) and GET /api/flows/reconcile (flows against
// counters per link), docs/flow-path.md. Both read through the flow-path service.
import type { ApiApp } from '../app.ts';
import { HttpProblem, json } from '../problem.ts';
import { parseTime } from './flows.ts';
import { ipProtocolNames, ipProtocolNumber } from '../../collectors/common/protocol-names.ts';
import { normAddr, normMac } from '../../collectors/flows/host-scope.ts';
import type { FlowPaths, PathQuery } from '../../flow-path/service.ts';

const PATH_PARAMS = ['src', 'dst', 'proto', 'sport', 'dport', 'from', 'to'] as const;
const RECONCILE_PARAMS = ['from', 'to'] as const;
const TIME = 'epoch seconds, epoch ms, ISO 8601, or relative to now like -15m, -1h, -7d';
const INT = /^\d+$/;

const bad = (param: string, detail: string) => new HttpProblem(400, 'Bad Request', `${param}: ${detail}`, { parameter: param });

function known(q: Record<string, string>, names: readonly string[]): void {
  for (const k of Object.keys(q)) if (!names.includes(k)) throw bad(k, `unknown parameter; known: ${names.join(', ')}`);
}

function time(q: Record<string, string>, k: string, now: number): number | undefined {
  if (q[k] === undefined) return undefined;
  const t = parseTime(q[k], now);
  if (t === undefined) throw bad(k, `expected ${TIME}`);
  return t;
}

export function parsePathQuery(q: Record<string, string>, now: number): PathQuery {
  known(q, PATH_PARAMS);
  const ep = (k: 'src' | 'dst') => {
    const v = q[k];
    if (!v) throw bad(k, 'required: an IPv4/IPv6 address or a MAC');
    const a = normMac(v) ?? normAddr(v);
    if (!a) throw bad(k, `an IPv4/IPv6 address or a MAC, got "${v}"`);
    return a;
  };
  const out: PathQuery = { src: ep('src'), dst: ep('dst') };
  if (q.proto !== undefined) {
    const n = ipProtocolNumber(q.proto);
    if (n === undefined) throw bad('proto', `an IP protocol number up to 255 or one of ${ipProtocolNames().join(', ')}`);
    out.proto = n;
  }
  for (const k of ['sport', 'dport'] as const) {
    if (q[k] === undefined) continue;
    if (!INT.test(q[k]) || Number(q[k]) > 65535) throw bad(k, 'a port number 0–65535');
    out[k] = Number(q[k]);
  }
  const from = time(q, 'from', now);
  const to = time(q, 'to', now);
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  if (from !== undefined && to !== undefined && to < from) throw bad('to', 'must not be before from');
  return out;
}

export function registerFlowPathRoutes(app: ApiApp, svc: FlowPaths): void {
  app.get('/api/flows/path', (c) => {
    const now = Date.now();
    const q = parsePathQuery(c.req.query(), now);
    return json(c, { query: q, ...svc.path(q, now) });
  });
  app.get('/api/flows/reconcile', (c) => {
    const q = c.req.query();
    known(q, RECONCILE_PARAMS);
    const now = Date.now();
    const to = time(q, 'to', now) ?? now;
    const from = time(q, 'from', now) ?? to - svc.config.window * 1000;
    if (to <= from) throw bad('to', 'must be after from');
    return json(c, svc.reconcile(from, to, now));
  });
}

/** The OpenAPI path items. */
export function flowPathOpenApi(): Record<string, object> {
  const p = (name: string, description: string, schema: object = { type: 'string' }, required = false) => ({
    name,
    in: 'query',
    required,
    description,
    schema,
  });
  const port = { type: 'integer', minimum: 0, maximum: 65535 };
  const problemRef = {
    description: 'problem details (RFC 9457); `parameter` names the bad parameter',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  return {
    '/api/flows/path': {
      get: {
        summary:
          'the hops where flows from src to dst were sampled, ordered along the stitched links; ECMP: one path each with its byte/packet share',
        parameters: [
          p('src', 'source address (IPv4/IPv6) or MAC', { type: 'string' }, true),
          p('dst', 'destination address (IPv4/IPv6) or MAC', { type: 'string' }, true),
          p('proto', 'IP protocol: a number or a name (tcp)'),
          p('sport', 'source port', port),
          p('dport', 'destination port', port),
          p('from', `flows last seen at or after (${TIME})`),
          p('to', `flows first seen at or before (${TIME})`),
        ],
        responses: {
          200: {
            description:
              '{query, paths[{hops, links, bytes, packets, byteShare, packetShare, tuples, flows}], bytes, packets, flows, nodes, edges}',
          },
          400: problemRef,
        },
      },
    },
    '/api/flows/reconcile': {
      get: {
        summary: 'flow-derived bytes/s against interface counters at both ends of every layer2 link; mismatches name a likely cause',
        parameters: [
          p('from', `window start (${TIME}); default: reconcile.window before to`),
          p('to', `window end (${TIME}); default now`),
        ],
        responses: {
          200: { description: '{at, from, to, tolerance, links[{linkId, ends, counterBytesPerSec, mismatch, cause, detail}]}' },
          400: problemRef,
        },
      },
    },
  };
}
