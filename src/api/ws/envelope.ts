// Skydive's WebSocket message envelope.
import { randomUUID } from 'node:crypto';

export interface Envelope {
  UUID?: string;
  Namespace: string;
  Type: string;
  Status?: number;
  Obj?: unknown;
}

export function envelope(Type: string, Obj: unknown, extra: Partial<Envelope> = {}): Envelope {
  return { Namespace: 'Graph', Type, UUID: extra.UUID ?? randomUUID(), Status: extra.Status ?? 200, Obj };
}

export function parseEnvelope(data: string): Envelope | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.Type !== 'string') return undefined;
  return {
    UUID: typeof o.UUID === 'string' ? o.UUID : undefined,
    Namespace: typeof o.Namespace === 'string' ? o.Namespace : 'Graph',
    Type: o.Type,
    Status: typeof o.Status === 'number' ? o.Status : undefined,
    Obj: o.Obj,
  };
}
