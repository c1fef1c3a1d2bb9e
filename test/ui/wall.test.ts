// The wall as an operator first meets it (issue 16), in Debian's Chromium against a real
// collector: the fabric fills the viewport at several sizes (normal and kiosk) with an sFlow
// exporter that no switch answers for kept in a corner and no empty tier; the header counts the
// graph's links whatever is collapsed, worded for one and many; search ranks "h1" before "…eth1";
// expanded hosts are labelled; host and switch panels show MAC/IP/OS and SysDescr/uptime; the
// panel shows the flows the collector has for a port and a host; the UI has a favicon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './browser.ts';
import { openPage, publishFabric, screenshot, setState, startUiCollector, waitForGraph, type UiCollector } from './helpers.ts';
import { generateFabric, type Element } from '../../src/ui/web/fabric.ts';
import { canopyIds } from '../../src/demo/demo.ts';
import { defaultComponents } from '../../src/components.ts';
import { datagrams } from '../collectors/sflow/fixtures.ts';

const SPEC = { spines: 2, leaves: 4, hosts: 24, dualHomed: 4, containersPerHost: 2, omitRoles: true, hostName: (i: number) => `h${i + 1}` };
const BOOT = Date.now() - (5 * 86400 + 3 * 3600) * 1000;
const SYSDESCR = 'Canopy sim-48, SONiC 202311 x86_64';

/** The fabric plus what flow attribution makes of an exporter no polled switch answers for. */
function wallFabric() {
  const fab = generateFabric(SPEC);
  const leaf = fab.nodes.find((n) => n.ID === fab.leafIds[0])!;
  Object.assign(leaf.Metadata, { SysDescr: SYSDESCR, BootTime: BOOT });
  fab.nodes.push({ ID: 'exporter:192.0.2.200', Metadata: { Type: 'exporter', Name: '192.0.2.200', MgmtAddress: '192.0.2.200' } });
  fab.nodes.push({ ID: 'exporter:192.0.2.200.p3', Metadata: { Type: 'port', Name: 'ifIndex 3', IfIndex: 3 } });
  fab.edges.push({
    ID: 'own:exporter-p3',
    Parent: 'exporter:192.0.2.200',
    Child: 'exporter:192.0.2.200.p3',
    Metadata: { RelationType: 'ownership' },
  });
  return fab;
}

/** Records every string the page draws on a canvas, so tests see labels and captions as drawn. */
async function recordCanvasText(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const g = globalThis as any;
    g.__drawn = new Set<string>();
    const orig = g.CanvasRenderingContext2D.prototype.fillText;
    g.CanvasRenderingContext2D.prototype.fillText = function (t: string, ...rest: unknown[]) {
      g.__drawn.add(t);
      return orig.call(this, t, ...rest);
    };
  });
}

/** What the next frame draws (text), after the camera settled. */
async function drawnText(page: Page): Promise<string[]> {
  await page.waitForTimeout(900);
  await page.evaluate(() => {
    (globalThis as any).__drawn.clear();
    (globalThis as any).__canopy.app.r.invalidate();
  });
  await page.waitForTimeout(150);
  return page.evaluate(() => [...(globalThis as any).__drawn] as string[]);
}

interface Geometry {
  usable: { x0: number; y0: number; x1: number; y1: number };
  nodes: { id: string; kind: string; x: number; y: number }[];
}

/** Screen positions of every displayed node and the canvas area the chrome leaves free. */
async function geometry(page: Page, kiosk: boolean): Promise<Geometry> {
  return page.evaluate((k) => {
    const c = (globalThis as any).__canopy;
    const doc = (globalThis as any).document;
    const rect = (id: string) => doc.getElementById(id).getBoundingClientRect();
    const nodes = c.app.vm.nodes.map((v: any) => {
      const [x, y] = c.node(v.id).screen;
      return { id: v.id, kind: v.kind, x, y };
    });
    const w = (globalThis as any).innerWidth;
    const h = (globalThis as any).innerHeight;
    return { usable: { x0: 0, y0: rect(k ? 'kiosk-head' : 'bar').bottom, x1: w, y1: Math.min(h, rect('legend').top) }, nodes };
  }, kiosk);
}

function span(list: { x: number; y: number }[]) {
  const xs = list.map((n) => n.x);
  const ys = list.map((n) => n.y);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
}

