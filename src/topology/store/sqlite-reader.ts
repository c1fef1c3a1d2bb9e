// GraphReader over the live tables of one better-sqlite3 connection (prepared once).
import type { Database, Statement } from 'better-sqlite3';
import type { Direction, GraphEdge, GraphNode } from '../types.ts';
import type { GraphReader } from './graph-store.ts';
import { INDEXED_KEYS } from './graph-store.ts';
import { getPath, valueMatches } from '../metadata.ts';
import { rowToEdge, rowToNode, type RawRow } from './rows.ts';

const indexed = new Set<string>(INDEXED_KEYS);

export class SqliteReader implements GraphReader {
  private readonly s: Record<string, Statement>;

  constructor(protected readonly db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      node: p('SELECT * FROM nodes WHERE id = ?'),
      edge: p('SELECT * FROM edges WHERE id = ?'),
      byType: p('SELECT * FROM nodes WHERE type = ?'),
      byName: p('SELECT * FROM nodes WHERE name = ?'),
      byKey: p('SELECT n.* FROM node_keys k JOIN nodes n ON n.id = k.id WHERE k.key = ? AND k.value = ?'),
      edgesByRel: p('SELECT * FROM edges WHERE relation = ?'),
      allNodes: p('SELECT * FROM nodes'),
      allEdges: p('SELECT * FROM edges'),
      out: p('SELECT * FROM edges WHERE parent = ?'),
      in: p('SELECT * FROM edges WHERE child = ?'),
      nodeCount: p('SELECT count(*) AS c FROM nodes'),
      edgeCount: p('SELECT count(*) AS c FROM edges'),
    };
  }

  getNode(id: string): GraphNode | undefined {
    const r = this.s.node!.get(id) as RawRow | undefined;
    return r ? rowToNode(r) : undefined;
  }

  getEdge(id: string): GraphEdge | undefined {
    const r = this.s.edge!.get(id) as RawRow | undefined;
    return r ? rowToEdge(r) : undefined;
  }

  findNodes(key: string, value: string | number | boolean): GraphNode[] {
    let rows: RawRow[];
    if (key === 'Type') rows = this.s.byType!.all(String(value)) as RawRow[];
    else if (key === 'Name') rows = this.s.byName!.all(String(value)) as RawRow[];
    else if (indexed.has(key)) rows = this.s.byKey!.all(key, typeof value === 'boolean' ? String(value) : value) as RawRow[];
    else return this.allNodes().filter((n) => valueMatches(getPath(n.Metadata, key), value));
    // Columns hold the text form; re-check so Has('IfIndex', 7) does not match '7'.
    return rows.map(rowToNode).filter((n) => valueMatches(getPath(n.Metadata, key), value));
  }

  findEdges(key: string, value: string | number | boolean): GraphEdge[] {
    if (key === 'RelationType') return (this.s.edgesByRel!.all(String(value)) as RawRow[]).map(rowToEdge);
    return this.allEdges().filter((e) => valueMatches(getPath(e.Metadata, key), value));
  }

  allNodes(): GraphNode[] {
    return (this.s.allNodes!.all() as RawRow[]).map(rowToNode);
  }

  allEdges(): GraphEdge[] {
    return (this.s.allEdges!.all() as RawRow[]).map(rowToEdge);
  }

  edgesOf(nodeId: string, dir: Direction): GraphEdge[] {
    const rows: RawRow[] = [];
    if (dir !== 'in') rows.push(...(this.s.out!.all(nodeId) as RawRow[]));
    if (dir !== 'out') rows.push(...(this.s.in!.all(nodeId) as RawRow[]));
    return rows.map(rowToEdge);
  }

  nodeCount(): number {
    return (this.s.nodeCount!.get() as { c: number }).c;
  }

  edgeCount(): number {
    return (this.s.edgeCount!.get() as { c: number }).c;
  }
}
