// NetFlow v5/v9 and IPFIX collection (docs/architecture.md#flows): listeners on netflow.listen (:2055) and
// ipfix.listen (:4739), both accepting any version, one decoder whose templates persist in SQLite,
// the shared flow table and attribution, interface names from options data onto port nodes.
// With netflow.workers > 1 each listen address gets that many receive/decode threads (worker.ts);
// what one of them learns (templates, options sampling rates) reaches all the others through here.
import type { Component, ComponentContext } from '../../component/contract.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import { FlowReceive } from '../flows/flow-receive.ts';
import { siblingModule } from '../../util/worker-module.ts';
import { flowWorkers } from '../flows/listener-config.ts';
import { createNetflowHandler } from './handler.ts';
import type { NetflowBatch, SharedChange, SharedMessage } from './worker-batch.ts';
import { sharedNetflowState } from './shared-state.ts';

export function createNetflowComponent(ctx: ComponentContext, pipeline: FlowPipeline): Component | undefined {
  const { netflow, ipfix } = ctx.config;
  if (!netflow.enabled && !ipfix.enabled) return undefined;
  const log = ctx.log.child({ component: 'netflow' });
  const h = createNetflowHandler(ctx, pipeline);
  const workers = flowWorkers(netflow.workers);
  const receives: FlowReceive<NetflowBatch>[] = [];
  const mk = (protocol: string, c: { listen: string | string[] }) => {
    const r: FlowReceive<NetflowBatch> = new FlowReceive<NetflowBatch>({
      protocol,
      listen: c.listen,
      receiveBuffer: netflow.receiveBuffer,
      queueSize: netflow.queueSize,
      receiver: netflow.receiver,
      dropped: pipeline.metrics.dropped,
      log,
      registry: ctx.registry,
      workers,
      entry: siblingModule(import.meta.url, 'worker'),
      workerData: { sampling: { samplingOverrides: netflow.samplingOverrides, samplingDefaults: netflow.samplingDefaults } },
      handle: h.handle,
      afterBatch: h.flushMetrics,
      onBatch: h.applyBatch,
      onWorkerMessage: (m, pool, worker) => {
        if (m.type !== 'shared') return;
        const changes = (m as SharedMessage).changes;
        h.applyShared(changes);
        // Every other worker of every listener: an exporter's templates are its own whatever the port.
        const onward: SharedMessage = { type: 'shared', changes: changes.filter((c) => c.kind !== 'ifname') };
        if (onward.changes.length) for (const q of receives) q.post(onward, q === r ? { pool, worker } : undefined);
      },
      onWorkerReady: (pool, worker) => {
        const changes: SharedChange[] = h.knownState();
        if (changes.length) r.postTo(pool, worker, { type: 'shared', changes } satisfies SharedMessage);
      },
    });
    receives.push(r);
    return r;
  };
  if (netflow.enabled) mk('netflow', netflow);
  if (ipfix.enabled) mk('ipfix', ipfix);
  // flows.bus: nats — templates and sampling rates shared with the other inlets (docs/scale-out.md);
  // what comes from the bucket reaches this collector's receive workers too.
  const shared = sharedNetflowState(ctx, h.decoder, (fs, now) => h.added(fs, now));
  if (shared)
    shared.onRemote = (c) => {
      const msg: SharedMessage = { type: 'shared', changes: [c] };
      for (const q of receives) q.post(msg);
    };

  return {
    name: 'netflow',
    // The flow pipeline is a component of its own, started before this one and stopped after.
    async start() {
      await shared?.start();
      for (const r of receives) await r.start();
      log.info(
        {
          listen: receives.flatMap((r) => r.bound),
          receiver: receives[0]?.mode,
          workers: receives[0]?.workers,
          templatesLoaded: h.loaded,
        },
        'NetFlow/IPFIX listening',
      );
    },
    async stop() {
      for (const r of receives) await r.stop();
      await shared?.stop();
    },
    status() {
      const st = receives.map((r) => r.status());
      const sum = (k: string) => st.reduce((n, s) => n + ((s[k] as number | undefined) ?? 0), 0);
      return {
        listen: receives.flatMap((r) => r.bound),
        receiver: receives[0]?.mode,
        workers: receives[0]?.workers ?? 1,
        workerThreads: sum('workerThreads'),
        workerRestarts: sum('workerRestarts'),
        // Per listener (netflow, then ipfix), per listen address, per worker.
        workerDatagrams: st.map((s) => s.workerDatagrams),
        // Records a worker held until another worker's template reached it (not in exporters' records).
        sharedReleased: h.sharedReleased,
        queueDrops: sum('queueDrops'),
        socketOverflows: sum('socketOverflows'),
        truncated: sum('truncated'),
        templates: h.templates.size,
        templatesLoaded: h.loaded,
        ...(shared ? { shared: { adopted: shared.adopted, put: shared.put, lookedUp: shared.lookedUp, failures: shared.failures } } : {}),
        samplingRateMissing: h.decoder.samplingRateMissing,
        decoder: h.decoder.stats,
        ...pipeline.status(['netflow5', 'netflow9', 'ipfix']),
      };
    },
  };
}
