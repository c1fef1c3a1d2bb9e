// The Kubernetes source end to end: the real @kubernetes/client-node against a local HTTPS server
// speaking list/watch (./api-server.ts) serving the synthetic cluster of fixtures/k8s/cluster.json,
// every object validated against the Kubernetes OpenAPI schemas first. The graph is asserted after
// the initial list and after each watch step: add/modify/delete, a pod NotReady, a PVC Pending →
// Bound, a PV Released, bookmarks, 410 Gone and a re-list, a dropped connection, an expired token.
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../../src/util/metrics.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { openGraphStore, type SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { ids, idFor } from '../../../src/topology/ids.ts';
import { chooseIndex, parseQuery, runQuery } from '../../../src/topology/query/index.ts';
import { K8sComponent } from '../../../src/collectors/k8s/component.ts';
import { k8sSection } from '../../../src/collectors/k8s/config.ts';
import { containerNodeId } from '../../../src/collectors/k8s/model.ts';
import type { GraphEdge, GraphNode } from '../../../src/topology/types.ts';
import { cookbookBlocks } from '../../lab/cookbook.ts';
import { FakeApiServer, type Obj } from './api-server.ts';
import { find, fixtureObjects, uidFor, validate } from './fixtures.ts';

const SECRET_VALUE = 's3cr3t-Hunter2';

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 8000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Kubernetes source against a list/watch API server', () => {
  const api = new FakeApiServer();
  const objs = fixtureObjects();
  const dir = mkdtempSync(join(tmpdir(), 'canopy-k8s-db-'));
  const dbPath = join(dir, 'canopy.db');
  let store: SqliteGraphStore;
  let k8s: K8sComponent;
  const registry = createRegistry(false);
  let kubeconfig: string;
  const put = (o: Obj, silent = false) => api.apply(validate(o), silent);

  const node = (id: string) => store.getNode(id);
  const uidOf = (kind: string, name: string) => find(objs, kind, name).metadata.uid;
  const byName = (type: string, name: string): GraphNode | undefined =>
    store.findNodes('Name', name).find((n) => n.Metadata.Type === type && n.Metadata.Manager === 'k8s');
  const edge = (parent: string, child: string, rel: string): GraphEdge | undefined => store.getEdge(ids.edge(parent, child, rel));
  const q = (query: string) => runQuery(store, query).value as unknown[];
  const torQuery = () => cookbookBlocks().blocks.find((b) => b.id === 'k8s-pods-behind-port')!.code;
  /** The physical joins and the TOR-port-to-pods answer, asserted after every watch step. */
  const physical = (podsBehindEth3: string[]) => {
    expect(edge(host1, uidOf('Node', 'worker-1'), 'host'), 'worker-1 joined').toBeDefined();
    expect(edge(host2, uidOf('Node', 'worker-2'), 'host'), 'worker-2 joined').toBeDefined();
    expect(edge(host3, uidOf('Node', 'worker-3'), 'host'), 'worker-3 joined').toBeDefined();
    const webA = uidOf('Pod', 'web-7d9c8f6b4-abcde');
    expect(edge(containerNodeId(webA, 'web'), dockerWeb, 'container'), 'docker container joined').toBeDefined();
    expect(edge(containerNodeId(uidOf('Pod', 'db-0'), 'postgres'), runcDb, 'container'), 'runc container joined').toBeDefined();
    expect(edge(webA, podVeth, 'pod'), 'pod IP joined').toBeDefined();
    expect((q(torQuery()) as string[]).sort()).toEqual(podsBehindEth3);
  };
  const ONE = ['web-7d9c8f6b4-abcde'];
  const metric = async (name: string, labels: Record<string, string>) => {
    const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
    return m.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  };

  // The physical side, written through the store in the shapes other sources use (docs/architecture.md#kubernetes).
  const leaf = idFor('test', 'switch', 'leaf1');
  const leafPort = ids.port(leaf, 3);
  const host1 = ids.host('worker-1');
  const host1Eth0 = ids.hostInterface(host1, 'eth0');
  const host2 = ids.host('worker-2.dc1.example.com');
  const host3 = ids.host('rack3-srv7');
  const podVeth = ids.hostInterface(host1, 'eth0', '/var/run/netns/cni-1');
  const webCid = (pod: string) => {
    const p = find(objs, 'Pod', pod) as { status: { containerStatuses: { containerID: string }[] } } & Obj;
    return p.status.containerStatuses[0]!.containerID.replace('containerd://', '');
  };
  const dockerWeb = idFor('test', 'container', 'web-abcde');
  const runcDb = idFor('test', 'container', 'db-0');

  beforeAll(async () => {
    for (const o of objs) validate(o);
    await api.start();
    for (const o of objs) put(o);
    kubeconfig = api.kubeconfig('token-1');
    store = openGraphStore({ path: dbPath });
    store.write((tx) => {
      tx.upsertNode({ ID: leaf, Origin: 'snmp', Metadata: { Type: 'switch', Name: 'leaf1', Role: 'leaf' } });
      tx.upsertNode({ ID: leafPort, Origin: 'snmp', Metadata: { Type: 'port', Name: 'eth3', IfIndex: 3, State: 'UP' } });
      tx.upsertEdge({ ID: ids.edge(leaf, leafPort, 'ownership'), Parent: leaf, Child: leafPort, Metadata: { RelationType: 'ownership' } });
      // worker-1 as the agent reports it, cabled to leaf1 eth3.
      tx.upsertNode({ ID: host1, Origin: 'agent.worker-1', Metadata: { Type: 'host', Name: 'worker-1' } });
      tx.upsertNode({
        ID: host1Eth0,
        Origin: 'agent.worker-1',
        Metadata: { Type: 'device', Name: 'eth0', MAC: '52:54:00:00:00:11', IPV4: ['10.0.0.11/24'], State: 'UP' },
      });
      tx.upsertEdge({
        ID: ids.edge(host1, host1Eth0, 'ownership'),
        Parent: host1,
        Child: host1Eth0,
        Metadata: { RelationType: 'ownership' },
      });
      const [a, b] = leafPort < host1Eth0 ? [leafPort, host1Eth0] : [host1Eth0, leafPort];
      tx.upsertEdge({ ID: ids.edge(a, b, 'layer2'), Parent: a, Child: b, Metadata: { RelationType: 'layer2', Evidence: ['lldp-snmp'] } });
      // worker-2 known by its FQDN (an LLDP neighbour), worker-3 only by its management address.
      tx.upsertNode({ ID: host2, Origin: 'snmp', Metadata: { Type: 'host', Name: 'worker-2.dc1.example.com' } });
      tx.upsertNode({ ID: host3, Origin: 'snmp', Metadata: { Type: 'host', Name: 'rack3-srv7', MgmtAddress: '10.0.0.13' } });
      // The web pod's eth0 inside its network namespace, and its container as Docker reports it.
      tx.upsertNode({ ID: podVeth, Origin: 'agent.worker-1', Metadata: { Type: 'veth', Name: 'eth0', IPV4: ['10.244.1.10/24'] } });
      tx.upsertEdge({ ID: ids.edge(host1, podVeth, 'ownership'), Parent: host1, Child: podVeth, Metadata: { RelationType: 'ownership' } });
      tx.upsertNode({
        ID: dockerWeb,
        Origin: 'agent.worker-1',
        Metadata: { Type: 'container', Name: 'k8s_web_web-abcde', Manager: 'docker', ContainerID: webCid('web-7d9c8f6b4-abcde') },
      });
    });
    const cfg = k8sSection.parse({ enabled: true, kubeconfig, backoffMin: 0.05, backoffMax: 0.5, batchDelay: 0.02 });
    // Small pages, so lists take several (limit/continue).
    k8s = new K8sComponent(cfg, store, registry, silentLogger(), { pageSize: 2 });
    await k8s.start();
  });

  afterAll(async () => {
    await k8s?.stop();
    store?.close();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fixtures are valid for the Kubernetes OpenAPI schemas, and the validator does reject a broken object', () => {
    expect(objs).toHaveLength(25);
    const broken = find(objs, 'Pod', 'db-0') as Obj & { spec: { containers: unknown } };
    broken.spec.containers = [{ image: 'postgres:16' }];
    expect(() => validate(broken)).toThrow(/name/);
  });

  it('initial list: every object a node with Manager=k8s, Type = lower-case kind, ID = UID', async () => {
    await waitFor(() => k8s.status().clusters !== undefined && (k8s.status().clusters as any).default.synced === true, 10_000, 'synced');
    k8s.flushAll();
    for (const o of objs) {
      const n = node(o.metadata.uid);
      expect(n, `${o.kind} ${o.metadata.name}`).toBeDefined();
      expect(n!.Metadata).toMatchObject({ Type: o.kind.toLowerCase(), Name: o.metadata.name, Manager: 'k8s' });
      expect((n!.Metadata.K8s as any).Name).toBe(o.metadata.name);
      if (o.metadata.namespace) expect((n!.Metadata.K8s as any).Namespace).toBe(o.metadata.namespace);
      expect(n!.Origin).toBe('k8s');
    }
    const pod = node(uidOf('Pod', 'web-7d9c8f6b4-abcde'))!;
    expect(pod.Metadata.State).toBe('UP');
    expect(pod.Metadata.K8s).toMatchObject({ Labels: { app: 'web' }, Node: 'worker-1', IP: '10.244.1.10', Phase: 'Running', Ready: true });
    expect((pod.Metadata.K8s as any).Extra.spec.nodeName).toBe('worker-1');
    expect(node(uidOf('PersistentVolumeClaim', 'data-db-0'))!.Metadata.State).toBe('UP');
    expect(node(uidOf('PersistentVolume', 'pv-db-0'))!.Metadata.State).toBe('UP');
    expect(node(uidOf('Pod', 'report-29442480-q7x2m'))!.Metadata.State).toBe('UP');
    // Queryable by the indexed fields.
    expect(q("G.V().Has('K8s.Namespace', 'shop', 'Type', 'pod').Values('Name')").sort()).toEqual([
      'web-7d9c8f6b4-abcde',
      'web-7d9c8f6b4-fghij',
    ]);
    expect(q("G.V().Has('Manager', 'k8s', 'Type', 'cluster').Values('Name')")).toEqual(['default']);
    // K8s.Name and K8s.Namespace are in the store's index: a namespace's objects without a scan.
    expect(chooseIndex(parseQuery("G.V().Has('K8s.Namespace', 'data')"))?.key).toBe('K8s.Namespace');
    expect(q("G.V().Has('K8s.Namespace', 'data').Has('Type', 'statefulset').Values('Name')")).toEqual(['db']);
    expect(await metric('canopy_k8s_lists_total', { reason: 'initial' })).toBe(20);
    expect(api.requests.some((r) => r.path === '/api/v1/pods' && r.query.get('continue') === '2' && r.query.get('limit') === '2')).toBe(
      true,
    );
  });

  it('edges: ownership and relations named after the source kind', () => {
    const cluster = byName('cluster', 'default')!.ID;
    const u = (k: string, n: string) => uidOf(k, n);
    const expected: [string, string, string][] = [
      [cluster, u('Namespace', 'shop'), 'ownership'],
      [cluster, u('Node', 'worker-1'), 'ownership'],
      [cluster, u('PersistentVolume', 'pv-db-0'), 'ownership'],
      [cluster, u('StorageClass', 'standard'), 'ownership'],
      [u('Namespace', 'shop'), u('Deployment', 'web'), 'ownership'],
      [u('Namespace', 'data'), u('Pod', 'db-0'), 'ownership'],
      [u('Pod', 'db-0'), containerNodeId(u('Pod', 'db-0'), 'postgres'), 'ownership'],
      [u('Deployment', 'web'), u('ReplicaSet', 'web-7d9c8f6b4'), 'deployment'],
      [u('ReplicaSet', 'web-7d9c8f6b4'), u('Pod', 'web-7d9c8f6b4-abcde'), 'replicaset'],
      [u('StatefulSet', 'db'), u('Pod', 'db-0'), 'statefulset'],
      [u('CronJob', 'report'), u('Job', 'report-29442480'), 'cronjob'],
      [u('Job', 'report-29442480'), u('Pod', 'report-29442480-q7x2m'), 'job'],
      [u('Service', 'web'), u('Pod', 'web-7d9c8f6b4-abcde'), 'service'],
      [u('Service', 'web'), u('Pod', 'web-7d9c8f6b4-fghij'), 'service'],
      [u('Service', 'db'), u('Pod', 'db-0'), 'service'],
      [u('Service', 'web'), u('Endpoints', 'web'), 'service'],
      [u('Service', 'web'), u('EndpointSlice', 'web-x8k2p'), 'service'],
      [u('Ingress', 'web'), u('Service', 'web'), 'ingress'],
      [u('NetworkPolicy', 'web-allow-http'), u('Pod', 'web-7d9c8f6b4-abcde'), 'networkpolicy'],
      [u('Pod', 'db-0'), u('PersistentVolumeClaim', 'data-db-0'), 'pod'],
      [u('Pod', 'web-7d9c8f6b4-abcde'), u('ConfigMap', 'web-config'), 'pod'],
      [u('Pod', 'web-7d9c8f6b4-abcde'), u('Secret', 'db-credentials'), 'pod'],
      [u('PersistentVolumeClaim', 'data-db-0'), u('PersistentVolume', 'pv-db-0'), 'persistentvolumeclaim'],
      [u('StorageClass', 'standard'), u('PersistentVolumeClaim', 'data-db-0'), 'storageclass'],
      [u('StorageClass', 'standard'), u('PersistentVolume', 'pv-db-0'), 'storageclass'],
      [u('Node', 'worker-1'), u('Pod', 'web-7d9c8f6b4-abcde'), 'node'],
      [u('Node', 'worker-3'), u('Pod', 'db-0'), 'node'],
    ];
    for (const [p, c, r] of expected)
      expect(edge(p, c, r), `${store.getNode(p)?.Metadata.Name} -${r}-> ${store.getNode(c)?.Metadata.Name}`).toBeDefined();
    // The service selects only its pods; the db pod is not the web service's.
    expect(edge(u('Service', 'web'), u('Pod', 'db-0'), 'service')).toBeUndefined();
    // Every containment child has one owner.
    const owners = new Map<string, number>();
    for (const e of store.findEdges('RelationType', 'ownership')) owners.set(e.Child, (owners.get(e.Child) ?? 0) + 1);
    expect([...owners.values()].every((n) => n === 1)).toBe(true);
  });

  it('joins: host → k8s node by name, short name or address; k8s container → runtime container; pod IP → interface', async () => {
    const u = (k: string, n: string) => uidOf(k, n);
    expect(edge(host1, u('Node', 'worker-1'), 'host')).toBeDefined();
    expect(edge(host2, u('Node', 'worker-2'), 'host')).toBeDefined();
    expect(edge(host3, u('Node', 'worker-3'), 'host')).toBeDefined();
    const webPod = u('Pod', 'web-7d9c8f6b4-abcde');
    expect(edge(containerNodeId(webPod, 'web'), dockerWeb, 'container')).toBeDefined();
    expect(edge(webPod, podVeth, 'pod')).toBeDefined();
    // A runtime container reported after the pod was listed (runc, Skydive's Runc.ContainerID) joins too.
    const dbCid = webCid('db-0');
    store.write((tx) =>
      tx.upsertNode({
        ID: runcDb,
        Origin: 'agent.rack3-srv7',
        Metadata: { Type: 'container', Name: dbCid.slice(0, 12), Manager: 'runc', Runc: { ContainerID: dbCid } },
      }),
    );
    await waitFor(() => edge(containerNodeId(u('Pod', 'db-0'), 'postgres'), runcDb, 'container') !== undefined, 3000, 'runc join');
    // A host that appears later (the agent on a fourth machine) joins its k8s node at once; one that goes takes its edge.
    store.write((tx) => tx.deleteNode(host3));
    expect(edge(host3, u('Node', 'worker-3'), 'host')).toBeUndefined();
    store.write((tx) =>
      tx.upsertNode({ ID: host3, Origin: 'agent.rack3-srv7', Metadata: { Type: 'host', Name: 'rack3-srv7', IPV4: ['10.0.0.13/24'] } }),
    );
    await waitFor(() => edge(host3, u('Node', 'worker-3'), 'host') !== undefined, 3000, 'host rejoined');
    // As the agent reports it: the address on the host's NIC, not on the host.
    store.write((tx) => tx.deleteNode(host3));
    const nic = ids.hostInterface(host3, 'eno1');
    store.write((tx) => {
      tx.upsertNode({ ID: host3, Origin: 'agent.rack3-srv7', Metadata: { Type: 'host', Name: 'rack3-srv7' } });
      tx.upsertNode({ ID: nic, Origin: 'agent.rack3-srv7', Metadata: { Type: 'device', Name: 'eno1', IPV4: ['10.0.0.13/24'] } });
      tx.upsertEdge({
        ID: ids.edge(host3, nic, 'ownership'),
        Parent: host3,
        Child: nic,
        Origin: 'agent.rack3-srv7',
        Metadata: { RelationType: 'ownership' },
      });
    });
    await waitFor(() => edge(host3, u('Node', 'worker-3'), 'host') !== undefined, 3000, 'host joined through its NIC');
  });

  it('the TOR-port-to-pods query of docs/query-cookbook.md answers the pods behind leaf1 eth3', () => {
    const blocks = cookbookBlocks().blocks.filter((b) => b.id.startsWith('k8s-'));
    expect(blocks.map((b) => b.id)).toEqual(['k8s-pods-behind-port']);
    expect(q(blocks[0]!.code)).toEqual(['web-7d9c8f6b4-abcde']);
  });

  it('secrets: metadata only — the value is nowhere in the graph, its history or the database file', () => {
    const s = node(uidOf('Secret', 'db-credentials'))!;
    const extra = (s.Metadata.K8s as any).Extra;
    expect(extra.data).toBeUndefined();
    expect(extra.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(extra.type).toBe('Opaque');
    const b64 = Buffer.from(SECRET_VALUE).toString('base64');
    const all = JSON.stringify([...store.allNodes(), ...store.allEdges(), ...store.historyOf(s.ID)]);
    expect(all).not.toContain(SECRET_VALUE);
    expect(all).not.toContain(b64);
    for (const f of [dbPath, `${dbPath}-wal`]) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      expect(bytes.includes(SECRET_VALUE), f).toBe(false);
      expect(bytes.includes(b64), f).toBe(false);
    }
  });

  it('watch: add, modify and delete a pod; bookmarks keep the resourceVersion', async () => {
    await waitFor(() => api.watchCount() === 20, 5000, 'all kinds watching');
    const p = find(objs, 'Pod', 'web-7d9c8f6b4-fghij') as any;
    p.metadata.name = 'web-7d9c8f6b4-klmno';
    p.metadata.uid = uidFor('web-7d9c8f6b4-klmno');
    p.spec.nodeName = 'worker-1';
    p.status.podIP = '10.244.1.11';
    p.status.podIPs = [{ ip: '10.244.1.11' }];
    put(p);
    const uid = p.metadata.uid as string;
    await waitFor(() => node(uid) !== undefined && edge(uidOf('Node', 'worker-1'), uid, 'node') !== undefined, 3000, 'pod added');
    expect(edge(uidOf('Service', 'web'), uid, 'service')).toBeDefined();
    expect(edge(uidOf('ReplicaSet', 'web-7d9c8f6b4'), uid, 'replicaset')).toBeDefined();
    expect(
      q(
        "G.V().Has('Type', 'switch', 'Name', 'leaf1').Out('Type', 'port', 'Name', 'eth3').Both('Type', 'device').In('Type', 'host').Out('Manager', 'k8s', 'Type', 'node').Out('Type', 'pod').Values('Name')",
      ).sort(),
    ).toEqual(['web-7d9c8f6b4-abcde', 'web-7d9c8f6b4-klmno']);
    // Modify: new labels take it out of the service's selector.
    p.metadata.labels = { app: 'debug' };
    put(p);
    await waitFor(() => (node(uid)?.Metadata.K8s as any)?.Labels?.app === 'debug', 3000, 'pod modified');
    await waitFor(() => edge(uidOf('Service', 'web'), uid, 'service') === undefined, 3000, 'service edge gone');
    // Delete.
    api.remove(p);
    await waitFor(() => node(uid) === undefined, 3000, 'pod deleted');
    expect(node(containerNodeId(uid, 'web'))).toBeUndefined();
    // Bookmarks: asked for, counted, and they move the informers' resourceVersion.
    expect(api.requests.filter((r) => r.query.get('watch') === 'true').every((r) => r.query.get('allowWatchBookmarks') === 'true')).toBe(
      true,
    );
    put({ ...find(objs, 'ConfigMap', 'web-config'), data: { 'nginx.conf': 'server { listen 8081; }' } });
    expect(api.bookmark()).toBe(20);
    await waitFor(
      () => {
        const kinds = (k8s.status().clusters as any).default.kinds as Record<string, { resourceVersion: string }>;
        return kinds.storageclass!.resourceVersion === kinds.configmap!.resourceVersion;
      },
      3000,
      'bookmark resourceVersion',
    );
    await waitFor(async () => (await metric('canopy_k8s_bookmarks_total', {})) >= 20, 3000, 'every watch counted its bookmark');
    physical(ONE);
  });

  it('watch: a pod goes NotReady (DOWN), a PVC Pending → Bound, a PV Released, a PVC Lost, a PV Failed', async () => {
    const p = api.get('Pod', 'shop', 'web-7d9c8f6b4-abcde') as any;
    p.status.conditions = p.status.conditions.map((c: any) =>
      c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' } : c,
    );
    p.status.containerStatuses[0].ready = false;
    put(p);
    const pu = p.metadata.uid as string;
    await waitFor(() => node(pu)?.Metadata.State === 'DOWN', 3000, 'pod NotReady');
    expect((node(pu)!.Metadata.K8s as any).Ready).toBe(false);
    expect(node(containerNodeId(pu, 'web'))!.Metadata.State).toBe('DOWN');

    const pvc = find(objs, 'PersistentVolumeClaim', 'data-db-0') as any;
    pvc.metadata.name = 'scratch';
    pvc.metadata.uid = uidFor('scratch');
    delete pvc.spec.volumeName;
    pvc.status = { phase: 'Pending' };
    put(pvc);
    await waitFor(() => node(pvc.metadata.uid)?.Metadata.State === 'DOWN', 3000, 'pvc Pending DOWN');
    const pv = find(objs, 'PersistentVolume', 'pv-db-0') as any;
    pv.metadata.name = 'pv-scratch';
    pv.metadata.uid = uidFor('pv-scratch');
    pv.spec.claimRef = { ...pv.spec.claimRef, name: 'scratch', uid: pvc.metadata.uid };
    put(pv);
    pvc.spec.volumeName = 'pv-scratch';
    pvc.status = { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } };
    put(pvc);
    await waitFor(() => node(pvc.metadata.uid)?.Metadata.State === 'UP', 3000, 'pvc Bound UP');
    await waitFor(() => edge(pvc.metadata.uid, pv.metadata.uid, 'persistentvolumeclaim') !== undefined, 3000, 'pvc → pv');

    const db = api.get('PersistentVolume', '', 'pv-db-0') as any;
    db.status = { phase: 'Released' };
    put(db);
    await waitFor(() => node(db.metadata.uid)?.Metadata.State === 'DOWN', 3000, 'pv Released DOWN');
    pv.status = { phase: 'Failed', message: 'recycler failed' };
    put(pv);
    await waitFor(() => node(pv.metadata.uid)?.Metadata.State === 'DOWN', 3000, 'pv Failed DOWN');
    pvc.status = { phase: 'Lost' };
    put(pvc);
    await waitFor(() => node(pvc.metadata.uid)?.Metadata.State === 'DOWN', 3000, 'pvc Lost DOWN');
    physical(ONE);
  });

  it('watch: a daemonset and a replicationcontroller with their pods', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-agent', namespace: 'data', uid: uidFor('ds/node-agent') },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        template: { metadata: { labels: { app: 'node-agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox:1.36' }] } },
      },
    } as Obj;
    const rc = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: 'data', uid: uidFor('rc/legacy') },
      spec: {
        replicas: 1,
        selector: { app: 'legacy' },
        template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'old', image: 'busybox:1.36' }] } },
      },
    } as Obj;
    const podOf = (owner: Obj, name: string, node: string) => {
      const p = find(objs, 'Pod', 'db-0') as any;
      p.metadata = {
        name,
        namespace: 'data',
        uid: uidFor(`pod/${name}`),
        labels: { app: owner.metadata.name },
        ownerReferences: [
          { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true },
        ],
      };
      p.spec = { nodeName: node, containers: [{ name: 'c', image: 'busybox:1.36' }] };
      return p as Obj;
    };
    const dsPod = podOf(ds, 'node-agent-x7k2p', 'worker-1');
    const rcPod = podOf(rc, 'legacy-9qz4w', 'worker-2');
    for (const o of [dsPod, rcPod, ds, rc]) put(o); // pods before their owners: joined when the owner appears
    await waitFor(
      () =>
        edge(ds.metadata.uid, dsPod.metadata.uid, 'daemonset') !== undefined &&
        edge(rc.metadata.uid, rcPod.metadata.uid, 'replicationcontroller') !== undefined,
      3000,
      'daemonset and replicationcontroller edges',
    );
    physical(['node-agent-x7k2p', 'web-7d9c8f6b4-abcde']);
    for (const o of [dsPod, rcPod, ds, rc]) api.remove(o);
    await waitFor(() => node(dsPod.metadata.uid) === undefined && node(rc.metadata.uid) === undefined, 3000, 'removed');
    physical(ONE);
  });

  it('410 Gone: changes the watch missed are found by a re-list (deletes too)', async () => {
    const relists = await metric('canopy_k8s_lists_total', { reason: 'relist' });
    // While the watches hear nothing: a pod deleted, another added; then history is compacted.
    const gone = api.get('Pod', 'data', 'report-29442480-q7x2m');
    api.remove(gone, true);
    const fresh = find(objs, 'Pod', 'db-0') as any;
    fresh.metadata.name = 'db-1';
    fresh.metadata.uid = uidFor('db-1');
    fresh.status.podIP = '10.244.3.21';
    fresh.status.podIPs = [{ ip: '10.244.3.21' }];
    put(fresh, true);
    api.compact();
    await waitFor(() => node(gone.metadata.uid) === undefined && node(fresh.metadata.uid) !== undefined, 5000, 're-list applied');
    expect(edge(uidOf('StatefulSet', 'db'), fresh.metadata.uid, 'statefulset')).toBeDefined();
    expect(await metric('canopy_k8s_lists_total', { reason: 'relist', kind: 'pod' })).toBeGreaterThanOrEqual(1);
    expect(await metric('canopy_k8s_lists_total', { reason: 'relist' })).toBeGreaterThan(relists);
    physical(ONE);
  });

  it('a dropped watch connection resumes from its resourceVersion, without a re-list', async () => {
    await waitFor(() => api.watchCount() === 20, 5000, 'watches back');
    const lists = await metric('canopy_k8s_lists_total', {});
    api.dropConnections();
    const p = api.get('Pod', 'data', 'db-1') as any;
    p.metadata.labels = { ...p.metadata.labels, tier: 'primary' };
    put(p);
    await waitFor(() => (node(p.metadata.uid)?.Metadata.K8s as any)?.Labels?.tier === 'primary', 5000, 'change after reconnect');
    await waitFor(() => api.watchCount() === 20, 5000, 'watches re-established');
    expect(await metric('canopy_k8s_lists_total', {})).toBe(lists);
    expect(await metric('canopy_k8s_errors_total', { kind: 'all' })).toBeGreaterThan(0);
    physical(ONE);
  });

  it('an expired token (401) is retried with backoff and the rotated kubeconfig is read again; nothing is deleted meanwhile', async () => {
    const before = store.nodeCount();
    api.tokens = new Set(['token-2']);
    api.dropConnections();
    await waitFor(() => api.requests.some((r) => r.status === 401), 3000, 'a 401');
    await new Promise((r) => setTimeout(r, 300));
    expect(store.nodeCount()).toBe(before);
    expect(await metric('canopy_k8s_errors_total', { code: '401', kind: 'all' })).toBeGreaterThan(0);
    // A change made while locked out arrives once the new token is in the kubeconfig.
    const ing = api.get('Ingress', 'shop', 'web') as any;
    ing.metadata.labels = { exposed: 'yes' };
    put(ing);
    api.kubeconfig('token-2', kubeconfig);
    await waitFor(() => (node(ing.metadata.uid)?.Metadata.K8s as any)?.Labels?.exposed === 'yes', 8000, 'caught up after 401');
    await waitFor(() => api.watchCount() === 20, 5000, 'watches back after 401');
    expect(edge(ing.metadata.uid, uidOf('Service', 'web'), 'ingress')).toBeDefined();
    physical(ONE);
  });

  it('bad input: an object without a UID is counted and dropped; a node deleted behind its back is written again', async () => {
    const cm = find(objs, 'ConfigMap', 'web-config');
    const bad = { ...cm, metadata: { name: 'no-uid', namespace: 'shop' } } as unknown as Obj;
    put(bad);
    await waitFor(async () => (await metric('canopy_k8s_events_total', { event: 'invalid' })) === 1, 3000, 'invalid counted');
    expect(store.findNodes('Name', 'no-uid')).toEqual([]);
    // Someone deletes a pod node through the API; the pod's next change brings it back with its edges.
    const p = api.get('Pod', 'data', 'db-0') as any;
    store.write((tx) => tx.deleteNode(p.metadata.uid));
    p.metadata.labels = { ...p.metadata.labels, touched: 'yes' };
    put(p);
    await waitFor(
      () => node(p.metadata.uid) !== undefined && edge(uidOf('Node', 'worker-3'), p.metadata.uid, 'node') !== undefined,
      3000,
      'pod rewritten',
    );
    expect(edge(uidOf('Namespace', 'data'), p.metadata.uid, 'ownership')).toBeDefined();
    expect(edge(p.metadata.uid, uidOf('PersistentVolumeClaim', 'data-db-0'), 'pod')).toBeDefined();
    physical(ONE);
  });

  it('a restart sweeps what was deleted or changed while Canopy was down', async () => {
    await k8s.stop();
    const cm = api.get('ConfigMap', 'shop', 'web-config');
    api.remove(cm, true);
    // db-0 relabelled: the db service no longer selects it.
    const db0 = api.get('Pod', 'data', 'db-0') as any;
    db0.metadata.labels = { app: 'db-retired' };
    put(db0, true);
    expect(edge(uidOf('Service', 'db'), db0.metadata.uid, 'service')).toBeDefined();
    const cfg = k8sSection.parse({ enabled: true, kubeconfig, backoffMin: 0.05, backoffMax: 0.5, batchDelay: 0.02 });
    k8s = new K8sComponent(cfg, store, createRegistry(false), silentLogger());
    await k8s.start();
    await waitFor(() => node(cm.metadata.uid) === undefined, 8000, 'swept');
    await waitFor(() => edge(uidOf('Service', 'db'), db0.metadata.uid, 'service') === undefined, 8000, 'stale edge swept');
    expect((k8s.status().clusters as any).default.swept).toEqual({ nodes: 1, edges: 1 });
    expect(node(uidOf('Pod', 'db-0'))).toBeDefined();
    expect(edge(host1, uidOf('Node', 'worker-1'), 'host')).toBeDefined();
    physical(ONE);
  });
});
