// The performance fabric (PERF_SPEC: 5,000 displayed nodes, 8,000 links) in a real collector,
// plus a driver that flips port states at a given rate through the store's change feed.
import { generateFabric, PERF_SPEC, type Fabric } from '../../src/ui/web/fabric.ts';
import { canopyIds } from '../../src/demo/demo.ts';
import { startUiCollector, type UiCollector } from './helpers.ts';

export interface PerfFabric {
  c: UiCollector;
  fab: Fabric;
  /** Flips host-port states at `perSecond`; `sent()` counts the writes so far. */
  churn(perSecond: number): { stop(): void; sent(): number };
  stop(): Promise<void>;
}

export async function startPerfFabric(): Promise<PerfFabric> {
  const c = await startUiCollector();
  const fab = generateFabric(PERF_SPEC, canopyIds);
  c.collector.store.write((tx) => {
    for (const n of fab.nodes) tx.upsertNode({ ID: n.ID, Metadata: n.Metadata, Host: 'perf', Origin: 'perf' });
    for (const e of fab.edges)
      tx.upsertEdge({ ID: e.ID, Parent: e.Parent!, Child: e.Child!, Metadata: e.Metadata, Host: 'perf', Origin: 'perf' });
  });
  const store = c.collector.store;
  return {
    c,
    fab,
    churn(perSecond) {
      let sent = 0;
      const start = Date.now();
      // 10 ms ticks, each catching up to the target count: steady 100/s without a burst.
      const timer = setInterval(() => {
        const due = Math.floor(((Date.now() - start) / 1000) * perSecond);
        store.write((tx) => {
          for (; sent < due; sent++) {
            const w = fab.wires[(sent * 7919) % fab.wires.length]!;
            const n = tx.getNode(w.a);
            if (n)
              tx.upsertNode({
                ID: n.ID,
                Metadata: { ...n.Metadata, State: n.Metadata.State === 'DOWN' ? 'UP' : 'DOWN' },
                Host: n.Host,
                Origin: n.Origin,
              });
          }
        });
      }, 10);
      return { stop: () => clearInterval(timer), sent: () => sent };
    },
    stop: () => c.stop(),
  };
}