describe.skipIf(chromiumMissing)('the wall fills the screen and says what is true', () => {
  let browser: Browser;
  let c: UiCollector;
  const fab = wallFabric();

  beforeAll(async () => {
    browser = (await launchChromium())!;
    c = await startUiCollector();
    await publishFabric(c, fab);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await c?.stop();
  });

  const SIZES = [
    { kiosk: true, width: 1920, height: 1080 },
    { kiosk: false, width: 1920, height: 1080 },
    { kiosk: false, width: 1366, height: 768 },
    { kiosk: true, width: 1080, height: 1920 },
    { kiosk: true, width: 3840, height: 1080 },
  ];
  for (const { kiosk, width, height } of SIZES) {
    it(`fits the tiers to a ${width}×${height} ${kiosk ? 'kiosk' : 'browser'} viewport, the lone exporter in a corner, no empty tier`, async () => {
      const page = await openPage(browser, `${c.base}/${kiosk ? '?kiosk=1&cycle=600' : ''}`, { width, height });
      await recordCanvasText(page);
      await page.reload();
      await waitForGraph(page, 10);
      const drawn = await drawnText(page);
      const { usable, nodes } = await geometry(page, kiosk);
      const uw = usable.x1 - usable.x0;
      const uh = usable.y1 - usable.y0;
      const all = span(nodes);
      const exporter = nodes.find((n) => n.id === 'exporter:192.0.2.200')!;
      const fabric = span(nodes.filter((n) => n !== exporter));
      const msg = `${width}×${height}: nodes ${JSON.stringify(all)}, fabric ${JSON.stringify(fabric)}, usable ${JSON.stringify(usable)}`;
      // Everything is on screen, clear of the chrome, and spans most of the free area both ways.
      expect(all.x0, msg).toBeGreaterThanOrEqual(usable.x0);
      expect(all.x1, msg).toBeLessThanOrEqual(usable.x1);
      expect(all.y0, msg).toBeGreaterThanOrEqual(usable.y0);
      expect(all.y1, msg).toBeLessThanOrEqual(usable.y1);
      // (Less the tier captions' column on the left and room for labels on the right.)
      expect((all.x1 - all.x0) / uw, msg).toBeGreaterThan(0.7);
      expect((all.y1 - all.y0) / uh, msg).toBeGreaterThan(0.75);
      // The fabric itself (spines to hosts) takes the height: the exporter does not stretch it.
      expect((fabric.y1 - fabric.y0) / uh, msg).toBeGreaterThan(0.75);
      expect(exporter.y, msg).toBeLessThan(Math.min(...nodes.filter((n) => n.kind === 'leaf').map((n) => n.y)));
      expect(exporter.x, msg).toBeLessThan(fabric.x0);
      // Captions only for tiers with something on them.
      expect(drawn).toEqual(expect.arrayContaining(['SPINE', 'LEAF / TOR', 'HOSTS', 'UNATTACHED', '192.0.2.200']));
      expect(drawn).not.toContain('CONTAINERS');
      await page.close();
    }, 60_000);
  }

  it('labels the hosts of an expanded group at the fitted zoom (browser and kiosk)', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await recordCanvasText(page);
    await page.reload();
    await waitForGraph(page, 10);
    const tor = fab.leafIds[1]!;
    const members = await page.evaluate(
      (id) =>
        (globalThis as any).__canopy.app.vm.nodes[(globalThis as any).__canopy.app.vm.index.get(id)].members.map(
          (m: string) => (globalThis as any).__canopy.app.g.nodes.get(m).Metadata.Name,
        ),
      `group:${tor}`,
    );
    const at = await page.evaluate((id) => (globalThis as any).__canopy.node(id).screen, `group:${tor}`);
    await page.mouse.click(at[0], at[1]);
    await page.waitForFunction(() => (globalThis as any).__canopy.stats().kinds.host > 0);
    await page.click('#fit');
    const drawn = await drawnText(page);
    expect(members.length).toBeGreaterThan(3);
    for (const m of members) expect(drawn, m).toContain(m);
    await page.close();

    const kiosk = await openPage(browser, `${c.base}/?kiosk=1&cycle=600&expand=all`, { width: 1920, height: 1080 });
    await recordCanvasText(kiosk);
    await kiosk.reload();
    await waitForGraph(kiosk, 30);
    const all = await drawnText(kiosk);
    for (const h of fab.hosts) expect(all, h.name).toContain(h.name);
    await kiosk.close();
  }, 60_000);

  it('ranks "h1" first and the hosts it prefixes next, with no "…eth1" before them', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 10);
    await page.fill('#search', 'h1');
    await page.waitForSelector('#results:not([hidden]) div');
    const rows = await page.$$eval('#results > div', (ds) => ds.map((d) => d.firstChild?.textContent ?? ''));
    expect(rows.slice(0, 11)).toEqual(['h1', 'h10', 'h11', 'h12', 'h13', 'h14', 'h15', 'h16', 'h17', 'h18', 'h19']);
    expect(rows.filter((r) => r.endsWith('eth1'))).toEqual([]);
    await page.press('#search', 'Enter');
    await page.waitForSelector('#panel:not([hidden]) h2');
    expect(await page.textContent('#panel h2')).toBe('h1');
    await page.close();
  }, 60_000);

  it('shows a host with its MAC, IP and OS, and a switch with SysDescr, uptime and a header on every column', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 10);
    const host = fab.hosts[13]!;
    await page.fill('#search', host.name);
    await page.press('#search', 'Enter');
    await page.waitForSelector('#panel:not([hidden]) table.meta');
    const meta = async () =>
      Object.fromEntries(
        await page.$$eval('#panel table.meta tr', (trs) =>
          trs.map((tr) => [tr.querySelector('th')?.textContent ?? '', tr.querySelector('td')?.textContent ?? '']),
        ),
      );
    const hm = await meta();
    expect(hm.MAC).toBe(`${host.mac} (eth0)`);
    expect(hm.IPv4).toBe(`${host.ip}/24 (eth0)`);
    expect(hm.OS).toBe('linux');

    await page.fill('#search', 'leaf-001');
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#panel h2')?.textContent === 'leaf-001');
    const sm = await meta();
    expect(sm.SysDescr).toBe(SYSDESCR);
    expect(sm.Uptime).toMatch(/^5 d 3 h \(since /);
    const heads = await page.$$eval('#panel table.ports tr:first-child th', (ths) => ths.map((t) => t.textContent?.trim() ?? ''));
    expect(heads).toEqual(['port', 'peer', 'load', 'errors']);
    await screenshot(page, 'ui-wall-switch-panel.png');
    await page.close();
  }, 60_000);

  it('counts links down from the graph whatever is collapsed, worded for one and for many', async () => {
    const kiosk = await openPage(browser, `${c.base}/?kiosk=1&cycle=600`, { width: 1920, height: 1080 });
    const normal = await openPage(browser, `${c.base}/`);
    await waitForGraph(kiosk, 10);
    await waitForGraph(normal, 10);
    const sum = (p: Page, sel: string) => p.evaluate((s) => (globalThis as any).document.querySelector(s).textContent, sel);
    const until = (p: Page, sel: string, text: string) =>
      p
        .waitForFunction(([s, t]) => (globalThis as any).document.querySelector(s)?.textContent === t, [sel, text] as const, {
          timeout: 5000,
        })
        .catch(async () => {
          throw new Error(`${sel}: "${await sum(p, sel)}", expected "${text}"`);
        });
    // Three cables pulled: both ends DOWN. Their hosts are folded into groups on the wall.
    const pulled = fab.wires.filter((w) => w.tier === 'leaf-host').slice(0, 3);
    for (const w of pulled) {
      await setState(c.base, w.a, 'DOWN');
      await setState(c.base, w.b, 'DOWN');
    }
    await until(kiosk, '#summary', '3 links down · 0 links degraded');
    await until(normal, '#bar-summary', '3 links down · 0 links degraded');
    expect(await kiosk.evaluate(() => (globalThis as any).__canopy.stats().kinds.host)).toBeUndefined();
    await screenshot(kiosk, 'ui-wall-links-down.png');
    // Two back up, one of them on one end only (degraded): one link down.
    await setState(c.base, pulled[0]!.a, 'UP');
    await setState(c.base, pulled[0]!.b, 'UP');
    await setState(c.base, pulled[1]!.a, 'UP');
    await until(kiosk, '#summary', '1 link down · 1 link degraded');
    // The same when the groups are open.
    const open = await openPage(browser, `${c.base}/?kiosk=1&cycle=600&expand=all`, { width: 1920, height: 1080 });
    await waitForGraph(open, 30);
    await until(open, '#summary', '1 link down · 1 link degraded');
    for (const w of pulled) {
      await setState(c.base, w.a, 'UP');
      await setState(c.base, w.b, 'UP');
    }
    await until(kiosk, '#summary', '0 links down · 0 links degraded');
    await Promise.all([kiosk.close(), normal.close(), open.close()]);
  }, 60_000);

  it('has a favicon: SVG linked from the page, /favicon.ico served, no 404 while loading', async () => {
    const svg = await fetch(`${c.base}/favicon.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(await svg.text()).toContain('<svg');
    const ico = await fetch(`${c.base}/favicon.ico`);
    expect(ico.status).toBe(200);
    expect(ico.headers.get('content-type')).toBe('image/x-icon');
    expect([...new Uint8Array(await ico.arrayBuffer()).slice(0, 4)]).toEqual([0, 0, 1, 0]);
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${c.base}/`);
    await waitForGraph(page, 10);
    expect(await page.$eval('link[rel=icon]', (l) => (l as any).href)).toBe(`${c.base}/favicon.svg`);
    expect(failed).toEqual([]);
    await page.close();
  }, 60_000);
});

