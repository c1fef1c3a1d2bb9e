// The wall's change list and cabling check, in Debian's Chromium against a real collector: a
// published fabric, then a port going DOWN, a link going DOWN and an MTU change; moving the time
// slider lists the window's changes (as GET /api/changes has them) and outlines the changed
// elements on the map; with topology.cablingIntent set, GET /api/cabling answers and the wall
// lists the missing/miswired cables and marks the miswired links. Without an intent the endpoint
// says so and the box stays hidden.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './browser.ts';
import { openPage, publishFabric, setState, startUiCollector, waitForGraph, type UiCollector } from './helpers.ts';
import { generateFabric } from '../../src/ui/web/fabric.ts';

const fab = generateFabric({ spines: 2, leaves: 2, hosts: 4, dualHomed: 0, containersPerHost: 0 });
const byName = (name: string) => fab.nodes.find((n) => n.Metadata.Name === name)!.ID;
const portOf = (sw: string, port: string) => {
  const own = fab.edges.filter((e) => e.Parent === byName(sw) && e.Metadata.RelationType === 'ownership').map((e) => e.Child);
  return fab.nodes.find((n) => own.includes(n.ID) && n.Metadata.Name === port)!.ID;
};
const linkAt = (port: string) => fab.edges.find((e) => e.Metadata.RelationType === 'layer2' && (e.Parent === port || e.Child === port))!;

// spine-01 Ethernet2 is cabled to leaf-002 Ethernet1; the plan says Ethernet2 there (miswired), and
// names a cable between ports that do not exist (missing).
const PLAN = `a_device,a_port,b_device,b_port
spine-01,Ethernet1,leaf-001,Ethernet1
spine-02,Ethernet1,leaf-001,Ethernet2
spine-01,Ethernet2,leaf-002,Ethernet2
spine-02,Ethernet7,leaf-002,Ethernet7
`;

