// k8s.load / k8s.pod_change / k8s.rss: a generated cluster (200 nodes, 10,000 pods in 20 namespaces,
// one deployment + replicaset + service per 10 pods) served by the local list/watch server
// (test/collectors/k8s/api-server.ts) in a child process, as an API server would be, to a collector
// running the k8s component in this one. load = collector start → every object in the graph (the
// client library already imported; lists paged by 500, written in bounded batches); pod_change = a
// pod's readiness changed in the API server → its NodeUpdated on /ws/subscriber (median of 5);
// rss = this process's resident set after the load (the collector's), and its growth from just
// before the collector started.
// Sizes via K8S_BENCH_NODES / K8S_BENCH_PODS.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Bench } from './run.ts';
import { Collector } from '../src/collector.ts';
import { loadConfig } from '../src/config/load.ts';
import { k8sComponent } from '../src/collectors/k8s/component.ts';
import { silentLogger } from '../src/util/log.ts';
import { createRegistry } from '../src/util/metrics.ts';
import { uidFor } from '../test/collectors/k8s/fixtures.ts';

const NODES = Number(process.env.K8S_BENCH_NODES ?? 200);
const PODS = Number(process.env.K8S_BENCH_PODS ?? 10_000);
const PER_DEPLOY = 10;
const NAMESPACES = 20;

/** The API server child (bench/k8s-apiserver.ts): its kubeconfig, and a way to send it commands. */
async function startServer(): Promise<{ kubeconfig: string; send(cmd: string): void; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'k8s-apiserver.ts')], {
    env: { ...process.env, K8S_BENCH_NODES: String(NODES), K8S_BENCH_PODS: String(PODS) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface(child.stdout);
  const first = await new Promise<string>((res, rej) => {
    lines.once('line', res);
    child.once('exit', (code) => rej(new Error(`k8s API server exited ${code}`)));
  });
  const { kubeconfig } = JSON.parse(first) as { kubeconfig: string };
  return {
    kubeconfig,
    send: (cmd) => child.stdin.write(cmd + '\n'),
    stop: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      await gone;
    },
  };
}

async function run(emit: Parameters<Bench['run']>[0]): Promise<void> {
  const server = await startServer();
  const dir = mkdtempSync(join(tmpdir(), 'canopy-k8s-bench-'));
  let collector: Collector | undefined;
  try {
    // The client library's code (about half a second to load, once per process) is not the cluster's load.
    await import('@kubernetes/client-node');
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const config = loadConfig({
      env: {},
      overrides: { 'api.listen': '127.0.0.1:0', 'storage.dataDir': dir, 'k8s.enabled': true, 'k8s.kubeconfig': server.kubeconfig },
    });
    collector = new Collector({ config, log: silentLogger(), registry: createRegistry(false), components: [k8sComponent] });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await collector.start();
    const store = collector.store;
    // The cluster node, namespaces, nodes, deployments, replicasets, services, pods and their containers.
    const expected = 1 + NAMESPACES + NODES + 3 * Math.ceil(PODS / PER_DEPLOY) + 2 * PODS;
    while (store.nodeCount() < expected) await new Promise((r) => setTimeout(r, 5));
    const loadMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const rss = process.memoryUsage().rss;
    emit({
      bench: 'k8s.load',
      value: Math.round(loadMs),
      unit: 'ms',
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      pods: PODS,
      nodes: NODES,
      target: 5000,
      graphNodes: store.nodeCount(),
      graphEdges: store.edgeCount(),
    });
    emit({ bench: 'k8s.rss', value: Math.round(rss / 2 ** 20), unit: 'MiB', growthMiB: Math.round((rss - rss0) / 2 ** 20), pods: PODS });

    // A pod change reaching a subscriber.
    const ws = new WebSocket(`ws://${collector.apiAddresses[0]}/ws/subscriber?x-client-type=bench`);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const target = uidFor(`pod-${PODS >> 1}`);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const want = i % 2 === 0 ? 'DOWN' : 'UP';
      const seen = new Promise<number>((res) => {
        const on = (data: Buffer) => {
          const m = JSON.parse(data.toString()) as { Type: string; Obj: { ID: string; Metadata: { State?: string } } };
          if (m.Type === 'NodeUpdated' && m.Obj.ID === target && m.Obj.Metadata.State === want) {
            ws.off('message', on);
            res(performance.now());
          }
        };
        ws.on('message', on);
      });
      const t1 = performance.now();
      server.send(`ready ${PODS >> 1} ${want === 'UP'}`);
      samples.push((await seen) - t1);
    }
    ws.close();
    samples.sort((a, b) => a - b);
    emit({
      bench: 'k8s.pod_change',
      value: Math.round(samples[samples.length >> 1]!),
      unit: 'ms',
      max: Math.round(samples.at(-1)!),
      target: 1000,
    });
  } finally {
    await collector?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'k8s', run }];
