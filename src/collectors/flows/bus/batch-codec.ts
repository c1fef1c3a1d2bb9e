// Flow batches on the bus: one JSON message of flow-table entries of one protocol and exporter,
// each entry an array in FIELDS order (the names once, not per row, about halves the size). A
// message that does not parse or whose rows do not have the stored shape is refused whole.
import type { FlowEntry } from '../flow-store.ts';

/** Every FlowEntry key; the row order on the wire. Version 1. */
const FIELDS = [
  'protocol',
  'exporter',
  'deviceId',
  'inIf',
  'outIf',
  'inPortId',
  'outPortId',
  'vlan',
  'srcAddr',
  'dstAddr',
  'proto',
  'srcPort',
  'dstPort',
  'srcMac',
  'dstMac',
  'etherType',
  'first',
  'last',
  'bytes',
  'packets',
  'flows',
  'samplingRate',
  'samplingMissing',
] as const satisfies readonly (keyof FlowEntry)[];

type Kind = 'string' | 'number' | 'nullable' | 'boolean';
const KIND: Record<(typeof FIELDS)[number], Kind> = {
  protocol: 'string',
  exporter: 'string',
  deviceId: 'string',
  inIf: 'number',
  outIf: 'number',
  inPortId: 'nullable',
  outPortId: 'nullable',
  vlan: 'number',
  srcAddr: 'string',
  dstAddr: 'string',
  proto: 'number',
  srcPort: 'number',
  dstPort: 'number',
  srcMac: 'string',
  dstMac: 'string',
  etherType: 'number',
  first: 'number',
  last: 'number',
  bytes: 'number',
  packets: 'number',
  flows: 'number',
  samplingRate: 'number',
  samplingMissing: 'boolean',
};

export interface FlowBatch {
  /** Which inlet published it (its collector name and boot). */
  inlet: string;
  entries: FlowEntry[];
}

export function encodeBatch(inlet: string, entries: readonly FlowEntry[], from = 0, to = entries.length): Uint8Array {
  const rows: unknown[][] = [];
  for (let i = from; i < to; i++) {
    const e = entries[i]!;
    rows.push(FIELDS.map((f) => e[f]));
  }
  return Buffer.from(JSON.stringify({ v: 1, inlet, rows }));
}

function fits(v: unknown, k: Kind): boolean {
  if (k === 'string') return typeof v === 'string';
  if (k === 'number') return typeof v === 'number' && Number.isFinite(v);
  if (k === 'boolean') return typeof v === 'boolean';
  return v === null || typeof v === 'string';
}

/** The batch, or a reason it is refused. */
export function decodeBatch(data: Uint8Array): FlowBatch | string {
  let msg: unknown;
  try {
    msg = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (typeof msg !== 'object' || msg === null) return 'not an object';
  const m = msg as { v?: unknown; inlet?: unknown; rows?: unknown };
  if (m.v !== 1) return `version ${String(m.v)} is not 1`;
  if (typeof m.inlet !== 'string' || !Array.isArray(m.rows)) return 'no inlet or rows';
  const entries: FlowEntry[] = [];
  for (const row of m.rows as unknown[]) {
    if (!Array.isArray(row) || row.length !== FIELDS.length) return 'row of the wrong length';
    const e: Record<string, unknown> = {};
    for (let i = 0; i < FIELDS.length; i++) {
      const f = FIELDS[i]!;
      if (!fits(row[i], KIND[f])) return `field ${f} has the wrong type`;
      e[f] = row[i];
    }
    entries.push(e as unknown as FlowEntry);
  }
  return { inlet: m.inlet, entries };
}

/** One subject token from an exporter address (dots and colons would split or break the subject). */
export function subjectToken(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_');
  return t === '' ? '_' : t;
}
