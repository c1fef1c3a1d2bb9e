// 5,000 displayed nodes / 8,000 links from a collector on this machine: the page renders them,
// and frames are counted (by the renderer's after-render hook) during a scripted pan/zoom with
// 100 state changes/s arriving through /ws/subscriber. Timings are bench/ui.bench.ts's job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './browser.ts';
import { openPage, waitForGraph } from './helpers.ts';
import { startPerfFabric, type PerfFabric } from './perf-fabric.ts';

describe.skipIf(chromiumMissing)('5,000 nodes / 8,000 links', () => {
  let browser: Browser;
  let p: PerfFabric;
  beforeAll(async () => {
    browser = (await launchChromium())!;
    p = await startPerfFabric();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await p?.stop();
  });

  it('renders the whole fabric and counts drawn frames during pan/zoom and state churn', async () => {
    const page = await openPage(browser, `${p.c.base}/?expand=all`, { width: 1920, height: 1080 });
    await waitForGraph(page, 5000, 60_000);
    const st = await page.evaluate(() => (globalThis as any).__canopy.stats());
    expect(st.nodes).toBe(5000);
    expect(st.links).toBe(8000);
    expect(st.firstRenderMs).toBeGreaterThan(0);
    const pz = await page.evaluate(() => (globalThis as any).__canopy.panZoom(1500));
    expect(pz.frames).toBeGreaterThan(0);
    const e0 = st.events;
    const churn = p.churn(100);
    const up = await page.evaluate(() => (globalThis as any).__canopy.panZoom(1500));
    churn.stop();
    expect(up.frames).toBeGreaterThan(0);
    await page.waitForFunction((n) => (globalThis as any).__canopy.stats().events >= n, e0 + Math.floor(churn.sent() * 0.9), {
      timeout: 10_000,
    });
    await page.close();
  }, 120_000);
});
