// Several clusters at once: one from a kubeconfig context that is not the file's current one, one
// through the in-cluster service account (token and CA files, KUBERNETES_SERVICE_HOST/PORT), each
// with its own cluster node, objects tagged with their cluster, and both joined to the same host.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sComponent } from '../../../src/collectors/k8s/component.ts';
import { clustersOf, k8sSection } from '../../../src/collectors/k8s/config.ts';
import { clusterNodeId } from '../../../src/collectors/k8s/model.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { ids } from '../../../src/topology/ids.ts';
import { openGraphStore, type SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { createRegistry } from '../../../src/util/metrics.ts';
import { FakeApiServer, type Obj } from './api-server.ts';
import { find, fixtureObjects, uidFor, validate } from './fixtures.ts';

async function waitFor(cond: () => boolean, ms = 8000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('k8s config', () => {
  it("today's enabled + kubeconfig keys still mean one cluster, named default", () => {
    const cfg = configSchema.parse({ k8s: { enabled: true, kubeconfig: '/etc/canopy/kubeconfig' } });
    expect(clustersOf(cfg.k8s)).toEqual([{ name: 'default', kubeconfig: '/etc/canopy/kubeconfig' }]);
  });

  it('clusters inherit the top-level kubeconfig; inCluster adds one; unknown keys are errors', () => {
    const cfg = k8sSection.parse({
      kubeconfig: '/k',
      clusters: [
        { name: 'a', context: 'ca' },
        { name: 'b', kubeconfig: '/b' },
      ],
      inCluster: true,
    });
    expect(clustersOf(cfg)).toEqual([
      { name: 'a', kubeconfig: '/k', context: 'ca' },
      { name: 'b', kubeconfig: '/b' },
      { name: 'in-cluster', inCluster: true },
    ]);
    expect(() => k8sSection.parse({ clusters: [{ name: 'a', server: 'x' }] })).toThrow(/server/);
  });
});

describe('k8s start-up', () => {
  it('a missing kubeconfig or context fails the start, naming it', async () => {
    const store = openGraphStore({ path: ':memory:' });
    try {
      const missing = new K8sComponent(
        k8sSection.parse({ enabled: true, kubeconfig: '/nonexistent/kubeconfig' }),
        store,
        createRegistry(false),
        silentLogger(),
      );
      await expect(missing.start()).rejects.toThrow(/nonexistent\/kubeconfig/);
      const api = new FakeApiServer();
      try {
        const file = api.kubeconfig('t');
        const cfg = k8sSection.parse({ enabled: true, clusters: [{ name: 'x', kubeconfig: file, context: 'nope' }] });
        await expect(new K8sComponent(cfg, store, createRegistry(false), silentLogger()).start()).rejects.toThrow(/nope/);
        if (!process.env.KUBERNETES_SERVICE_HOST) {
          const inCluster = k8sSection.parse({ enabled: true, inCluster: true });
          await expect(new K8sComponent(inCluster, store, createRegistry(false), silentLogger()).start()).rejects.toThrow(
            /not running in a pod/,
          );
        }
      } finally {
        await api.stop();
      }
    } finally {
      store.close();
    }
  });
});

describe('kinds the account may not list', () => {
  it('a 403 on Secrets and a 404 on EndpointSlices hold nothing up: the rest syncs, the refusal is shown', async () => {
    const api = new FakeApiServer();
    const store = openGraphStore({ path: ':memory:' });
    const objs = fixtureObjects();
    const registry = createRegistry(false);
    let k8s: K8sComponent | undefined;
    try {
      await api.start();
      for (const o of objs) api.apply(validate(o));
      api.forbidden.add('/api/v1/secrets');
      api.notServed.add('/apis/discovery.k8s.io/v1/endpointslices');
      const cfg = k8sSection.parse({ enabled: true, kubeconfig: api.kubeconfig('token-1'), batchDelay: 0.02 });
      k8s = new K8sComponent(cfg, store, registry, silentLogger());
      await k8s.start();
      const st = () => (k8s!.status().clusters as Record<string, any>).default;
      await waitFor(() => st()?.synced === true, 10_000, 'synced despite the refusals');
      k8s.flushAll();
      expect(st().kinds.secret).toMatchObject({ listed: false, absent: true });
      expect(st().kinds.secret.lastError).toMatch(/^403/);
      expect(st().kinds.endpointslice).toMatchObject({ listed: false, absent: true });
      expect(store.getNode(find(objs, 'Secret', 'db-credentials').metadata.uid)).toBeUndefined();
      expect(store.getNode(find(objs, 'Pod', 'db-0').metadata.uid)).toBeDefined();
      const errors = (await registry.getSingleMetric('canopy_k8s_errors_total')!.get()).values;
      expect(errors.some((v) => v.labels.kind === 'secret' && v.labels.code === '403' && v.value > 0)).toBe(true);
    } finally {
      await k8s?.stop();
      store.close();
      await api.stop();
    }
  });
});

describe('several clusters, one of them in-cluster', () => {
  const east = new FakeApiServer();
  const west = new FakeApiServer();
  const dir = mkdtempSync(join(tmpdir(), 'canopy-k8s-clusters-'));
  let store: SqliteGraphStore;
  let k8s: K8sComponent;
  const env = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  const objs = fixtureObjects();
  // The west cluster: its own namespace, a node with the same name as east's, one pod on it.
  const westNs = { ...find(objs, 'Namespace', 'shop'), metadata: { name: 'shop', uid: uidFor('west/shop') } } as Obj;
  const westNode = find(objs, 'Node', 'worker-1');
  westNode.metadata.uid = uidFor('west/worker-1');
  const westPod = find(objs, 'Pod', 'web-7d9c8f6b4-abcde');
  westPod.metadata.uid = uidFor('west/pod');
  delete westPod.metadata.ownerReferences;
  const host = ids.host('worker-1');

  beforeAll(async () => {
    await east.start();
    await west.start();
    for (const o of objs) east.apply(validate(o));
    for (const o of [westNs, westNode, westPod]) west.apply(validate(o));
    // A kubeconfig whose current context points nowhere: the configured context must be used.
    const file = east.kubeconfig('token-1', join(dir, 'kubeconfig'), 'east');
    const text = readFileSync(file, 'utf8')
      .replace('current-context: east', 'current-context: broken')
      .replace('contexts:\n', 'contexts:\n- name: broken\n  context:\n    cluster: nowhere\n    user: canopy\n')
      .replace('clusters:\n', 'clusters:\n- name: nowhere\n  cluster:\n    server: https://127.0.0.1:1\n');
    writeFileSync(file, text);
    // The pod's service account, under a temp root.
    const sa = join(dir, 'root/var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'token-1');
    writeFileSync(join(sa, 'ca.crt'), west.ca);
    writeFileSync(join(sa, 'namespace'), 'canopy');
    process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = String(west.port);
    store = openGraphStore({ path: ':memory:' });
    store.write((tx) => tx.upsertNode({ ID: host, Origin: 'agent.worker-1', Metadata: { Type: 'host', Name: 'worker-1' } }));
    const cfg = k8sSection.parse({
      enabled: true,
      clusters: [{ name: 'east', kubeconfig: file, context: 'east' }],
      inCluster: true,
      inClusterName: 'west',
      batchDelay: 0.02,
    });
    k8s = new K8sComponent(cfg, store, createRegistry(false), silentLogger(), { inClusterRoot: join(dir, 'root') });
    await k8s.start();
  });

  afterAll(async () => {
    await k8s?.stop();
    store?.close();
    await east.stop();
    await west.stop();
    rmSync(dir, { recursive: true, force: true });
    if (env.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = env.host;
    if (env.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = env.port;
  });

  it('both clusters listed, each object under its own cluster node, both k8s nodes joined to the one host', async () => {
    const st = () => k8s.status().clusters as Record<string, { synced: boolean }>;
    await waitFor(() => st().east?.synced === true && st().west?.synced === true, 10_000, 'both synced');
    k8s.flushAll();
    expect(store.getNode(clusterNodeId('east'))?.Metadata).toMatchObject({ Type: 'cluster', Name: 'east' });
    expect(store.getNode(clusterNodeId('west'))?.Metadata).toMatchObject({ Type: 'cluster', Name: 'west' });
    const eastNode = find(objs, 'Node', 'worker-1').metadata.uid;
    expect(store.getNode(eastNode)?.Host).toBe('east');
    expect((store.getNode(westNode.metadata.uid)?.Metadata.K8s as { Cluster: string }).Cluster).toBe('west');
    expect(store.getEdge(ids.edge(clusterNodeId('west'), westNode.metadata.uid, 'ownership'))).toBeDefined();
    expect(store.getEdge(ids.edge(westNode.metadata.uid, westPod.metadata.uid, 'node'))).toBeDefined();
    expect(store.getEdge(ids.edge(host, eastNode, 'host'))).toBeDefined();
    expect(store.getEdge(ids.edge(host, westNode.metadata.uid, 'host'))).toBeDefined();
    // The in-cluster client sent the service-account token.
    expect(west.requests.length).toBeGreaterThan(0);
    expect(west.requests.every((r) => r.status === 200)).toBe(true);
  });
});
