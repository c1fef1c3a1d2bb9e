// A compact OpenAPI 3.1 description of the API, served at /api/openapi.json.
import { packageVersion } from '../util/version.ts';
import { changesOpenApi } from './routes/changes.ts';

const problem = {
  description: 'problem details (RFC 9457)',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];

function crud(kind: 'node' | 'edge') {
  const ref = { $ref: `#/components/schemas/${kind === 'node' ? 'Node' : 'Edge'}` };
  return {
    [`/api/${kind}`]: {
      get: {
        summary: `all ${kind}s, keyed by ID`,
        responses: { 200: ok('map ID → element', { type: 'object', additionalProperties: ref }) },
      },
      post: {
        summary: `create or update a ${kind} (origin api)`,
        requestBody: { content: { 'application/json': { schema: ref } } },
        responses: { 201: ok('created', ref), 200: ok('updated', ref), 400: problem, 403: problem },
      },
    },
    [`/api/${kind}/{id}`]: {
      parameters: idParam,
      get: { responses: { 200: ok(kind, ref), 404: problem } },
      put: {
        requestBody: { content: { 'application/json': { schema: ref } } },
        responses: { 200: ok('updated', ref), 201: ok('created', ref), 400: problem },
      },
      patch: {
        summary: 'RFC 6902 JSON Patch',
        requestBody: { content: { 'application/json-patch+json': { schema: { type: 'array' } } } },
        responses: { 200: ok('patched', ref), 400: problem, 404: problem },
      },
      delete: {
        summary: kind === 'node' ? 'delete a node and its edges' : 'delete an edge',
        responses: { 200: { description: 'deleted' }, 404: problem },
      },
    },
  };
}

/** `extraPaths`: path items of routes components add (flows, devices …), described where they are served. */
export function openApiDocument(extraPaths: Record<string, object> = {}): object {
  const element = {
    type: 'object',
    required: ['Metadata'],
    properties: {
      ID: { type: 'string' },
      Metadata: { type: 'object' },
      Host: { type: 'string' },
      Origin: { type: 'string' },
      CreatedAt: { type: 'integer' },
      UpdatedAt: { type: 'integer' },
      DeletedAt: { type: 'integer' },
      Revision: { type: 'integer' },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Canopy API', version: packageVersion(), license: { name: 'Apache-2.0' } },
    paths: {
      '/api/topology': {
        get: {
          summary: 'whole graph {Nodes, Edges}, or ?q=GREMLIN',
          parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }],
          responses: { 200: ok('graph or query result'), 400: problem },
        },
        post: {
          summary: 'run a Gremlin query (Accept: text/vnd.graphviz for DOT)',
          requestBody: {
            content: { 'application/json': { schema: { type: 'object', properties: { GremlinQuery: { type: 'string' } } } } },
          },
          responses: { 200: ok('query result'), 204: { description: 'empty query' }, 400: problem },
        },
      },
      ...changesOpenApi(problem, ok),
      ...crud('node'),
      ...crud('edge'),
      '/api': {
        get: {
          summary: "Skydive's API info",
          responses: {
            200: ok('this collector', {
              type: 'object',
              properties: { Host: { type: 'string' }, Version: { type: 'string' }, Service: { const: 'analyzer' } },
            }),
          },
        },
      },
      '/api/status': { get: { responses: { 200: ok('components, bound ports, devices, exporters') } } },
      '/api/config/reload': {
        post: { summary: 're-read the config file and apply the fabric', responses: { 200: ok('applied'), 400: problem } },
      },
      '/api/cabling': {
        get: {
          summary:
            'the configured cabling plan (topology.cablingIntent) against the observed links, as POST /api/verify-cabling answers it, plus Intent and At; {"Intent": null} when no plan is configured',
          responses: { 200: ok('the comparison'), 503: problem },
        },
      },
      '/api/verify-cabling': {
        post: {
          summary: 'a cabling plan against the observed LLDP/CDP/FDB links (docs/architecture.md#cabling-intent)',
          requestBody: {
            required: true,
            content: {
              'text/csv': { schema: { type: 'string', description: 'header a_device,a_port,b_device,b_port' } },
              'text/plain': { schema: { type: 'string', description: 'fabric DSL: DEV -> PORT, PORT --> PORT' } },
            },
          },
          responses: {
            200: ok('the comparison', {
              type: 'object',
              required: ['ok', 'missing', 'unexpected', 'miswired'],
              properties: Object.fromEntries(
                ['ok', 'missing', 'unexpected', 'miswired', 'oneSided', 'speedMismatch', 'mtuMismatch'].map((k) => [
                  k,
                  { type: 'array', items: { type: 'object' } },
                ]),
              ),
            }),
            400: problem,
            415: problem,
          },
        },
      },
      '/login': {
        post: { summary: 'form fields username, password; sets the authtoken cookie', responses: { 200: ok('logged in'), 401: problem } },
      },
      '/healthz': { get: { responses: { 200: ok('alive') } } },
      '/metrics': { get: { responses: { 200: { description: 'Prometheus text format' } } } },
      '/ws/subscriber': { get: { summary: 'WebSocket: SyncRequest → SyncReply, then graph events' } },
      '/ws/publisher': { get: { summary: 'WebSocket: publish a sub-graph (Sync replaces the origin)' } },
      '/ws/agent': { get: { summary: "WebSocket: a host agent's sub-graph, liveness and OVSDB relay (docs/architecture.md#agent)" } },
      ...extraPaths,
    },
    components: {
      schemas: {
        Node: element,
        Edge: {
          ...element,
          required: ['Metadata', 'Parent', 'Child'],
          properties: { ...element.properties, Parent: { type: 'string' }, Child: { type: 'string' } },
        },
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            parameter: { type: 'string', description: 'the query parameter a 400 is about' },
            docs: { type: 'string', description: 'a 501: where the missing Skydive route is documented' },
          },
        },
      },
    },
  };
}
