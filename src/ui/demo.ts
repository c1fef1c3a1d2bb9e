// `npm run demo` (or `canopy demo`): a collector on 127.0.0.1:8082 with a generated leaf/spine
// fabric, live counter changes and link flaps, and a replayed sFlow capture, so a newcomer sees
// the wall display working in seconds. The fabric is written through the graph store (as the
// SNMP poller will once it lands); see src/ui/README.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collector } from '../collector.ts';
import { defaultComponents } from '../components.ts';
import { loadConfig } from '../config/load.ts';
import { ids } from '../topology/ids.ts';
import { udpPayloads } from '../collectors/common/pcap.ts';
import { createLogger } from '../util/log.ts';
import { parseFlags } from '../util/args.ts';
import { generateFabric, type FabricIds, type FabricSpec, PERF_SPEC } from './demo/fabric.ts';
import { startChurn } from './demo/churn.ts';

export const SIZES: Record<string, FabricSpec> = {
  small: { spines: 2, leaves: 6, hosts: 60, dualHomed: 12, containersPerHost: 4 },
  medium: { spines: 4, leaves: 32, hosts: 900, dualHomed: 200, containersPerHost: 4 },
  perf: PERF_SPEC,
};

/** DESIGN §4 IDs, so demo elements look like the ones real sources produce. */
export const canopyIds: FabricIds = {
  switch: (n) => ids.switchBySysName(n),
  port: (s, i) => ids.port(s, i),
  host: (n) => ids.host(n),
  iface: (h, n) => ids.hostInterface(h, n),
  container: (h, i) => ids.hostInterface(h, `container-${i}`),
  edge: (p, c, r) => ids.edge(p, c, r),
};

const SFLOW_PCAP = fileURLToPath(new URL('../../fixtures/pcaps/akvorado__data-sflow-ipv4-data.pcap', import.meta.url));

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    listen: { type: 'string', default: '127.0.0.1:8082' },
    size: { type: 'string', default: 'small' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write('usage: canopy demo [--listen 127.0.0.1:8082] [--size small|medium|perf]\n');
    return 0;
  }
  const spec = SIZES[values.size];
  if (!spec) {
    process.stderr.write(`demo: --size must be one of ${Object.keys(SIZES).join(', ')}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'canopy-demo-'));
  const log = createLogger();
  const config = loadConfig({
    env: {},
    overrides: { 'api.listen': values.listen, 'storage.dataDir': dir, 'sflow.listen': '127.0.0.1:0', 'netflow.listen': '127.0.0.1:0', 'ipfix.listen': '127.0.0.1:0' },
  });
  const collector = new Collector({ config, log, components: defaultComponents() });
  await collector.start();
  const fab = generateFabric(spec, canopyIds);
  collector.store.write((tx) => {
    for (const n of fab.nodes) tx.upsertNode({ ID: n.ID, Metadata: n.Metadata, Host: 'demo', Origin: 'demo' });
    for (const e of fab.edges) tx.upsertEdge({ ID: e.ID, Parent: e.Parent!, Child: e.Child!, Metadata: e.Metadata, Host: 'demo', Origin: 'demo' });
  });
  const churn = startChurn(collector.store, fab);
  const stopFlows = replayFlows(collector);
  const url = `http://${collector.apiAddresses[0]}/`;
  process.stdout.write(`\nCanopy demo: ${fab.nodes.length} nodes, ${fab.edges.length} edges (${values.size})\n  wall display: ${url}\n  kiosk mode:   ${url}?kiosk=1\n  Ctrl-C to stop\n\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  churn.stop();
  stopFlows();
  await collector.stop();
  rmSync(dir, { recursive: true, force: true });
  return 0;
}

/** Replays an sFlow capture to the collector's own sFlow port every 2 s (skipped if absent). */
function replayFlows(collector: Collector): () => void {
  const sflow = (collector.status().components as Record<string, { listen?: unknown }>).sflow;
  const bound = Array.isArray(sflow?.listen) ? String(sflow.listen[0]) : typeof sflow?.listen === 'string' ? sflow.listen : '';
  const port = Number(bound.split(':').pop());
  let payloads: Buffer[];
  try {
    payloads = [...udpPayloads(readFileSync(SFLOW_PCAP))].map((p) => p.payload);
  } catch {
    return () => undefined;
  }
  if (!port || payloads.length === 0) return () => undefined;
  const sock = createSocket('udp4');
  const timer = setInterval(() => {
    for (const p of payloads) sock.send(p, port, '127.0.0.1');
  }, 2000);
  timer.unref();
  return () => {
    clearInterval(timer);
    sock.close();
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await run(process.argv.slice(2));
}
