// GET /api/changes (the change timeline) and GET /api/topology/diff (the graph at two instants),
// docs/architecture.md#change-timeline. Parameters are declared once here: the handlers check
// against the lists and /api/openapi.json describes them.
import type { ApiApp, ApiDeps } from '../app.ts';
import { json, problem } from '../problem.ts';
import { changesBetween } from '../../topology/query/changes.ts';
import { topologyDiff } from '../../topology/query/topology-diff.ts';

const TIME = 'epoch milliseconds or RFC 3339 (2026-12-06T18:00:00Z)';

export const CHANGES_PARAMS = [
  { name: 'from', schema: { type: 'string' }, description: `start of the window, exclusive: ${TIME} (default: an hour before to)` },
  { name: 'to', schema: { type: 'string' }, description: `end of the window, inclusive: ${TIME} (default now)` },
  {
    name: 'node',
    schema: { type: 'string' },
    description: 'a node ID: only its changes, its ports’ (ownership children) and those of the edges touching either',
  },
] as const;

export const DIFF_PARAMS = [
  { name: 'from', schema: { type: 'string' }, description: `the first instant: ${TIME}`, required: true },
  { name: 'to', schema: { type: 'string' }, description: `the second instant: ${TIME} (default now)` },
] as const;

const HOUR = 3_600_000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class BadParam extends Error {
  constructor(
    readonly param: string,
    why: string,
  ) {
    super(`${param}: ${why}`);
  }
}

/** An instant given as epoch milliseconds or an RFC 3339 timestamp (with its offset). */
export function parseInstant(param: string, v: string): number {
  if (/^\d{1,16}$/.test(v)) return Number(v);
  if (RFC3339.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw new BadParam(param, `${JSON.stringify(v)} is not ${TIME}`);
}

export interface Window {
  from: number;
  to: number;
}

/** from/to from query parameters: both optional (to = now, from = an hour before), from before to. */
export function parseWindow(p: Record<string, string>, names: readonly string[], now: number, fromRequired = false): Window {
  for (const k of Object.keys(p)) if (!names.includes(k)) throw new BadParam(k, `unknown parameter; valid parameters: ${names.join(', ')}`);
  if (fromRequired && p.from === undefined) throw new BadParam('from', `required: ${TIME}`);
  const to = p.to === undefined ? now : parseInstant('to', p.to);
  const from = p.from === undefined ? to - HOUR : parseInstant('from', p.from);
  if (from > to) throw new BadParam('from', 'must not be after to');
  return { from, to };
}

const NAMES_CHANGES: readonly string[] = CHANGES_PARAMS.map((p) => p.name);
const NAMES_DIFF: readonly string[] = DIFF_PARAMS.map((p) => p.name);

export function registerChangeRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get('/api/changes', (c) => {
    const q = c.req.query();
    let w: Window;
    try {
      w = parseWindow(q, NAMES_CHANGES, Date.now());
      if (q.node === '') throw new BadParam('node', 'a node ID');
    } catch (e) {
      if (e instanceof BadParam) return problem(c, 400, 'Bad Request', e.message, { parameter: e.param });
      throw e;
    }
    const changes = changesBetween(deps.store, { ...w, ...(q.node !== undefined ? { node: q.node } : {}) });
    return json(c, { From: w.from, To: w.to, Changes: changes });
  });

  app.get('/api/topology/diff', (c) => {
    let w: Window;
    try {
      w = parseWindow(c.req.query(), NAMES_DIFF, Date.now(), true);
    } catch (e) {
      if (e instanceof BadParam) return problem(c, 400, 'Bad Request', e.message, { parameter: e.param });
      throw e;
    }
    return json(c, topologyDiff(deps.store, w.from, w.to));
  });
}

const KINDS = [
  'node-added',
  'node-removed',
  'link-added',
  'link-removed',
  'link-up',
  'link-down',
  'lldp-neighbour-new',
  'lldp-neighbour-lost',
  'lag-member-lost',
  'mac-moved',
  'ip-moved',
  'rebooted',
  'speed-changed',
  'mtu-changed',
];

/** Path items for /api/openapi.json. */
export function changesOpenApi(problemRef: object, ok: (d: string, s?: object) => object): Record<string, object> {
  const change = {
    type: 'object',
    required: ['At', 'Kind', 'ID', 'Element', 'Type'],
    properties: {
      At: { type: 'integer', description: 'when (epoch ms)' },
      Kind: { type: 'string', enum: KINDS },
      ID: { type: 'string', description: 'the element that changed' },
      Element: { type: 'string', enum: ['node', 'edge'] },
      Type: { type: 'string', description: 'Metadata.Type of a node, RelationType of an edge' },
      Name: { type: 'string' },
      Key: { type: 'string', description: 'the metadata key that changed (State, Speed, MTU, BootTime, Evidence, port)' },
      Old: {},
      New: {},
      Parent: { type: 'string' },
      Child: { type: 'string' },
      Address: { type: 'string', description: 'ip-moved: the address that moved from node Old to node New' },
    },
  };
  const changed = {
    type: 'object',
    properties: {
      ID: { type: 'string' },
      Type: { type: 'string' },
      Name: { type: 'string' },
      Parent: { type: 'string' },
      Child: { type: 'string' },
      Keys: { type: 'array', items: { type: 'object', properties: { Key: { type: 'string' }, Old: {}, New: {} } } },
    },
  };
  const part = (ref: string) => ({
    type: 'object',
    properties: {
      Added: { type: 'array', items: { $ref: ref } },
      Removed: { type: 'array', items: { $ref: ref } },
      Changed: { type: 'array', items: changed },
    },
  });
  const params = (list: readonly { name: string; schema: object; description: string; required?: boolean }[]) =>
    list.map((p) => ({ in: 'query', ...p }));
  return {
    '/api/changes': {
      get: {
        summary: 'the change timeline: link up/down, LLDP neighbours, MAC moves, LAG members, reboots, speed/MTU, in (from, to]',
        parameters: params(CHANGES_PARAMS),
        responses: {
          200: ok('changes, oldest first', {
            type: 'object',
            properties: { From: { type: 'integer' }, To: { type: 'integer' }, Changes: { type: 'array', items: change } },
          }),
          400: problemRef,
        },
      },
    },
    '/api/topology/diff': {
      get: {
        summary: 'the graph at `to` against the graph at `from`: added, removed and changed nodes and edges',
        parameters: params(DIFF_PARAMS),
        responses: {
          200: ok('the difference', {
            type: 'object',
            properties: {
              From: { type: 'integer' },
              To: { type: 'integer' },
              Nodes: part('#/components/schemas/Node'),
              Edges: part('#/components/schemas/Edge'),
            },
          }),
          400: problemRef,
        },
      },
    },
  };
}
