// The wall display in Debian's Chromium against a real collector: load, tiers and links of a
// published fabric, a port going DOWN turning red, search by MAC, kiosk reconnect, login.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './browser.ts';
import { openPage, publishFabric, screenshot, setState, startUiCollector, waitForGraph, type UiCollector } from './helpers.ts';
import { generateFabric } from '../../src/ui/web/fabric.ts';

const SPEC = { spines: 2, leaves: 4, hosts: 24, dualHomed: 4, containersPerHost: 2, omitRoles: true };
const fab = generateFabric(SPEC);
const name = (id: string) => String(fab.nodes.find((n) => n.ID === id)?.Metadata.Name);
/** The display rule: a host sits under the first (by name) switch it is wired to. */
function torOf(hostId: string): string {
  const mine = new Set(fab.edges.filter((e) => e.Parent === hostId).map((e) => e.Child));
  const leaves = fab.wires.filter((w) => mine.has(w.b)).map((w) => fab.leafIds.find((l) => w.a.startsWith(`${l}.`))!);
  return leaves.sort((a, b) => (name(a) < name(b) ? -1 : 1))[0]!;
}

describe.skipIf(chromiumMissing)('wall display in Chromium', () => {
  let browser: Browser;
  let c: UiCollector;

  beforeAll(async () => {
    browser = (await launchChromium())!;
    c = await startUiCollector();
    await publishFabric(c, fab);
  });
  afterAll(async () => {
    await browser?.close();
    await c?.stop();
  });

  it('loads and draws the published fabric on its tiers with its links', async () => {
    const page = await openPage(browser, `${c.base}/`);
    expect(await page.title()).toBe('Canopy');
    await waitForGraph(page, SPEC.spines + SPEC.leaves);
    const st = await page.evaluate(() => (globalThis as any).__canopy.stats());
    const tors = new Set(fab.hosts.map((h) => torOf(h.id)));
    expect(st.kinds).toEqual({ spine: 2, leaf: 4, group: tors.size });
    // Roles were left out: spines/leaves are inferred from who is wired to hosts.
    for (const s of fab.spineIds) expect(await page.evaluate((id) => (globalThis as any).__canopy.node(id)?.kind, s)).toBe('spine');
    const ys = await page.evaluate((ids) => ids.map((id) => (globalThis as any).__canopy.node(id).y), [...fab.spineIds, ...fab.leafIds]);
    expect(Math.max(...ys.slice(0, 2))).toBeLessThan(Math.min(...ys.slice(2)));
    // Every spine–leaf wire is a link; host wires aggregate into leaf → host-group links.
    for (const s of fab.spineIds)
      for (const l of fab.leafIds) expect(await page.evaluate(([a, b]) => (globalThis as any).__canopy.link(a, b), [s, l])).not.toBeNull();
    const groupPairs = new Set<string>();
    for (const w of fab.wires.filter((x) => x.tier === 'leaf-host')) {
      const leaf = fab.leafIds.find((l) => w.a.startsWith(`${l}.`))!;
      const host = fab.hosts.find((h) => w.b.startsWith(`${h.id}.`))!;
      groupPairs.add(`${leaf}|group:${torOf(host.id)}`);
    }
    expect(st.links).toBe(SPEC.spines * SPEC.leaves + groupPairs.size);
    const groupLabel = await page.evaluate((id) => (globalThis as any).__canopy.node(id)?.label, `group:${fab.leafIds[1]}`);
    expect(groupLabel).toBe(`+${fab.hosts.filter((h) => torOf(h.id) === fab.leafIds[1]).length}`);
    await page.close();
  });

  it('turns a link red within 2 s of its ports going DOWN through the API, amber with one end down', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 6);
    const w = fab.wires.find((x) => x.tier === 'spine-leaf' && x.a.startsWith(fab.spineIds[0]!) && x.b.startsWith(fab.leafIds[2]!))!;
    const [S, L] = [fab.spineIds[0]!, fab.leafIds[2]!];
    const linkState = () => page.evaluate(([a, b]) => (globalThis as any).__canopy.link(a, b).state, [S, L]);
    const St = await page.evaluate(() => (globalThis as any).__canopy.St);
    expect(await linkState()).toBe(St.Up);

    await setState(c.base, w.b, 'DOWN');
    await page.waitForFunction(([a, b, s]) => (globalThis as any).__canopy.link(a, b).state === s, [S, L, St.Degraded] as const, {
      timeout: 2000,
    });

    const t0 = Date.now();
    await setState(c.base, w.a, 'DOWN');
    await page.waitForFunction(([a, b, s]) => (globalThis as any).__canopy.link(a, b).state === s, [S, L, St.Down] as const, {
      timeout: 2000,
    });
    const took = Date.now() - t0;
    expect(took).toBeLessThan(2000);
    // And it is what the canvas shows: the link's midpoint pixel is red.
    await page.waitForTimeout(100);
    const px = await page.evaluate(
      ([a, b]) => {
        const cv = (globalThis as any).__canopy;
        const [ax, ay] = cv.node(a).screen;
        const [bx, by] = cv.node(b).screen;
        const ctx = (globalThis as any).document.getElementById('graph').getContext('2d');
        return [...ctx.getImageData(Math.round((ax + bx) / 2), Math.round((ay + by) / 2), 1, 1).data];
      },
      [S, L],
    );
    expect(px[0]).toBeGreaterThan(200);
    expect(px[1]).toBeLessThan(100);
    // The switches show the bad port as degraded.
    expect(await page.evaluate((id) => (globalThis as any).__canopy.node(id).state, L)).toBe(St.Degraded);
    await page.close();
  });

  it('finds a host by MAC, expands its group, flies to it and shows its panel', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 6);
    const target = fab.hosts[13]!;
    await page.fill('#search', target.mac.toUpperCase());
    await page.waitForSelector('#results:not([hidden]) div');
    await page.press('#search', 'Enter');
    await page.waitForFunction(
      (id) => (globalThis as any).__canopy.app.r.selected === (globalThis as any).__canopy.app.vm.index.get(id),
      target.id,
    );
    expect(await page.evaluate((id) => (globalThis as any).__canopy.node(id)?.kind, target.id)).toBe('host');
    await page.waitForSelector('#panel:not([hidden]) h2');
    expect(await page.textContent('#panel h2')).toBe(target.name);
    // No flow API in this collector: the panel says so instead of failing.
    await page.waitForSelector('#panel .flows >> text=no flow data');
    // Double-click shows the host's containers on their own tier.
    await page.click('#panel button:has-text("Show containers")');
    await page.waitForFunction(() => (globalThis as any).__canopy.stats().kinds.container === 2);
    await page.click('#fit');
    await page.waitForTimeout(900);
    await screenshot(page, 'ui-fabric.png');
    await page.close();
  });

  it('highlights the result of a Gremlin filter', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 6);
    await page.fill('#filter', "G.V().Has('Type', 'switch')");
    await page.click('#apply');
    await page.waitForSelector('#msg >> text=6 shown');
    const dims = await page.evaluate(() => (globalThis as any).__canopy.app.vm.nodes.filter((n: any) => n.dim).map((n: any) => n.kind));
    expect(dims.length).toBeGreaterThan(0);
    expect(dims.every((k: string) => k === 'group')).toBe(true);
    await page.fill('#filter', 'G.V().Nope(');
    await page.click('#apply');
    await page.waitForSelector('#msg.err');
    await page.close();
  });
});

