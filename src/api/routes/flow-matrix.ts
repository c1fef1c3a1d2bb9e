// GET /api/flow-matrix (docs/architecture.md#flow-matrix): the service dependency matrix built from
// the agents' Sockets (and, with useFlows, the flow store) as CSV, JSON, DOT or SVG. Parameters are
// declared once here: the handler checks against the list and /api/openapi.json describes it.
import type { Context } from 'hono';
import type { ApiApp, ApiDeps, ApiEnv } from '../app.ts';
import { json, problem } from '../problem.ts';
import { parseTime } from './flows.ts';
import { parseDurationMs } from '../../topology/query/time-spec.ts';
import { buildMatrix, dotToSvg, NoFlowsError, toCsv, toDot, toJson, type FlowTuple, type MatrixRequest } from '../../flow-matrix/index.ts';
import { SvgTimeoutError } from '../../flow-matrix/svg.ts';

/** Past this many rows an SVG is no diagram anyone reads, and its layout takes many seconds. */
export const MAX_SVG_ROWS = 2000;

const FORMATS = ['json', 'csv', 'dot', 'svg'] as const;
type Format = (typeof FORMATS)[number];
const BOOL = ['true', 'false', '1', '0'];

export const FLOW_MATRIX_PARAMS = [
  { name: 'format', schema: { type: 'string', enum: [...FORMATS], default: 'json' }, description: 'answer format' },
  {
    name: 'at',
    schema: { type: 'string' },
    description: 'read the graph as it was then: epoch seconds, epoch ms, ISO 8601, or relative like -15m (default now)',
  },
  {
    name: 'duration',
    schema: { type: 'string' },
    description:
      'also read the graph this long before `at` and, with useFlows, the flows seen over the window: seconds, or 30s, 5m, 1h (default 0; flows: the last minute)',
  },
  {
    name: 'useFlows',
    schema: { type: 'boolean', default: false },
    description: 'join flows to sockets by 5-tuple; flows name hosts without agents by IP',
  },
  {
    name: 'listNoPeers',
    schema: { type: 'boolean', default: false },
    description: 'also list connections whose other end no agent reports (named by IP)',
  },
  { name: 'host', schema: { type: 'string' }, description: 'only rows with this host (node ID or name) at either end' },
] as const;
const NAMES: readonly string[] = FLOW_MATRIX_PARAMS.map((p) => p.name);

class BadParam extends Error {
  constructor(
    readonly param: string,
    why: string,
  ) {
    super(`${param}: ${why}`);
  }
}

export function parseMatrixParams(p: Record<string, string>, now: number): MatrixRequest & { format: Format } {
  for (const k of Object.keys(p)) if (!NAMES.includes(k)) throw new BadParam(k, `unknown parameter; valid parameters: ${NAMES.join(', ')}`);
  const format = (p.format ?? 'json') as Format;
  if (!FORMATS.includes(format)) throw new BadParam('format', `one of ${FORMATS.join(', ')}`);
  const bool = (k: 'useFlows' | 'listNoPeers') => {
    const v = p[k];
    if (v === undefined) return false;
    // A bare flag (`?useFlows`) means true, as in a browser's address bar.
    if (v === '') return true;
    if (!BOOL.includes(v)) throw new BadParam(k, 'true or false');
    return v === 'true' || v === '1';
  };
  let at: number | undefined;
  if (p.at !== undefined) {
    at = parseTime(p.at, now);
    if (at === undefined) throw new BadParam('at', 'epoch seconds, epoch ms, ISO 8601, or relative to now like -15m');
    if (at > now) throw new BadParam('at', 'is in the future');
  }
  let durationMs = 0;
  if (p.duration !== undefined) {
    const d = /^\d+(\.\d+)?$/.test(p.duration) ? Number(p.duration) * 1000 : parseDurationMs(p.duration);
    if (d === undefined || !Number.isFinite(d) || d < 0 || d > 366 * 86_400_000)
      throw new BadParam('duration', 'seconds or a duration like 30s, 5m, 1h (up to a year)');
    durationMs = d;
  }
  if (p.host !== undefined && p.host === '') throw new BadParam('host', 'a host node ID or name');
  return { format, at, durationMs, useFlows: bool('useFlows'), listNoPeers: bool('listNoPeers'), host: p.host };
}