describe.skipIf(chromiumMissing)('the wall: change list of the slider window, cabling check', () => {
  let browser: Browser;
  let c: UiCollector;
  let bare: UiCollector;
  let page: Page;
  let dir: string;
  let tChanged = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-wall-tl-'));
    const plan = join(dir, 'plan.csv');
    writeFileSync(plan, PLAN);
    [browser, c, bare] = await Promise.all([
      launchChromium().then((b) => b!),
      startUiCollector({ 'topology.cablingIntent': plan }),
      startUiCollector(),
    ]);
    const mtu = portOf('spine-02', 'Ethernet1');
    fab.nodes.find((n) => n.ID === mtu)!.Metadata.MTU = 1500; // 9216 below
    await publishFabric(c, fab);
    await new Promise((r) => setTimeout(r, 50));
    tChanged = Date.now();
    await new Promise((r) => setTimeout(r, 10));
    await setState(c.base, portOf('leaf-001', 'Ethernet3'), 'DOWN');
    const uplink = linkAt(portOf('leaf-002', 'Ethernet2'));
    const r = await fetch(`${c.base}/api/edge/${encodeURIComponent(uplink.ID)}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'add', path: '/Metadata/State', value: 'DOWN' }]),
    });
    expect(r.status).toBe(200);
    const m = await fetch(`${c.base}/api/node/${encodeURIComponent(portOf('spine-02', 'Ethernet1'))}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'add', path: '/Metadata/MTU', value: 9216 }]),
    });
    expect(m.status).toBe(200);
    page = await openPage(browser, c.base + '/');
    await waitForGraph(page, 4);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([c?.stop(), bare?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The marked display elements: node IDs and links as "a|b", with their colours. */
  const marked = () =>
    page.evaluate(() => {
      const w = globalThis as any;
      const vm = w.__canopy.app.vm;
      const nodes: Record<string, string> = {};
      const links: Record<string, string> = {};
      for (const m of w.__canopyTimeline.marks()) {
        for (const [i, col] of m.nodes) nodes[vm.nodes[i].id] = col;
        for (const [i, col] of m.links) links[[vm.nodes[vm.links[i].a].id, vm.nodes[vm.links[i].b].id].sort().join('|')] = col;
      }
      return { nodes, links, drawn: { ...w.__canopyTimeline.drawn } };
    });

  it('the slider lists the window’s changes newest first, as /api/changes has them, and outlines what changed', async () => {
    expect(await page.locator('#changes').isHidden()).toBe(true);
    // -1m: everything since a minute ago (the fabric's arrival included).
    await page.locator('#slider').fill('9');
    await page.locator('#slider').dispatchEvent('change');
    await page.waitForSelector('#changes:not([hidden]) .change');
    const from = await page.evaluate(() => (globalThis as any).__canopyTimeline.changes.from as number);
    expect(Math.abs(from - (Date.now() - 60_000))).toBeLessThan(10_000);
    const api = ((await (await fetch(`${c.base}/api/changes?from=${from}&to=${Date.now()}`)).json()) as { Changes: { Kind: string }[] })
      .Changes;
    const rows = await page.locator('#changes .change').evaluateAll((els) => els.map((e) => (e as any).dataset.kind as string));
    expect(rows).toEqual(api.map((x) => x.Kind).reverse());
    expect(await page.locator('#changes h3').textContent()).toContain(`${api.length} changes since`);

    // The slider at an instant just before the three changes (the -1m stop predates the fabric,
    // so the map there is empty): the graph as it was then, exactly those changes, outlined.
    const syncs = await page.evaluate(() => (globalThis as any).__canopy.stats().syncs as number);
    await page.evaluate((t) => {
      const w = globalThis as any;
      w.__canopy.app.sub.time = t;
      w.__canopy.app.sub.resync();
      return w.__canopyTimeline.changes.show(t);
    }, tChanged);
    await page.waitForFunction(
      (n) => (globalThis as any).__canopy.stats().syncs > n && (globalThis as any).__canopy.stats().nodes >= 4,
      syncs,
    );
    const kinds = await page.locator('#changes .change').evaluateAll((els) => els.map((e) => (e as any).dataset.kind as string));
    expect(kinds).toEqual(['mtu-changed', 'link-down', 'link-down']);
    expect(await page.locator('#changes .change').first().textContent()).toContain('1500 → 9216');
    await page.waitForTimeout(100);
    const m = await marked();
    const uplink = linkAt(portOf('leaf-002', 'Ethernet2'));
    const display = (gid: string) => page.evaluate((id) => (globalThis as any).__canopy.app.vm.displayOf(id) as string, gid);
    const [leaf1, spine2, a, b] = [
      await display(portOf('leaf-001', 'Ethernet3')),
      await display(portOf('spine-02', 'Ethernet1')),
      await display(uplink.Parent!),
      await display(uplink.Child!),
    ];
    expect(m.nodes[leaf1]).toBe('#3ea6ff');
    expect(m.nodes[spine2]).toBe('#3ea6ff');
    expect(m.links[[a, b].sort().join('|')]).toBe('#3ea6ff');
    expect(m.drawn.nodes + m.drawn.links).toBeGreaterThanOrEqual(3);
    // A row flies to its element and selects what displays it.
    await page.locator('#changes .change').last().click();
    await page.waitForFunction(
      (id) => (globalThis as any).__canopy.app.r.selected === (globalThis as any).__canopy.app.vm.index.get(id),
      leaf1,
    );

    // Back to now: the list goes, and the change marks with it.
    await page.locator('#slider').fill('10');
    await page.locator('#slider').dispatchEvent('change');
    await page.waitForSelector('#changes', { state: 'hidden' });
    await page.waitForFunction(
      () => (globalThis as any).__canopy.app.sub.time === undefined && (globalThis as any).__canopy.stats().nodes >= 4,
    );
    expect(Object.values((await marked()).nodes)).not.toContain('#3ea6ff');
  }, 30_000);

  it('the cabling check of the configured plan: listed with both ports, miswired links marked on the map', async () => {
    const r = await fetch(`${c.base}/api/cabling`);
    expect(r.status).toBe(200);
    const rep = (await r.json()) as any;
    expect(rep.Intent).toMatch(/plan\.csv$/);
    expect(rep.missing.map((x: any) => x.planned.line)).toEqual([5]);
    expect(rep.miswired.length).toBeGreaterThan(0);
    const mis = rep.miswired.find((x: any) => x.expected.port === 'Ethernet2' && x.expected.device === 'leaf-002');
    expect(mis.found).toMatchObject({ device: 'leaf-002', port: 'Ethernet1' });
    await page.waitForSelector('#cabling:not([hidden]) .cable');
    const box = await page.locator('#cabling').textContent();
    expect(box).toContain(`Cabling: ${rep.missing.length + rep.miswired.length + rep.unexpected.length} of`);
    expect(box).toContain('expected leaf-002 Ethernet2, found leaf-002 Ethernet1');
    expect(await page.locator('#cabling .miswired').count()).toBe(rep.miswired.length);
    expect(await page.locator('#cabling .missing').count()).toBe(1);
    const m = await marked();
    const [s1, l2] = await page.evaluate(
      ([a, b]) => [(globalThis as any).__canopy.app.vm.displayOf(a) as string, (globalThis as any).__canopy.app.vm.displayOf(b) as string],
      [byName('spine-01'), byName('leaf-002')],
    );
    expect(m.links[[s1, l2].sort().join('|')], JSON.stringify({ m, s1, l2, mis: rep.miswired })).toBe('#ff8a00');
    // The missing cable's devices are outlined.
    expect(m.nodes[await page.evaluate((id) => (globalThis as any).__canopy.app.vm.displayOf(id), byName('spine-02'))]).toBe('#ff3b30');
  }, 30_000);

  it('a plan that cannot be read or parsed is a 503 naming the file (and the line)', async () => {
    const plan = join(dir, 'plan.csv');
    try {
      writeFileSync(plan, 'a_device,a_port,b_device,b_port\nspine-01,Ethernet1,leaf-001\n');
      const bad = await fetch(`${c.base}/api/cabling`);
      expect(bad.status).toBe(503);
      const p = (await bad.json()) as { detail: string; line: number };
      expect(p.detail).toContain(plan);
      expect(p.line).toBe(2);
      rmSync(plan);
      const gone = await fetch(`${c.base}/api/cabling`);
      expect(gone.status).toBe(503);
      expect(((await gone.json()) as { detail: string }).detail).toContain('ENOENT');
    } finally {
      writeFileSync(plan, PLAN);
    }
    expect((await fetch(`${c.base}/api/cabling`)).status).toBe(200);
  });

  it('no plan configured: GET /api/cabling says so ({"Intent": null}) and the wall shows no cabling box', async () => {
    const r = await fetch(`${bare.base}/api/cabling`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ Intent: null });
    const p = await openPage(browser, bare.base + '/');
    try {
      await waitForGraph(p, 0);
      await p.waitForTimeout(300);
      expect(await p.locator('#cabling').isHidden()).toBe(true);
    } finally {
      await p.close();
    }
  }, 30_000);
});
