// The Kubernetes probe run by a real `canopy agent` process (agent.k8s) against the local list/watch
// HTTPS server of test/collectors/k8s, publishing through /ws/agent to a real collector. The
// collector's graph must answer as it does when the collector runs the probe itself
// (test/collectors/k8s/k8s.test.ts): the objects, their relations, and the joins to hosts, runtime
// containers and interfaces other sources wrote — made collector-side (k8s/remote-joins.ts) —
// after the initial list, a pod going NotReady, and a delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';
import { ids, idFor } from '../../src/topology/ids.ts';
import { runQuery } from '../../src/topology/query/index.ts';
import { containerNodeId } from '../../src/collectors/k8s/model.ts';
import type { GraphEdge } from '../../src/topology/types.ts';
import { FakeApiServer, type Obj } from '../collectors/k8s/api-server.ts';
import { find, fixtureObjects, validate } from '../collectors/k8s/fixtures.ts';
import { cookbookBlocks } from '../lab/cookbook.ts';

const AGENT_HOST = 'k8s-probe-host';
const ORIGIN = `agent.${AGENT_HOST}`;

describe('the Kubernetes probe in a canopy agent process, published to a collector', () => {
  const api = new FakeApiServer();
  const objs = fixtureObjects();
  let t: TestCollector;
  let agent: ChildProcess | undefined;
  let agentErr = '';
  let dir = '';
  const put = (o: Obj) => api.apply(validate(o));
  const store = () => t.collector.store;
  const node = (id: string) => store().getNode(id);
  const edge = (p: string, c: string, rel: string): GraphEdge | undefined => store().getEdge(ids.edge(p, c, rel));
  const uidOf = (kind: string, name: string) => find(objs, kind, name).metadata.uid;
  const q = (query: string) => runQuery(store(), query).value as unknown[];

  // The physical side, as other sources write it (the same shapes as k8s.test.ts).
  const leaf = idFor('test', 'switch', 'leaf1');
  const leafPort = ids.port(leaf, 3);
  const host1 = ids.host('worker-1');
  const host1Eth0 = ids.hostInterface(host1, 'eth0');
  const host2 = ids.host('worker-2.dc1.example.com');
  const host3 = ids.host('rack3-srv7');
  const podVeth = ids.hostInterface(host1, 'eth0', '/var/run/netns/cni-1');
  const dockerWeb = idFor('test', 'container', 'web-abcde');
  const webCid = (pod: string) =>
    (
      find(objs, 'Pod', pod) as unknown as { status: { containerStatuses: { containerID: string }[] } }
    ).status.containerStatuses[0]!.containerID.replace('containerd://', '');
  const WEB = 'web-7d9c8f6b4-abcde';

  /** The joins and the TOR-port-to-pods query, as k8s.test.ts asserts them after each step. */
  const physical = (podsBehindEth3: string[]) => {
    expect(edge(host1, uidOf('Node', 'worker-1'), 'host'), 'worker-1 joined').toBeDefined();
    expect(edge(host2, uidOf('Node', 'worker-2'), 'host'), 'worker-2 joined').toBeDefined();
    expect(edge(host3, uidOf('Node', 'worker-3'), 'host'), 'worker-3 joined').toBeDefined();
    expect(edge(containerNodeId(uidOf('Pod', WEB), 'web'), dockerWeb, 'container'), 'docker container joined').toBeDefined();
    expect(edge(uidOf('Pod', WEB), podVeth, 'pod'), 'pod IP joined').toBeDefined();
    const tor = cookbookBlocks().blocks.find((b) => b.id === 'k8s-pods-behind-port')!.code;
    expect((q(tor) as string[]).sort()).toEqual(podsBehindEth3);
  };

  beforeAll(async () => {
    for (const o of objs) validate(o);
    await api.start();
    for (const o of objs) put(o);
    dir = mkdtempSync(join(tmpdir(), 'canopy-agent-k8s-'));
    t = await startTestCollector({
      'agents.tokens': [{ token: 'agent-token-k8s-1', host: AGENT_HOST }],
      'agents.downAfter': 60,
    });
    store().write((tx) => {
      tx.upsertNode({ ID: leaf, Origin: 'snmp', Metadata: { Type: 'switch', Name: 'leaf1', Role: 'leaf' } });
      tx.upsertNode({ ID: leafPort, Origin: 'snmp', Metadata: { Type: 'port', Name: 'eth3', IfIndex: 3, State: 'UP' } });
      tx.upsertEdge({ ID: ids.edge(leaf, leafPort, 'ownership'), Parent: leaf, Child: leafPort, Metadata: { RelationType: 'ownership' } });
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
      tx.upsertEdge({ ID: ids.edge(a, b, 'layer2'), Parent: a, Child: b, Metadata: { RelationType: 'layer2' } });
      tx.upsertNode({ ID: host2, Origin: 'snmp', Metadata: { Type: 'host', Name: 'worker-2.dc1.example.com' } });
      tx.upsertNode({ ID: host3, Origin: 'snmp', Metadata: { Type: 'host', Name: 'rack3-srv7', MgmtAddress: '10.0.0.13' } });
      tx.upsertNode({ ID: podVeth, Origin: 'agent.worker-1', Metadata: { Type: 'veth', Name: 'eth0', IPV4: ['10.244.1.10/24'] } });
      tx.upsertEdge({ ID: ids.edge(host1, podVeth, 'ownership'), Parent: host1, Child: podVeth, Metadata: { RelationType: 'ownership' } });
      tx.upsertNode({
        ID: dockerWeb,
        Origin: 'agent.worker-1',
        Metadata: { Type: 'container', Name: 'k8s_web_web-abcde', Manager: 'docker', ContainerID: webCid(WEB) },
      });
    });
    const cfg = join(dir, 'agent.yml');
    writeFileSync(
      cfg,
      JSON.stringify({
        agent: {
          collector: t.ws,
          token: 'agent-token-k8s-1',
          hostname: AGENT_HOST,
          machineId: 'canopy-test-k8s-probe',
          netns: { match: '^$', processes: false },
          docker: { enabled: false },
          runc: { dirs: [] },
          sockets: { enabled: false },
          lldp: { enabled: false },
          k8s: { kubeconfig: api.kubeconfig('token-1'), cluster: 'default', batchDelay: 0.02 },
        },
      }),
    );
    agent = spawn(process.execPath, ['bin/canopy.js', 'agent', '--config', cfg], {
      env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    agent.stderr!.on('data', (b: Buffer) => (agentErr += b.toString()));
  }, 30_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
    await t?.stop();
    await api.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('initial list: every object a node (Manager k8s, Type = kind, ID = UID) under the agent’s origin, with its relations and the physical joins', async () => {
    await expect
      .poll(() => objs.every((o) => node(o.metadata.uid) !== undefined), { timeout: 30_000, interval: 200 })
      .toBe(true)
      .catch((e: Error) => {
        throw new Error(`${e.message}; agent stderr: ${agentErr.slice(-2000)}`);
      });
    for (const o of objs) {
      const n = node(o.metadata.uid)!;
      expect(n.Metadata, `${o.kind} ${o.metadata.name}`).toMatchObject({
        Type: o.kind.toLowerCase(),
        Name: o.metadata.name,
        Manager: 'k8s',
      });
      expect(n.Origin).toBe(ORIGIN);
    }
    expect(node(uidOf('Pod', WEB))!.Metadata).toMatchObject({ State: 'UP', K8s: { Node: 'worker-1', IP: '10.244.1.10', Ready: true } });
    const u = uidOf;
    for (const [p, c, r] of [
      [u('Namespace', 'data'), u('Pod', 'db-0'), 'ownership'],
      [u('Pod', 'db-0'), containerNodeId(u('Pod', 'db-0'), 'postgres'), 'ownership'],
      [u('Deployment', 'web'), u('ReplicaSet', 'web-7d9c8f6b4'), 'deployment'],
      [u('ReplicaSet', 'web-7d9c8f6b4'), u('Pod', WEB), 'replicaset'],
      [u('Service', 'web'), u('Pod', WEB), 'service'],
      [u('PersistentVolumeClaim', 'data-db-0'), u('PersistentVolume', 'pv-db-0'), 'persistentvolumeclaim'],
      [u('Node', 'worker-1'), u('Pod', WEB), 'node'],
    ] as const)
      await expect.poll(() => edge(p, c, r) !== undefined, { timeout: 5000, interval: 100 }).toBe(true);
    // The joins are the collector's: it sees the hosts, containers and interfaces the agent does not.
    await expect.poll(() => edge(host3, u('Node', 'worker-3'), 'host') !== undefined, { timeout: 5000, interval: 100 }).toBe(true);
    physical([WEB]);
    expect(edge(host1, u('Node', 'worker-1'), 'host')!.Origin).toBe('k8s-join');
    // A host that appears later joins its k8s node then; one that goes takes its edge with it.
    store().write((tx) => tx.deleteNode(host3));
    expect(edge(host3, u('Node', 'worker-3'), 'host')).toBeUndefined();
    store().write((tx) =>
      tx.upsertNode({ ID: host3, Origin: 'agent.rack3-srv7', Metadata: { Type: 'host', Name: 'rack3-srv7', IPV4: ['10.0.0.13/24'] } }),
    );
    await expect.poll(() => edge(host3, u('Node', 'worker-3'), 'host') !== undefined, { timeout: 3000, interval: 50 }).toBe(true);
  }, 45_000);

  it('watch: a pod goes NotReady (DOWN, its container DOWN), the joins stay', async () => {
    const p = api.get('Pod', 'shop', WEB) as any;
    p.status.conditions = p.status.conditions.map((c: any) =>
      c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' } : c,
    );
    p.status.containerStatuses[0].ready = false;
    put(p);
    const pu = p.metadata.uid as string;
    await expect.poll(() => node(pu)?.Metadata.State, { timeout: 5000, interval: 50 }).toBe('DOWN');
    expect((node(pu)!.Metadata.K8s as any).Ready).toBe(false);
    await expect.poll(() => node(containerNodeId(pu, 'web'))?.Metadata.State, { timeout: 3000, interval: 50 }).toBe('DOWN');
    physical([WEB]);
  }, 15_000);

  it('watch: a deleted pod goes with its containers and its joins; the rest stays', async () => {
    const p = api.get('Pod', 'shop', WEB);
    const pu = p.metadata.uid;
    const cid = containerNodeId(pu, 'web');
    api.remove(p);
    await expect.poll(() => node(pu), { timeout: 5000, interval: 50 }).toBeUndefined();
    expect(node(cid)).toBeUndefined();
    expect(edge(pu, podVeth, 'pod')).toBeUndefined();
    expect(edge(cid, dockerWeb, 'container')).toBeUndefined();
    // The runtime container and the interface are other sources': still there.
    expect(node(dockerWeb)).toBeDefined();
    expect(node(podVeth)).toBeDefined();
    expect(edge(host1, uidOf('Node', 'worker-1'), 'host')).toBeDefined();
    expect(q(cookbookBlocks().blocks.find((b) => b.id === 'k8s-pods-behind-port')!.code)).toEqual([]);
    // Put back with the same container: joined again.
    put(p);
    await expect
      .poll(() => edge(pu, podVeth, 'pod') !== undefined && edge(cid, dockerWeb, 'container') !== undefined, {
        timeout: 5000,
        interval: 50,
      })
      .toBe(true);
  }, 15_000);

  it('SIGTERM: the agent stops its watches and exits (no watch connection keeps it alive)', async () => {
    const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
    const t0 = Date.now();
    agent!.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(code, `exit after ${Date.now() - t0} ms`).toBe(0);
  }, 15_000);
});
