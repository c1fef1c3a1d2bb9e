// Wall display at 5,000 nodes / 8,000 links with the collector on this machine (headless
// Chromium, software raster): first render, frames drawn per second during a scripted 5 s
// pan/zoom, and the same with 100 state changes/s arriving over /ws/subscriber. Frames are the
// renderer's after-render count. Skipped (no figures) when Debian's chromium is missing.
import type { Bench } from './run.ts';
import { chromiumMissing, launchChromium } from '../test/ui/browser.ts';
import { openPage, waitForGraph } from '../test/ui/helpers.ts';
import { startPerfFabric } from '../test/ui/perf-fabric.ts';

export const benches: Bench[] = [
  {
    name: 'ui',
    async run(emit) {
      if (chromiumMissing) {
        process.stderr.write(`ui bench skipped: ${chromiumMissing}\n`);
        return;
      }
      const p = await startPerfFabric();
      const browser = (await launchChromium())!;
      try {
        const page = await openPage(browser, `${p.c.base}/?expand=all`, { width: 1920, height: 1080 });
        await waitForGraph(page, 5000, 60_000);
        const st = await page.evaluate(() => (globalThis as any).__canopy.stats());
        const graph = {
          graphNodes: p.c.collector.store.nodeCount(),
          graphEdges: p.c.collector.store.edgeCount(),
          drawnNodes: st.nodes,
          drawnLinks: st.links,
        };
        // From navigation start to the first frame drawn with the synced graph.
        emit({ bench: 'ui.first_render', value: Math.round(st.firstRenderMs), unit: 'ms', target: 2000, ...graph });
        await page.waitForTimeout(500);
        const pz = await page.evaluate(() => (globalThis as any).__canopy.panZoom(5000));
        emit({ bench: 'ui.fps_panzoom', value: +pz.fps.toFixed(1), unit: 'frames/s', frames: pz.frames, target: 30 });
        const e0 = (await page.evaluate(() => (globalThis as any).__canopy.stats())).events;
        const churn = p.churn(100);
        const up = await page.evaluate(() => (globalThis as any).__canopy.panZoom(5000));
        churn.stop();
        await page.waitForTimeout(500);
        const applied = (await page.evaluate(() => (globalThis as any).__canopy.stats())).events - e0;
        emit({
          bench: 'ui.fps_updates',
          value: +up.fps.toFixed(1),
          unit: 'frames/s',
          frames: up.frames,
          stateChanges: churn.sent(),
          applied,
          target: 30,
        });
      } finally {
        await browser.close();
        await p.stop();
      }
    },
  },
];
