// canopy_stitch_* metrics on an injected registry (fixed names, docs/architecture.md#configuration-and-metrics).
import { Histogram, type Registry } from 'prom-client';
import { gauge } from '../../util/metrics.ts';

export interface StitchMetrics {
  recompute: Histogram;
}

export function stitchMetrics(reg: Registry, links: () => { UP: number; DOWN: number }, conflicts: () => number): StitchMetrics {
  const l = gauge(reg, 'canopy_stitch_links', 'Stitched layer2 links by state', ['state']);
  const c = gauge(reg, 'canopy_stitch_conflicts', 'Ports / interfaces with conflicting link evidence');
  // Values are read at scrape time from the stitcher's own counts.
  (l as unknown as { collect: () => void }).collect = () => {
    const n = links();
    l.set({ state: 'UP' }, n.UP);
    l.set({ state: 'DOWN' }, n.DOWN);
  };
  (c as unknown as { collect: () => void }).collect = () => c.set(conflicts());
  const existing = reg.getSingleMetric('canopy_stitch_recompute_seconds');
  const recompute =
    (existing as Histogram | undefined) ??
    new Histogram({
      name: 'canopy_stitch_recompute_seconds',
      help: 'Time to apply one stitching change (or a full recompute)',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60],
      registers: [reg],
    });
  return { recompute };
}
