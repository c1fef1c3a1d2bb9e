// The API server side of bench/k8s.bench.ts, in its own process: serves the generated cluster,
// prints {"kubeconfig": PATH} once listening, then takes commands on stdin — `ready I true|false`
// sets pod I's Ready condition — and exits when stdin closes. Not a bench module (no `.bench.ts`).
import { createInterface } from 'node:readline';
import { FakeApiServer, type Obj } from '../test/collectors/k8s/api-server.ts';
import { uidFor } from '../test/collectors/k8s/fixtures.ts';

// Same sizes as bench/k8s.bench.ts (it passes them in the environment).
const NODES = Number(process.env.K8S_BENCH_NODES ?? 200);
const PODS = Number(process.env.K8S_BENCH_PODS ?? 10_000);
const PER_DEPLOY = 10;
const NAMESPACES = 20;

function generate(api: FakeApiServer): Obj[] {
  const pods: Obj[] = [];
  const T = '2026-01-05T09:00:00Z';
  for (let n = 0; n < NAMESPACES; n++) {
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}`, uid: uidFor(`ns-${n}`) }, status: { phase: 'Active' } });
  }
  for (let i = 0; i < NODES; i++) {
    api.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${i}`, uid: uidFor(`node-${i}`), labels: { 'kubernetes.io/hostname': `node-${i}` } },
      status: {
        addresses: [{ type: 'InternalIP', address: `10.1.${i >> 8}.${i & 255}` }],
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T }],
      },
    });
  }
  for (let d = 0; d * PER_DEPLOY < PODS; d++) {
    const ns = `ns-${d % NAMESPACES}`;
    const app = `app-${d}`;
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, namespace: ns, uid: uidFor(`dep-${d}`) } };
    api.apply({
      ...dep,
      spec: {
        replicas: PER_DEPLOY,
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] } },
      },
    });
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${app}-5f6d7`, namespace: ns, uid: uidFor(`rs-${d}`) } };
    api.apply({
      ...rs,
      metadata: {
        ...rs.metadata,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: dep.metadata.uid, controller: true }],
      },
      spec: { replicas: PER_DEPLOY, selector: { matchLabels: { app } } },
    });
    api.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app, namespace: ns, uid: uidFor(`svc-${d}`) },
      spec: { selector: { app }, ports: [{ port: 80 }] },
    });
    for (let r = 0; r < PER_DEPLOY && pods.length < PODS; r++) {
      const p = pods.length;
      const name = `${app}-5f6d7-${r}`;
      pods.push(
        api.apply({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name,
            namespace: ns,
            uid: uidFor(`pod-${p}`),
            labels: { app },
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true },
            ],
          },
          spec: { nodeName: `node-${p % NODES}`, containers: [{ name: 'main', image: 'nginx:1.27' }] },
          status: {
            phase: 'Running',
            podIP: `10.200.${p >> 8}.${p & 255}`,
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T }],
            containerStatuses: [
              {
                name: 'main',
                image: 'nginx:1.27',
                imageID: '',
                ready: true,
                restartCount: 0,
                containerID: `containerd://${p.toString(16).padStart(64, '0')}`,
                state: { running: { startedAt: T } },
              },
            ],
          },
        }),
      );
    }
  }
  return pods;
}

const api = new FakeApiServer();
await api.start();
const pods = generate(api);
process.stdout.write(JSON.stringify({ kubeconfig: api.kubeconfig('token-1') }) + '\n');
const lines = createInterface(process.stdin);
lines.on('line', (l) => {
  const [cmd, i, v] = l.trim().split(/\s+/);
  if (cmd !== 'ready') return;
  const p = structuredClone(pods[Number(i)]!) as Obj & { status: { conditions: { type: string; status: string }[] } };
  p.status.conditions = [{ type: 'Ready', status: v === 'true' ? 'True' : 'False' }];
  pods[Number(i)] = api.apply(p);
});
lines.on('close', () => {
  void api.stop().then(() => process.exit(0));
});