export function registerFlowMatrixRoutes(app: ApiApp, deps: Pick<ApiDeps, 'store' | 'flows'>): void {
  const flowsReader = deps.flows;
  const flows = flowsReader
    ? (from: number, to: number): FlowTuple[] => [6, 17].flatMap((proto) => flowsReader.query({ from, to, proto, top: 10_000 }))
    : undefined;
  app.get('/api/flow-matrix', async (c: Context<ApiEnv>) => {
    const now = Date.now();
    let req: ReturnType<typeof parseMatrixParams>;
    try {
      req = parseMatrixParams(c.req.query(), now);
    } catch (e) {
      if (e instanceof BadParam) return problem(c, 400, 'Bad Request', e.message, { parameter: e.param });
      throw e;
    }
    let rows;
    try {
      rows = buildMatrix({ graph: deps.store, flows }, req, now);
    } catch (e) {
      if (e instanceof NoFlowsError) return problem(c, 400, 'Bad Request', e.message, { parameter: 'useFlows' });
      throw e;
    }
    switch (req.format) {
      case 'json':
        return json(c, toJson(rows));
      case 'csv':
        return c.body(toCsv(rows), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
      case 'dot':
        return c.body(toDot(rows), 200, { 'Content-Type': 'text/vnd.graphviz; charset=utf-8' });
      case 'svg': {
        if (rows.length > MAX_SVG_ROWS)
          return problem(
            c,
            422,
            'Unprocessable Content',
            `${rows.length} rows are too many to lay out as SVG (at most ${MAX_SVG_ROWS}): filter with host= or ask for format=dot`,
            { parameter: 'format' },
          );
        try {
          return c.body(await dotToSvg(toDot(rows)), 200, { 'Content-Type': 'image/svg+xml; charset=utf-8' });
        } catch (e) {
          if (e instanceof SvgTimeoutError)
            return problem(c, 503, 'Service Unavailable', `${e.message}; ask for format=dot or filter with host=`);
          throw e;
        }
      }
    }
  });
}

/** The OpenAPI path item of /api/flow-matrix. */
export function flowMatrixOpenApi(): Record<string, object> {
  const problemRef = {
    description: 'problem details (RFC 9457); `parameter` names the bad parameter',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  const row = {
    type: 'object',
    properties: Object.fromEntries(
      [
        'protocol',
        'server',
        'server_ip',
        'port',
        'server_proc',
        'server_procname',
        'client',
        'client_ip',
        'client_proc',
        'client_procname',
      ].map((k) => [k, { type: k === 'port' ? 'integer' : 'string' }]),
    ),
  };
  return {
    '/api/flow-matrix': {
      get: {
        summary:
          'service dependency matrix: listening vs established sockets of host agents matched across hosts (and flows with useFlows), one row per connection class',
        parameters: FLOW_MATRIX_PARAMS.map((p) => ({
          name: p.name,
          in: 'query',
          required: false,
          description: p.description,
          schema: p.schema,
        })),
        responses: {
          200: {
            description: 'the matrix',
            content: {
              'application/json': { schema: { type: 'array', items: row } },
              'text/csv': {
                schema: {
                  type: 'string',
                  description:
                    'header protocol,server,server_ip,port,server_proc,server_procname,client,client_ip,client_proc,client_procname',
                },
              },
              'text/vnd.graphviz': {
                schema: {
                  type: 'string',
                  description: 'DOT: a cluster per host, a node per process, edges client → server labelled PROTO : ip:port',
                },
              },
              'image/svg+xml': { schema: { type: 'string', description: 'the DOT rendered by Graphviz (WebAssembly)' } },
            },
          },
          400: problemRef,
          401: problemRef,
          422: { ...problemRef, description: `format=svg for more than ${MAX_SVG_ROWS} rows: filter with host= or ask for format=dot` },
          503: { ...problemRef, description: 'the SVG layout took longer than 30 s' },
        },
      },
    },
  };
}
