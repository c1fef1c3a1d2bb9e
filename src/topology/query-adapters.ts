// The query engine as the REST API runs it (the WebSocket filters compile in api/ws/compile-filter.ts).
import type { GraphStore } from './store/graph-store.ts';
import { runQuery } from './query/index.ts';
import type { FlowSource } from './query/context.ts';
import type { MetricSource } from './query/metrics-steps.ts';

export function makeQueryRunner(
  store: GraphStore,
  limits: { maxResults: number; timeoutMs: number },
  flows?: FlowSource,
  metrics?: MetricSource,
) {
  return (q: string): unknown => runQuery(store, q, { ...limits, flows, metrics }).value;
}
