// `npx tsx bench/measure-renderers.ts [canvas,sigma,sigma&labels=0]`: serves the measurement page with Vite and drives it in
// headless Chromium; prints JSON lines {renderer, firstRenderMs, fpsPanZoom, fpsUpdates}.
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { launchChromium } from '../test/ui/browser.ts';

/** What the measurement page exposes on window. */
type Measure = { ready?: boolean; measure(ms: number, rate: number): Promise<{ fps: number; firstRender: number; drawMs: number }> };

const root = fileURLToPath(new URL('../src/ui/web/measure/', import.meta.url));
const server = await createServer({ root, logLevel: 'error', server: { host: '127.0.0.1', port: 0 } });
await server.listen();
const addr = server.httpServer!.address() as { port: number };
const browser = await launchChromium();
if (!browser) throw new Error('chromium not found');
try {
  for (const r of (process.argv[2] ?? 'canvas,sigma,sigma&labels=0').split(',')) {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(`http://127.0.0.1:${addr.port}/?r=${r}`);
    await page.waitForFunction(() => (globalThis as unknown as Measure).ready === true, undefined, { timeout: 60_000 });
    await page.waitForTimeout(500);
    const pz = await page.evaluate(() => (globalThis as unknown as Measure).measure(5000, 0));
    const up = await page.evaluate(() => (globalThis as unknown as Measure).measure(5000, 100));
    console.log(
      JSON.stringify({
        renderer: r,
        firstRenderMs: Math.round(pz.firstRender),
        fpsPanZoom: +pz.fps.toFixed(1),
        fpsUpdates: +up.fps.toFixed(1),
        meanDrawMs: +pz.drawMs.toFixed(1),
      }),
    );
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
