// Node/edge CRUD for publishers (origin "api"), Skydive-compatible: lists are objects keyed by
// ID, creates answer 201, PATCH takes an RFC 6902 JSON Patch.
import type { Context } from 'hono';
import type { ApiApp, ApiDeps, ApiEnv } from '../app.ts';
import { requireAdmin } from '../app.ts';
import { json, problem } from '../problem.ts';
import { ElementError, validateEdge, validateNode } from '../elements.ts';
import { applyPatch, isPatch, PatchError } from '../json-patch.ts';
import type { GraphEdge, GraphNode } from '../../topology/types.ts';

const ORIGIN = 'api';

async function readJson(c: Context<ApiEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ElementError('the body is not valid JSON');
  }
}

export function registerElementRoutes(app: ApiApp, deps: ApiDeps): void {
  const { store } = deps;
  const host = () => 'canopy';

  const guard = async (c: Context<ApiEnv>, fn: () => Promise<Response> | Response): Promise<Response> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ElementError || e instanceof PatchError) return problem(c, 400, 'Bad Request', e.message);
      throw e;
    }
  };

  for (const kind of ['node', 'edge'] as const) {
    const get = (id: string) => (kind === 'node' ? store.getNode(id) : store.getEdge(id));
    const validate = (body: unknown, c: Context<ApiEnv>) =>
      kind === 'node'
        ? validateNode(body, ORIGIN, c.req.header('x-host-id') ?? host())
        : validateEdge(body, ORIGIN, store, c.req.header('x-host-id') ?? host());
    const upsert = (input: ReturnType<typeof validate>) =>
      store.write((tx) => {
        if (kind === 'node') tx.upsertNode(input);
        else tx.upsertEdge(input as Parameters<typeof tx.upsertEdge>[0]);
      });

    app.get(`/api/${kind}`, (c) => {
      const out: Record<string, GraphNode | GraphEdge> = {};
      for (const el of kind === 'node' ? store.allNodes() : store.allEdges()) out[el.ID] = el;
      return json(c, out);
    });

    app.get(`/api/${kind}/:id`, (c) => {
      const el = get(c.req.param('id'));
      return el ? json(c, el) : problem(c, 404, 'Not Found', `no ${kind} ${c.req.param('id')}`);
    });

    app.post(`/api/${kind}`, (c) =>
      guard(c, async () => {
        requireAdmin(c);
        const input = validate(await readJson(c), c);
        const existed = get(input.ID) !== undefined;
        upsert(input);
        return json(c, get(input.ID), existed ? 200 : 201);
      }),
    );

    app.put(`/api/${kind}/:id`, (c) =>
      guard(c, async () => {
        requireAdmin(c);
        const id = c.req.param('id');
        const body = await readJson(c);
        if (body && typeof body === 'object' && !Array.isArray(body)) (body as Record<string, unknown>).ID = id;
        const input = validate(body, c);
        const existed = get(id) !== undefined;
        upsert(input);
        return json(c, get(id), existed ? 200 : 201);
      }),
    );

    app.patch(`/api/${kind}/:id`, (c) =>
      guard(c, async () => {
        requireAdmin(c);
        const id = c.req.param('id');
        const el = get(id);
        if (!el) return problem(c, 404, 'Not Found', `no ${kind} ${id}`);
        const ops = await readJson(c);
        if (!isPatch(ops)) return problem(c, 400, 'Bad Request', 'the body must be a JSON Patch (RFC 6902) array');
        const patched = applyPatch(el, ops) as unknown as Record<string, unknown>;
        if (patched.ID !== id) return problem(c, 400, 'Bad Request', 'a patch cannot change ID');
        if (kind === 'edge' && (patched.Parent !== (el as GraphEdge).Parent || patched.Child !== (el as GraphEdge).Child)) {
          return problem(c, 400, 'Bad Request', 'a patch cannot change Parent or Child');
        }
        const input = validate({ ...patched, Revision: undefined, UpdatedAt: undefined, CreatedAt: el.CreatedAt }, c);
        input.Origin = el.Origin;
        upsert(input);
        return json(c, get(id));
      }),
    );

    app.delete(`/api/${kind}/:id`, (c) => {
      requireAdmin(c);
      const id = c.req.param('id');
      const ok = store.write((tx) => (kind === 'node' ? tx.deleteNode(id) : tx.deleteEdge(id)));
      return ok ? c.body(null, 200) : problem(c, 404, 'Not Found', `no ${kind} ${id}`);
    });
  }
}
