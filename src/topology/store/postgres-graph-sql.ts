// The graph's SQL on PostgreSQL: one batch's rows as a handful of set-based statements (rows go as
// one JSON parameter each, whatever their number), and the graph at an instant read back for At().
import type { GraphEdge, GraphNode } from '../types.ts';
import type { PostgresLink } from './postgres-link.ts';
import type { Stmt } from './postgres-protocol.ts';
import { rowToEdge, rowToNode, type RawRow } from './rows.ts';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

export interface HistoryRow {
  kind: 'n' | 'e';
  id: string;
  revision: number;
  valid_from: number;
  valid_to: number;
  deleted_at: number | null;
  type: string | null;
  name: string | null;
  parent: string | null;
  child: string | null;
  relation: string | null;
  host: string;
  origin: string;
  created_at: number;
  updated_at: number;
  metadata: string;
}

export function historyRow(kind: 'n' | 'e', el: GraphNode | GraphEdge, validTo: number, deletedAt: number | null): HistoryRow {
  const e = el as Partial<GraphEdge>;
  return {
    kind,
    id: el.ID,
    revision: el.Revision,
    valid_from: el.UpdatedAt,
    valid_to: validTo,
    deleted_at: deletedAt,
    type: str(el.Metadata.Type),
    name: str(el.Metadata.Name),
    parent: e.Parent ?? null,
    child: e.Child ?? null,
    relation: str(el.Metadata.RelationType),
    host: el.Host,
    origin: el.Origin,
    created_at: el.CreatedAt,
    updated_at: el.UpdatedAt,
    metadata: JSON.stringify(el.Metadata),
  };
}

const base = (el: GraphNode) => ({
  id: el.ID,
  host: el.Host,
  origin: el.Origin,
  created_at: el.CreatedAt,
  updated_at: el.UpdatedAt,
  revision: el.Revision,
  metadata: JSON.stringify(el.Metadata),
});

export const nodeRow = (n: GraphNode) => ({ ...base(n), type: str(n.Metadata.Type), name: str(n.Metadata.Name) });
export const edgeRow = (e: GraphEdge) => ({ ...base(e), parent: e.Parent, child: e.Child, relation: str(e.Metadata.RelationType) });

const COMMON = 'host text, origin text, created_at bigint, updated_at bigint, revision bigint, metadata text';
const N_COLS = 'id, type, name, host, origin, created_at, updated_at, revision, metadata';
const E_COLS = 'id, parent, child, relation, host, origin, created_at, updated_at, revision, metadata';
const H_COLS =
  'kind, id, revision, valid_from, valid_to, deleted_at, type, name, parent, child, relation, host, origin, created_at, updated_at, metadata';
const H_TYPES = `kind char(1), id text, revision bigint, valid_from bigint, valid_to bigint, deleted_at bigint, type text, name text,
  parent text, child text, relation text, host text, origin text, created_at bigint, updated_at bigint, metadata text`;
const set = (cols: string) =>
  cols
    .split(', ')
    .filter((c) => c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');

export interface BatchRows {
  history: HistoryRow[];
  deletedNodes: string[];
  deletedEdges: string[];
  nodes: ReturnType<typeof nodeRow>[];
  edges: ReturnType<typeof edgeRow>[];
  aliases: { key: string; id: string; created_at: number }[];
  change: { instance: string; at: number; events: unknown[]; aliases: { key: string; id: string }[] };
}

/** One write() batch as statements, run in one transaction (under the graph lock). */
export function graphStatements(b: BatchRows): Stmt[] {
  const s: Stmt[] = [];
  const json = (rows: unknown[]) => [JSON.stringify(rows)];
  if (b.history.length)
    s.push({
      sql: `INSERT INTO history(${H_COLS}) SELECT ${H_COLS} FROM jsonb_to_recordset($1::jsonb) AS x(${H_TYPES})`,
      params: json(b.history),
    });
  if (b.deletedEdges.length) s.push({ sql: 'DELETE FROM edges WHERE id = ANY($1::text[])', params: [b.deletedEdges] });
  if (b.deletedNodes.length) s.push({ sql: 'DELETE FROM nodes WHERE id = ANY($1::text[])', params: [b.deletedNodes] });
  if (b.nodes.length)
    s.push({
      sql: `INSERT INTO nodes(${N_COLS}) SELECT ${N_COLS} FROM jsonb_to_recordset($1::jsonb) AS x(id text, type text, name text, ${COMMON})
            ON CONFLICT (id) DO UPDATE SET ${set(N_COLS)}`,
      params: json(b.nodes),
    });
  if (b.edges.length)
    s.push({
      sql: `INSERT INTO edges(${E_COLS}) SELECT ${E_COLS} FROM jsonb_to_recordset($1::jsonb) AS x(id text, parent text, child text, relation text, ${COMMON})
            ON CONFLICT (id) DO UPDATE SET ${set(E_COLS)}`,
      params: json(b.edges),
    });
  if (b.aliases.length)
    s.push({
      sql: `INSERT INTO aliases(key, id, created_at) SELECT key, id, created_at FROM jsonb_to_recordset($1::jsonb) AS x(key text, id text, created_at bigint)
            ON CONFLICT (key) DO UPDATE SET id = excluded.id`,
      params: json(b.aliases),
    });
  if (b.change.events.length || b.change.aliases.length)
    s.push({
      // Delivered to LISTENers at commit; they read the row by its sequence number.
      sql: `WITH c AS (INSERT INTO graph_changes(instance, at, events, aliases) VALUES ($1, $2, $3::jsonb, $4::jsonb) RETURNING seq)
            SELECT pg_notify('canopy_graph', seq::text) FROM c`,
      params: [b.change.instance, b.change.at, JSON.stringify(b.change.events), JSON.stringify(b.change.aliases)],
    });
  return s;
}

/** The archived revisions valid at instant t (the rest of the graph at t is the live graph, unchanged since). */
export function archivedAt(link: PostgresLink, t: number): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const hist = (kind: string, cols: string) => `SELECT ${cols} FROM history WHERE valid_to > $1 AND valid_from <= $1 AND kind = '${kind}'`;
  const [nodes, edges] = link.sync([
    { sql: hist('n', N_COLS), params: [t] },
    { sql: hist('e', E_COLS), params: [t] },
  ]);
  return {
    nodes: nodes!.rows.map((r) => rowToNode(r as unknown as RawRow)),
    edges: edges!.rows.map((r) => rowToEdge(r as unknown as RawRow)),
  };
}