describe.skipIf(chromiumMissing)('flows in the side panel', () => {
  // The akvorado sFlow capture: agent 49.49.49.49, one UDP sample leaving ifIndex 182, source MAC
  // 00:fe:c8:99:05:47. The fabric's leaf-001 answers at that address, its Ethernet182 is cabled
  // to a host with that MAC, so the collector's attribution puts the flow on that port.
  const AGENT = '49.49.49.49';
  const HOST_MAC = '00:fe:c8:99:05:47';
  let browser: Browser;
  let c: UiCollector;
  const fab = generateFabric({ ...SPEC, hosts: 8, containersPerHost: 0 }, canopyIds);
  const leafId = fab.leafIds[0]!;
  const portId = canopyIds.port(leafId, 182);
  const hostId = canopyIds.host('flowhost');
  const nicId = canopyIds.iface(hostId, 'eth0');

  beforeAll(async () => {
    Object.assign(fab.nodes.find((n) => n.ID === leafId)!.Metadata, { MgmtAddress: AGENT });
    const add: Element[] = [
      { ID: portId, Metadata: { Type: 'port', Name: 'Ethernet182', IfIndex: 182, State: 'UP', Speed: 25e9 } },
      { ID: hostId, Metadata: { Type: 'host', Name: 'flowhost', OS: 'linux' } },
      { ID: nicId, Metadata: { Type: 'device', Name: 'eth0', State: 'UP', MAC: HOST_MAC, IPV4: ['50.50.50.50/24'] } },
    ];
    fab.nodes.push(...add);
    fab.edges.push(
      { ID: canopyIds.edge(leafId, portId, 'ownership'), Parent: leafId, Child: portId, Metadata: { RelationType: 'ownership' } },
      { ID: canopyIds.edge(hostId, nicId, 'ownership'), Parent: hostId, Child: nicId, Metadata: { RelationType: 'ownership' } },
      { ID: canopyIds.edge(portId, nicId, 'layer2'), Parent: portId, Child: nicId, Metadata: { RelationType: 'layer2' } },
    );
    browser = (await launchChromium())!;
    c = await startUiCollector(
      { 'snmp.enabled': false, 'sflow.listen': '127.0.0.1:0', 'netflow.listen': '127.0.0.1:0', 'ipfix.listen': '127.0.0.1:0' },
      undefined,
      defaultComponents(),
    );
    await publishFabric(c, fab);
    const sflow = (c.collector.status().components as Record<string, { listen?: string[] }>).sflow!;
    const port = Number(sflow.listen![0]!.split(':').pop());
    const sock = createSocket('udp4');
    for (const d of datagrams('akvorado__data-sflow-ipv4-data.pcap'))
      await new Promise<void>((r) => sock.send(d, port, '127.0.0.1', () => r()));
    sock.close();
    const deadline = Date.now() + 10_000;
    while (((await (await fetch(`${c.base}/api/flows?node=${portId}`)).json()) as unknown[]).length === 0) {
      if (Date.now() > deadline) throw new Error('the sFlow sample never reached /api/flows');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await c?.stop();
  });

  const panelFlows = (page: Page) =>
    page.$$eval('#panel .flows table.flow-rows tr', (trs) =>
      trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );

  it('shows the top flows of a port found by search, with the protocol named', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 6);
    await page.fill('#search', 'Ethernet182');
    await page.waitForSelector('#results:not([hidden]) div');
    await page.press('#search', 'Enter');
    await page.waitForSelector('#panel .flows table.flow-rows');
    expect(await page.textContent('#panel h2')).toBe('leaf-001');
    expect(await page.textContent('#panel .flows h3')).toBe('Top flows on Ethernet182');
    const api = (await (await fetch(`${c.base}/api/flows?node=${portId}&top=10`)).json()) as { srcAddr: string; bytes: number }[];
    const rows = await panelFlows(page);
    expect(rows).toHaveLength(api.length);
    expect(rows[0]).toEqual(['50.50.50.50:46622', '51.51.51.51:58631', 'UDP', expect.stringMatching(/ kB$/), 'sflow']);
    await page.close();
  }, 60_000);

  it("shows a host's flows (seen on its TOR port for its MAC) exactly as the collector answers them", async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 6);
    await page.fill('#search', 'flowhost');
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => {
      const f = (globalThis as any).document.querySelector('#panel:not([hidden]) .flows');
      return f && !f.textContent.includes('loading');
    });
    expect(await page.textContent('#panel h2')).toBe('flowhost');
    const r = await fetch(`${c.base}/api/flows?node=${hostId}&top=10`);
    expect(r.status).toBe(200);
    const api = (await r.json()) as { srcAddr: string; srcPort?: number }[];
    // The host's MAC is on its TOR port's sample: the collector answers with that flow.
    expect(api.length).toBeGreaterThan(0);
    const rows = await panelFlows(page);
    expect(rows).toHaveLength(api.length);
    expect(rows[0]![0]).toContain(api[0]!.srcAddr || HOST_MAC);
    await page.close();
  }, 60_000);
});