describe.skipIf(chromiumMissing)('kiosk mode', () => {
  it('shows a banner while the collector is gone and reconnects and re-syncs when it is back', async () => {
    const browser = (await launchChromium())!;
    let c = await startUiCollector();
    try {
      await publishFabric(c, fab);
      const page = await openPage(browser, `${c.base}/?kiosk=1&cycle=60`, { width: 1920, height: 1080 });
      await waitForGraph(page, 6);
      expect(await page.isVisible('#bar')).toBe(false);
      expect(await page.isVisible('#disconnected')).toBe(false);
      await page.waitForTimeout(1200);
      await screenshot(page, 'ui-kiosk.png');
      const { addr, dir } = c;
      await c.halt();
      await page.waitForSelector('#disconnected', { state: 'visible', timeout: 5000 });
      await screenshot(page, 'ui-kiosk-disconnected.png');
      c = await startUiCollector({ 'api.listen': addr }, dir);
      await page.waitForSelector('#disconnected', { state: 'hidden', timeout: 15_000 });
      await page.waitForFunction(() => (globalThis as any).__canopy.stats().syncs >= 2);
      // The restarted collector kept its graph (same data dir): the re-sync brought it back.
      expect(await page.evaluate(() => (globalThis as any).__canopy.stats().kinds.spine)).toBe(2);
    } finally {
      await browser.close();
      await c.stop();
    }
  });
});

describe.skipIf(chromiumMissing)('login', () => {
  it('asks for a login when auth is on and shows the fabric after it', async () => {
    const browser = (await launchChromium())!;
    const c = await startUiCollector({ 'auth.users': [{ name: 'noc', password: 'wall-display-pw', role: 'admin' }] });
    try {
      const basic = { Authorization: `Basic ${Buffer.from('noc:wall-display-pw').toString('base64')}` };
      const ws = fab.nodes.slice(0, 3);
      for (const n of ws) {
        const r = await fetch(`${c.base}/api/node`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...basic },
          body: JSON.stringify(n),
        });
        expect(r.status).toBe(201);
      }
      expect((await fetch(`${c.base}/api/status`)).status).toBe(401);
      const page = await openPage(browser, `${c.base}/`);
      await page.waitForSelector('#login:not([hidden])');
      await page.fill('input[name=username]', 'noc');
      await page.fill('input[name=password]', 'wrong');
      await page.click('#login button');
      await page.waitForSelector('#login-err >> text=bad username or password');
      await page.fill('input[name=password]', 'wall-display-pw');
      await page.click('#login button');
      await page.waitForSelector('#login', { state: 'hidden' });
      await waitForGraph(page, 1);
      // Three unwired switches: no role can be inferred, so they sit on the leaf/TOR tier.
      expect(await page.evaluate(() => (globalThis as any).__canopy.stats().kinds)).toEqual({ leaf: 3 });
    } finally {
      await browser.close();
      await c.stop();
    }
  });
});
