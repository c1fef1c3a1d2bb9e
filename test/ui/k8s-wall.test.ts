// The wall in Chromium with the real Kubernetes source: a collector whose k8s component watches the
// local list/watch server (test/collectors/k8s/api-server.ts) and whose fabric (leaf1, worker-1
// cabled to its eth3) is published through /ws/publisher. The pods of worker-1 appear under its k8s
// node under the host, folded behind +N; a pod going NotReady turns the group amber, and the pod red.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './browser.ts';
import { openPage, publishFabric, screenshot, startUiCollector, waitForGraph, type UiCollector } from './helpers.ts';
import { uiComponent } from '../../src/ui/component.ts';
import { k8sComponent } from '../../src/collectors/k8s/component.ts';
import { ids, idFor } from '../../src/topology/ids.ts';
import type { Fabric } from '../../src/ui/web/fabric.ts';
import { St } from '../../src/ui/web/model/types.ts';
import { FakeApiServer } from '../collectors/k8s/api-server.ts';
import { find, fixtureObjects, uidFor, validate } from '../collectors/k8s/fixtures.ts';

describe.skipIf(chromiumMissing)('Kubernetes pods on the wall (Chromium)', () => {
  const api = new FakeApiServer();
  const objs = fixtureObjects();
  let browser: Browser;
  let c: UiCollector;
  const k8sNode = find(objs, 'Node', 'worker-1').metadata.uid;
  const podA = find(objs, 'Pod', 'web-7d9c8f6b4-abcde').metadata.uid;
  const leaf = idFor('test', 'switch', 'leaf1');
  const port = ids.port(leaf, 3);
  const host = ids.host('worker-1');
  const eth0 = ids.hostInterface(host, 'eth0');

  beforeAll(async () => {
    await api.start();
    for (const o of objs) api.apply(validate(o));
    const second = find(objs, 'Pod', 'web-7d9c8f6b4-fghij') as any;
    second.metadata.name = 'web-7d9c8f6b4-klmno';
    second.metadata.uid = uidFor('web-7d9c8f6b4-klmno');
    second.spec.nodeName = 'worker-1';
    api.apply(validate(second));
    browser = (await launchChromium())!;
    c = await startUiCollector({ 'k8s.enabled': true, 'k8s.kubeconfig': api.kubeconfig('token-1'), 'k8s.batchDelay': 0.02 }, undefined, [
      uiComponent(),
      k8sComponent,
    ]);
    const md = (Type: string, Name: string, extra: Record<string, unknown> = {}) => ({ Type, Name, ...extra });
    const fab = {
      nodes: [
        { ID: leaf, Metadata: md('switch', 'leaf1', { Role: 'leaf' }) },
        { ID: port, Metadata: md('port', 'eth3', { State: 'UP' }) },
        { ID: host, Metadata: md('host', 'worker-1') },
        { ID: eth0, Metadata: md('device', 'eth0', { State: 'UP', IPV4: ['10.0.0.11/24'] }) },
      ],
      edges: [
        { ID: ids.edge(leaf, port, 'ownership'), Parent: leaf, Child: port, Metadata: { RelationType: 'ownership' } },
        { ID: ids.edge(host, eth0, 'ownership'), Parent: host, Child: eth0, Metadata: { RelationType: 'ownership' } },
        { ID: ids.edge(port, eth0, 'layer2'), Parent: port, Child: eth0, Metadata: { RelationType: 'layer2' } },
      ],
    } as unknown as Fabric;
    await publishFabric(c, fab);
    const deadline = Date.now() + 15_000;
    while (!c.collector.store.getEdge(ids.edge(host, k8sNode, 'host'))) {
      if (Date.now() > deadline) throw new Error('host → k8s node join never appeared');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await browser?.close();
    await c?.stop();
    await api.stop();
  });

  it('worker-1 expanded shows its k8s node and +2 pods; a NotReady pod is red', async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 2);
    const cv = (f: string, ...a: unknown[]) => page.evaluate(([f, a]) => (globalThis as any).__canopy[f](...a), [f, a] as const);
    // Folded: only the leaf and its host group; no cluster in the unattached corner.
    expect((await cv('stats')).kinds).toEqual({ leaf: 1, group: 1 });
    await page.evaluate((id) => (globalThis as any).__canopy.app.flyToGraphNode(id), k8sNode);
    await page.waitForFunction((id) => (globalThis as any).__canopy.node(id) !== null, k8sNode, { timeout: 5000 });
    expect(await cv('node', k8sNode)).toMatchObject({ kind: 'host', label: 'worker-1 (k8s)' });
    const group = `pods:${k8sNode}`;
    expect(await cv('node', group)).toMatchObject({ kind: 'group', label: '+2', state: St.Up });
    expect(await cv('link', host, k8sNode)).toBeNull(); // containment is drawn as an own-link, not a wire
    // The pod goes NotReady in the cluster: the folded group turns amber.
    const p = api.get('Pod', 'shop', 'web-7d9c8f6b4-abcde') as any;
    p.status.conditions = p.status.conditions.map((x: any) => (x.type === 'Ready' ? { ...x, status: 'False' } : x));
    api.apply(validate(p));
    await page.waitForFunction(([g, s]) => (globalThis as any).__canopy.node(g)?.state === s, [group, St.Degraded] as const, {
      timeout: 5000,
    });
    // Opened (search flies to the pod): the pod itself is red, on the canvas too.
    await page.evaluate((id) => (globalThis as any).__canopy.app.flyToGraphNode(id), podA);
    await page.waitForFunction(([id, s]) => (globalThis as any).__canopy.node(id)?.state === s, [podA, St.Down] as const, {
      timeout: 5000,
    });
    expect(await cv('node', podA)).toMatchObject({ kind: 'container', label: 'web-7d9c8f6b4-abcde' });
    await page.waitForTimeout(1500);
    const px = await page.evaluate((id) => {
      const cvs = (globalThis as any).__canopy;
      const [x, y] = cvs.node(id).screen;
      const ctx = (globalThis as any).document.getElementById('graph').getContext('2d');
      return [...ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data];
    }, podA);
    expect(px[0]).toBeGreaterThan(200);
    expect(px[1]).toBeLessThan(100);
    // The whole picture for the README: leaf, host, its k8s node, the pods (the red one selected).
    await page.evaluate(() => (globalThis as any).__canopy.app.r.fit(undefined, false));
    await page.waitForTimeout(300);
    await screenshot(page, 'ui-k8s-pods.png');
    await page.close();
  }, 60_000);
});
