// The revision rules every graph backend applies to an upsert (docs/architecture.md#the-graph), in
// one place so SQLite and PostgreSQL cannot drift apart.
import { deepMerge } from '../metadata.ts';
import type { GraphNode, NodeInput } from '../types.ts';

/**
 * The element to store for `input` over `existing`, or undefined when nothing changes: an older
 * revision or timestamp never overwrites a newer one, and an identical write is no revision.
 * `extra` carries an edge's Parent/Child.
 */
export function nextRevision<T extends GraphNode>(
  existing: T | undefined,
  input: NodeInput,
  merge: boolean,
  extra: Partial<T>,
  now: number,
): T | undefined {
  if (existing) {
    if (input.Revision !== undefined && input.Revision < existing.Revision) return undefined;
    if (input.UpdatedAt !== undefined && input.UpdatedAt < existing.UpdatedAt) return undefined;
    const md = merge ? deepMerge(existing.Metadata, input.Metadata) : input.Metadata;
    const host = input.Host ?? existing.Host;
    const origin = input.Origin ?? existing.Origin;
    const same =
      JSON.stringify(md) === JSON.stringify(existing.Metadata) &&
      host === existing.Host &&
      origin === existing.Origin &&
      Object.entries(extra).every(([k, v]) => (existing as Record<string, unknown>)[k] === v);
    if (same) return undefined;
    return {
      ...existing,
      ...extra,
      Metadata: md,
      Host: host,
      Origin: origin,
      UpdatedAt: Math.max(input.UpdatedAt ?? now, existing.UpdatedAt),
      Revision: Math.max(existing.Revision + 1, input.Revision ?? 0),
    };
  }
  const t = input.UpdatedAt ?? now;
  return {
    ID: input.ID,
    Metadata: input.Metadata,
    Host: input.Host ?? '',
    Origin: input.Origin ?? '',
    CreatedAt: input.CreatedAt ?? t,
    UpdatedAt: t,
    Revision: input.Revision ?? 1,
    ...extra,
  } as T;
}
