// /api/capture (and the /api/captures alias): captures in Skydive's shape (docs/architecture.md#http-api,
// #ovsdb) — objects keyed by UUID with GremlinQuery, Type, SamplingRate …; POST evaluates the query
// and hands the selected nodes to the capture service, which configures OVS through OVSDB.
import { z } from 'zod';
import type { ApiApp, ApiDeps } from '../app.ts';
import { requireAdmin } from '../app.ts';
import { HttpProblem, json, problem } from '../problem.ts';
import { CaptureConflict, CaptureUnavailable, type Capture, type CaptureAdmin } from '../../ovs/captures.ts';
import type { GraphNode } from '../../topology/types.ts';

const captureSchema = z
  .object({
    GremlinQuery: z.string().trim().min(1, 'GremlinQuery selects the nodes to capture on'),
    Name: z.string().optional(),
    Description: z.string().optional(),
    Type: z.string().optional(),
    SamplingRate: z.number().int().min(1).max(0xffffffff).optional(),
    PollingInterval: z.number().int().min(0).max(3600).optional(),
    LayerKeyMode: z.string().optional(),
    HeaderSize: z.number().int().min(64).max(256).optional(),
    // Applied in the kernel by a port-mirror capture (a host agent's); sFlow samples ignore it.
    BPFFilter: z.string().max(2048).optional(),
  })
  // Skydive clients send fields Canopy has no use for (Port, RawPacketLimit …): ignored.
  .loose();

/** The capture as Skydive clients read it: no internal bookkeeping beyond the count. */
function view(c: Capture): Record<string, unknown> {
  const { Applied, ...rest } = c;
  return { ...rest, Count: Applied.length, Nodes: Applied.map((a) => a.node) };
}

/** The capture paths for /api/openapi.json. */
export function capturesOpenApi(): Record<string, object> {
  const capture = {
    type: 'object',
    required: ['GremlinQuery'],
    properties: {
      UUID: { type: 'string' },
      GremlinQuery: { type: 'string' },
      Name: { type: 'string' },
      Description: { type: 'string' },
      Type: { type: 'string' },
      SamplingRate: { type: 'integer' },
      PollingInterval: { type: 'integer' },
      LayerKeyMode: { type: 'string' },
      HeaderSize: { type: 'integer' },
      BPFFilter: { type: 'string', description: 'tcpdump filter of a port-mirror capture (host interface, ovsport)' },
      Count: { type: 'integer', description: 'nodes the capture was applied to' },
      Nodes: { type: 'array', items: { type: 'string' } },
    },
  };
  const body = (d: string) => ({ description: d, content: { 'application/json': { schema: capture } } });
  const problem = { description: 'problem details (RFC 9457)' };
  const item = {
    get: { summary: 'one capture', responses: { 200: body('the capture'), 404: problem } },
    delete: {
      summary: 'remove the capture and exactly what it configured on OVS',
      responses: { 200: { description: 'deleted' }, 404: problem, 503: problem },
    },
  };
  const list = {
    get: { summary: 'captures keyed by UUID', responses: { 200: { description: 'object keyed by UUID' } } },
    post: {
      summary: 'sFlow on the selected ovsbridges, a mirror on selected ovsports (needs a capture reader on the host)',
      requestBody: { content: { 'application/json': { schema: capture } } },
      responses: { 201: body('the capture'), 400: problem, 409: problem, 503: problem },
    },
  };
  return { '/api/capture': list, '/api/capture/{id}': item, '/api/captures': list, '/api/captures/{id}': item };
}

export function registerCaptureRoutes(app: ApiApp, admin: CaptureAdmin, deps: Pick<ApiDeps, 'query' | 'store'>): void {
  for (const base of ['/api/capture', '/api/captures']) {
    app.get(base, (c) => json(c, Object.fromEntries(admin.list().map((x) => [x.UUID, view(x)]))));
    app.get(`${base}/:id`, (c) => {
      const x = admin.get(c.req.param('id'));
      return x ? json(c, view(x)) : problem(c, 404, 'Not Found', `no capture ${c.req.param('id')}`);
    });
    app.post(base, async (c) => {
      requireAdmin(c);
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        throw new HttpProblem(400, 'Bad Request', 'the body is not JSON');
      }
      const r = captureSchema.safeParse(raw);
      if (!r.success) throw new HttpProblem(400, 'Bad Request', z.prettifyError(r.error));
      const input = r.data;
      let result: unknown;
      try {
        result = deps.query(input.GremlinQuery);
      } catch (e) {
        const err = e as { status?: number; message: string };
        if (err.status === 400) throw new HttpProblem(400, 'Bad Request', `GremlinQuery: ${err.message}`);
        throw e;
      }
      const nodes: GraphNode[] = [];
      for (const x of Array.isArray(result) ? result : []) {
        const id = (x as { ID?: unknown; Parent?: unknown })?.ID;
        if (typeof id !== 'string' || (x as { Parent?: unknown }).Parent !== undefined) continue;
        const n = deps.store.getNode(id);
        if (n) nodes.push(n);
      }
      try {
        const cap = await admin.create(
          {
            GremlinQuery: input.GremlinQuery,
            ...(input.Name !== undefined ? { Name: input.Name } : {}),
            ...(input.Description !== undefined ? { Description: input.Description } : {}),
            ...(input.Type !== undefined ? { Type: input.Type } : {}),
            ...(input.SamplingRate !== undefined ? { SamplingRate: input.SamplingRate } : {}),
            ...(input.PollingInterval !== undefined ? { PollingInterval: input.PollingInterval } : {}),
            ...(input.LayerKeyMode !== undefined ? { LayerKeyMode: input.LayerKeyMode } : {}),
            ...(input.HeaderSize !== undefined ? { HeaderSize: input.HeaderSize } : {}),
            ...(input.BPFFilter ? { BPFFilter: input.BPFFilter } : {}),
          },
          nodes,
        );
        return json(c, view(cap), 201);
      } catch (e) {
        if (e instanceof CaptureConflict) return problem(c, 409, 'Conflict', e.message);
        if (e instanceof CaptureUnavailable) return problem(c, 503, 'Service Unavailable', e.message);
        throw e;
      }
    });
    app.delete(`${base}/:id`, async (c) => {
      requireAdmin(c);
      try {
        if (!(await admin.delete(c.req.param('id')))) return problem(c, 404, 'Not Found', `no capture ${c.req.param('id')}`);
      } catch (e) {
        if (e instanceof CaptureUnavailable) return problem(c, 503, 'Service Unavailable', e.message);
        throw e;
      }
      return c.body(null, 200);
    });
  }
}
