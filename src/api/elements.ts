// Validation of elements written by publishers (REST and WebSocket), per Skydive's schema:
// nodes need Metadata.Name and Metadata.Type (netns also Path, ovsport also UUID); edges need
// existing Parent and Child and Metadata.RelationType.
import type { EdgeInput, NodeInput } from '../topology/types.ts';
import type { GraphReader } from '../topology/store/graph-store.ts';
import { idFor } from '../topology/ids.ts';

export class ElementError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function optNumber(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ElementError(`${name} must be a number`);
  return v;
}

function common(body: unknown, origin: string, host: string): NodeInput {
  if (!isObject(body)) throw new ElementError('the element must be a JSON object');
  const md = body.Metadata;
  if (!isObject(md)) throw new ElementError('Metadata must be an object');
  if (body.ID !== undefined && (typeof body.ID !== 'string' || body.ID.length === 0 || body.ID.length > 256)) {
    throw new ElementError('ID must be a non-empty string');
  }
  const input: NodeInput = {
    ID: body.ID ?? '',
    Metadata: md,
    Host: typeof body.Host === 'string' && body.Host ? body.Host : host,
    Origin: origin,
  };
  const rev = optNumber(body.Revision, 'Revision');
  if (rev !== undefined) input.Revision = rev;
  const created = optNumber(body.CreatedAt, 'CreatedAt');
  if (created !== undefined) input.CreatedAt = created;
  const updated = optNumber(body.UpdatedAt, 'UpdatedAt');
  if (updated !== undefined) input.UpdatedAt = updated;
  return input;
}

export function validateNode(body: unknown, origin: string, host = ''): NodeInput {
  const n = common(body, origin, host);
  const md = n.Metadata;
  if (typeof md.Name !== 'string' || md.Name === '') throw new ElementError('Metadata.Name is required');
  if (typeof md.Type !== 'string' || md.Type === '') throw new ElementError('Metadata.Type is required');
  if (md.Type === 'netns' && typeof md.Path !== 'string') throw new ElementError('a netns node needs Metadata.Path');
  if (md.Type === 'ovsport' && typeof md.UUID !== 'string') throw new ElementError('an ovsport node needs Metadata.UUID');
  // Deterministic when no ID is given, so a publisher posting the same thing twice updates it.
  if (!n.ID) n.ID = idFor('api-node', origin, md.Type, md.Name);
  return n;
}

export function validateEdge(body: unknown, origin: string, graph: GraphReader, host = ''): EdgeInput {
  const n = common(body, origin, host);
  const b = body as Record<string, unknown>;
  if (typeof b.Parent !== 'string' || typeof b.Child !== 'string') throw new ElementError('Parent and Child are required');
  if (typeof n.Metadata.RelationType !== 'string' || !n.Metadata.RelationType) throw new ElementError('Metadata.RelationType is required');
  if (!graph.getNode(b.Parent)) throw new ElementError(`Parent ${b.Parent} does not exist`);
  if (!graph.getNode(b.Child)) throw new ElementError(`Child ${b.Child} does not exist`);
  const id = n.ID || idFor('api-edge', b.Parent, b.Child, n.Metadata.RelationType);
  return { ...n, ID: id, Parent: b.Parent, Child: b.Child };
}
