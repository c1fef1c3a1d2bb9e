// Per-query evaluation context: the reader, a node cache (traversals revisit the same switches
// and hosts), and the budget that turns runaway queries into QueryErrors.
import type { GraphReader } from '../store/graph-store.ts';
import type { Direction, GraphEdge, GraphNode } from '../types.ts';
import { QueryError } from './errors.ts';
import type { MetricSource } from './metrics-steps.ts';

export interface Limits {
  maxResults: number;
  maxVisited: number;
  timeoutMs: number;
}

/**
 * Flow records for Flows(): those seen on the given nodes (a device, or a port as in or out
 * interface), or every flow when nodeIds is undefined. Rows are plain objects (canopy decode /
 * /api/flows field names).
 */
export type FlowSource = (q: { nodeIds?: string[] }) => Record<string, unknown>[];

export const DEFAULT_LIMITS: Limits = { maxResults: 250_000, maxVisited: 2_000_000, timeoutMs: 5_000 };

export class EvalContext {
  visited = 0;
  /** At(t, duration)'s window (epoch ms), for Metrics() and Aggregates(). */
  timeSlice: { from: number; to: number } | undefined;
  private nextClockCheck = 256;
  private readonly deadline: number;
  private readonly nodes = new Map<string, GraphNode | null>();

  constructor(
    readonly reader: GraphReader,
    readonly limits: Limits,
    /** When the query started (performance.now()); building a past-instant reader counts too. */
    startedAt = performance.now(),
    /** Where Flows() reads from; absent when no flow collection runs. */
    readonly flowSource?: FlowSource,
    /** Where Metrics() reads stored series from within a time window; absent: LastUpdateMetric only. */
    readonly metricSource?: MetricSource,
  ) {
    this.deadline = startedAt + limits.timeoutMs;
  }

  /** Accounts for n elements read from the store. */
  tick(n = 1): void {
    this.visited += n;
    if (this.visited > this.limits.maxVisited) {
      throw new QueryError('limit', `query visits more than ${this.limits.maxVisited} elements; narrow it with Has() or Limit()`);
    }
    if (this.visited >= this.nextClockCheck) {
      this.nextClockCheck = this.visited + 256;
      this.checkTime();
    }
  }

  checkTime(): void {
    if (performance.now() > this.deadline) {
      throw new QueryError('timeout', `query ran longer than ${this.limits.timeoutMs} ms`);
    }
  }

  node(id: string): GraphNode | undefined {
    const c = this.nodes.get(id);
    if (c !== undefined) return c ?? undefined;
    this.tick();
    const n = this.reader.getNode(id);
    this.nodes.set(id, n ?? null);
    return n;
  }

  remember(n: GraphNode): void {
    this.nodes.set(n.ID, n);
  }

  edgesOf(id: string, dir: Direction): GraphEdge[] {
    const es = this.reader.edgesOf(id, dir);
    this.tick(es.length + 1);
    return es;
  }
}
