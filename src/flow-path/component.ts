// The flow-path component: gives the API observed paths, and reconciles flows with counters on
// every layer2 link each `reconcile.interval`; mismatched links show in /api/status.
import type { ComponentSpec, Component } from '../component/contract.ts';
import { give } from '../component/contract.ts';
import { FLOW_PATHS, FLOWS_READER, GRAPH_STORE } from '../component/provisions.ts';
import { FlowPaths, type Reconciliation } from './service.ts';
import { gauge } from '../util/metrics.ts';

export const flowPathComponent: ComponentSpec = {
  name: 'reconcile',
  needs: [FLOWS_READER, GRAPH_STORE],
  provides: [FLOW_PATHS],
  create(ctx, provided) {
    const cfg = ctx.config.reconcile;
    const c = ctx.config;
    const flowSources = c.sflow.enabled || c.netflow.enabled || c.ipfix.enabled || c.mirror.interfaces.length > 0;
    const svc = new FlowPaths(provided.get(GRAPH_STORE), provided.get(FLOWS_READER), ctx.storage.portSeries, cfg);
    const log = ctx.log.child({ component: 'reconcile' });
    const mismatched = gauge(
      ctx.registry,
      'canopy_reconcile_mismatched_links',
      'Layer2 links whose flows and counters disagree beyond the tolerance',
    );
    let last: Reconciliation | undefined;
    let lastError: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const flagged = new Set<string>();
    const runOnce = () => {
      const now = Date.now();
      try {
        last = svc.reconcile(now - cfg.window * 1000, now, now, true);
        lastError = undefined;
        const bad = last.links.filter((l) => l.mismatch);
        mismatched.set(bad.length);
        // A line when a link turns bad, not every interval.
        for (const l of bad)
          if (!flagged.has(l.linkId)) log.warn({ link: l.linkId, cause: l.cause, detail: l.detail }, 'flows and counters disagree');
        flagged.clear();
        for (const l of bad) flagged.add(l.linkId);
      } catch (e) {
        lastError = (e as Error).message;
        log.error({ err: e }, 'reconciliation failed');
      }
    };
    const component: Component = {
      name: 'reconcile',
      async start() {
        // Without a flow source there is nothing to compare the counters with.
        if (!cfg.enabled || !flowSources) return;
        timer = setInterval(runOnce, cfg.interval * 1000);
        timer.unref();
      },
      async stop() {
        if (timer) clearInterval(timer);
        timer = undefined;
      },
      status: () => ({
        enabled: cfg.enabled && flowSources,
        tolerance: cfg.tolerance,
        windowSeconds: cfg.window,
        lastRun: last?.at ?? null,
        ...(lastError ? { lastError } : {}),
        linksJudged: last?.links.filter((l) => l.ends.some((e) => e.ratio !== null)).length ?? 0,
        mismatchedLinks: (last?.links ?? [])
          .filter((l) => l.mismatch)
          .map((l) => ({
            link: l.linkId,
            cause: l.cause,
            detail: l.detail,
            counterBytesPerSec: l.counterBytesPerSec,
            ends: l.ends.map((e) => ({
              device: e.device,
              port: e.port,
              portId: e.portId,
              counterBytesPerSec: e.counterBytesPerSec,
              counterSource: e.counterSource,
              flowBytesPerSec: e.flowBytesPerSec,
              ratio: e.ratio,
              mismatch: e.mismatch,
            })),
          })),
      }),
    };
    return { component, provides: [give(FLOW_PATHS, svc)] };
  },
};
