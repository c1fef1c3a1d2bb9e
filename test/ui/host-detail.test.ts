// The wall display in Chromium: expanding a host an agent reports shows its interfaces, its
// network namespaces and its containers (also those inside a namespace), each joined to its owner
// (host → netns/interface/container, netns → container), and an interface going DOWN turns red.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './browser.ts';
import { openPage, publishFabric, startUiCollector, waitForGraph, type UiCollector } from './helpers.ts';
import type { Fabric } from '../../src/ui/web/fabric.ts';
import { St } from '../../src/ui/web/model/types.ts';
import { ids } from '../../src/topology/ids.ts';

const own = (p: string, c: string) => ({ ID: ids.edge(p, c, 'ownership'), Parent: p, Child: c, Metadata: { RelationType: 'ownership' } });
// A TOR with one port wired to the host's eth0; the host as the agent publishes it.
const nodes = [
  { ID: 'tor', Metadata: { Type: 'switch', Name: 'tor1' } },
  { ID: 'tor.p1', Metadata: { Type: 'port', Name: 'Ethernet1', State: 'UP' } },
  { ID: 'h', Metadata: { Type: 'host', Name: 'web1' } },
  { ID: 'h.eth0', Metadata: { Type: 'device', Name: 'eth0', State: 'UP', MAC: '02:00:00:00:00:01' } },
  { ID: 'h.app0', Metadata: { Type: 'veth', Name: 'app0', State: 'UP' } },
  { ID: 'h.ns', Metadata: { Type: 'netns', Name: 'app', Path: '/run/netns/app' } },
  { ID: 'h.ns.eth0', Metadata: { Type: 'veth', Name: 'eth0', State: 'UP', Netns: 'app' } },
  { ID: 'h.c1', Metadata: { Type: 'container', Name: 'nginx' } },
  { ID: 'h.c2', Metadata: { Type: 'container', Name: 'redis' } },
];
const edges = [
  own('tor', 'tor.p1'),
  own('h', 'h.eth0'),
  own('h', 'h.app0'),
  own('h', 'h.ns'),
  own('h.ns', 'h.ns.eth0'),
  own('h', 'h.c1'),
  own('h.ns', 'h.c2'),
  { ID: ids.edge('h.eth0', 'tor.p1', 'layer2'), Parent: 'h.eth0', Child: 'tor.p1', Metadata: { RelationType: 'layer2' } },
  {
    ID: ids.edge('h.app0', 'h.ns.eth0', 'layer2'),
    Parent: 'h.app0',
    Child: 'h.ns.eth0',
    Metadata: { RelationType: 'layer2', Type: 'veth' },
  },
];

describe.skipIf(chromiumMissing)('an expanded host in Chromium', () => {
  let browser: Browser;
  let c: UiCollector;

  beforeAll(async () => {
    browser = (await launchChromium())!;
    c = await startUiCollector();
    await publishFabric(c, { nodes, edges } as unknown as Fabric);
  });
  afterAll(async () => {
    await browser?.close();
    await c?.stop();
  });

  it('shows its interfaces, namespaces and containers, joined to their owners; an interface DOWN turns red', async () => {
    const page = await openPage(browser, `${c.base}/?expand=all`);
    await waitForGraph(page, 2);
    const hook = <T>(fn: string, ...args: unknown[]) =>
      page.evaluate(([f, a]) => (globalThis as any).__canopy[f](...a), [fn, args] as const) as Promise<T>;
    expect(await hook('stats')).toMatchObject({ kinds: { leaf: 1, host: 1 } });
    // Select the host, then ask for its detail from the panel.
    const [x, y] = (await hook<{ screen: [number, number] }>('node', 'h')).screen;
    await page.mouse.click(x, y);
    await page.waitForSelector('#panel:not([hidden]) h2');
    await page.click('#panel button:has-text("Show containers")');
    await page.waitForFunction(() => (globalThis as any).__canopy.stats().kinds.iface === 2);
    expect((await hook<{ kinds: Record<string, number> }>('stats')).kinds).toEqual({ leaf: 1, host: 1, container: 2, netns: 1, iface: 2 });
    const kind = async (id: string) => (await hook<{ kind: string } | null>('node', id))?.kind;
    expect([await kind('h.eth0'), await kind('h.app0'), await kind('h.ns'), await kind('h.c1'), await kind('h.c2')]).toEqual([
      'iface',
      'iface',
      'netns',
      'container',
      'container',
    ]);
    // The interface inside the namespace is shown by its namespace, not on its own.
    expect(await hook('node', 'h.ns.eth0')).toBeNull();
    // Ownership lines: host → interface/netns/container, netns → its container.
    const ownLinks = await page.evaluate(() => {
      const vm = (globalThis as any).__canopy.app.vm;
      return vm.links
        .filter((l: any) => l.own)
        .map((l: any) => `${vm.nodes[l.a].id}>${vm.nodes[l.b].id}`)
        .sort();
    });
    expect(ownLinks).toEqual(['h.ns>h.c2', 'h>h.app0', 'h>h.c1', 'h>h.eth0', 'h>h.ns']);
    // The TOR wire still ends on the host.
    expect(await hook('link', 'h', 'tor')).toMatchObject({ edges: 1 });
    const captions = await page.evaluate(() => (globalThis as any).__canopy.app.vm.tiers.map((t: { text: string }) => t.text));
    expect(captions).toEqual(expect.arrayContaining(['CONTAINERS', 'INTERFACES / NAMESPACES']));
    // Below the containers, which sit below the host.
    const yOf = async (id: string) => (await hook<{ y: number }>('node', id)).y;
    expect(await yOf('h.c1')).toBeGreaterThan(await yOf('h'));
    expect(await yOf('h.eth0')).toBeGreaterThan(await yOf('h.c1'));

    const r = await fetch(`${c.base}/api/node/h.eth0`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'add', path: '/Metadata/State', value: 'DOWN' }]),
    });
    expect(r.ok).toBe(true);
    await page.waitForFunction(([down]) => (globalThis as any).__canopy.node('h.eth0').state === down, [St.Down] as const);

    // Hidden again: only the host.
    await page.click('#panel button:has-text("Hide containers")');
    await page.waitForFunction(() => (globalThis as any).__canopy.stats().kinds.iface === undefined);
    expect((await hook<{ kinds: Record<string, number> }>('stats')).kinds).toEqual({ leaf: 1, host: 1 });
    await page.close();
  });
});
