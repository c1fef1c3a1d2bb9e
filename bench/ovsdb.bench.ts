// ovsdb.initial_sync_1000_ports: a real ovsdb-server (in a namespace, test/ovs/ovs-peer.ts) holding one
// bridge with 1,000 ports; the time from the collector's start to all 1,000 ovsport nodes in the graph.
// ovsdb.port_change_to_ws: a port's external_ids changed by a transaction on the server, until the
// NodeUpdated event for that port reaches a /ws/subscriber client (p50/p99 over BENCH_OVSDB_CHANGES,
// default 200). No ovs-vswitchd runs: 1,000 tap devices would measure the kernel, not us.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Bench, Emit } from './run.ts';
import { Collector } from '../src/collector.ts';
import { loadConfig } from '../src/config/load.ts';
import { ovsdbComponent } from '../src/ovs/component.ts';
import { createRegistry } from '../src/util/metrics.ts';
import { silentLogger } from '../src/util/log.ts';
import { ovsMissing, startOvsPeer } from '../test/ovs/ovs-peer.ts';

const PORTS = 1000;
const CHANGES = Number(process.env.BENCH_OVSDB_CHANGES ?? 200);
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
};

async function run(emit: Emit): Promise<void> {
  const skip = ovsMissing();
  if (skip) {
    process.stderr.write(`ovsdb benches skipped: ${skip}\n`);
    return;
  }
  const ovs = await startOvsPeer({ systemId: 'bench-ovs', hostname: 'bench-hv', vswitchd: false });
  const dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-bench-'));
  let collector: Collector | undefined;
  try {
    const args = ['--no-wait', 'add-br', 'br0'];
    for (let i = 0; i < PORTS; i++) args.push('--', 'add-port', 'br0', `p${i}`, '--', 'set', 'interface', `p${i}`, 'type=internal');
    await ovs.vsctl(...args);
    const config = loadConfig({
      env: {},
      overrides: { 'api.listen': '127.0.0.1:0', 'storage.dataDir': dir, 'ovsdb.endpoints': [`unix:${ovs.unix}`] },
    });
    collector = new Collector({ config, log: silentLogger(), registry: createRegistry(false), components: [ovsdbComponent] });
    const store = () => collector!.store;
    const t0 = performance.now();
    await collector.start();
    const ports = () => store().findNodes('Type', 'ovsport').length;
    while (ports() < PORTS + 1) {
      if (performance.now() - t0 > 60_000) throw new Error(`only ${ports()} ports after 60 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    emit({
      bench: 'ovsdb.initial_sync_1000_ports',
      value: +((performance.now() - t0) / 1000).toFixed(3),
      unit: 's',
      ports: PORTS,
      goal: 2,
    });

    const ws = new WebSocket(`ws://${collector.apiAddresses[0]}/ws/subscriber`, {
      headers: { 'X-Client-Type': 'bench', 'X-Host-ID': 'bench-sub' },
    });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const waiting = new Map<string, (t: number) => void>();
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { Type?: string; Obj?: { Metadata?: { Name?: string; ExtID?: Record<string, string> } } };
      if (m.Type !== 'NodeUpdated' || m.Obj?.Metadata?.ExtID?.bench === undefined) return;
      const key = `${m.Obj.Metadata.Name}=${m.Obj.Metadata.ExtID.bench}`;
      waiting.get(key)?.(performance.now());
    });
    // Our own OVSDB connection to change a port the way any OVSDB client would (one transaction).
    const sock = connect({ path: ovs.unix });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.on('data', () => {});
    const lat: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const name = `p${(i * 7) % PORTS}`;
      const key = `${name}=${i}`;
      const got = new Promise<number>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no NodeUpdated for ${key} within 5 s`)), 5000);
        waiting.set(key, (t) => {
          clearTimeout(timer);
          waiting.delete(key);
          res(t);
        });
      });
      const t1 = performance.now();
      sock.write(
        JSON.stringify({
          id: i + 1,
          method: 'transact',
          params: [
            'Open_vSwitch',
            { op: 'update', table: 'Port', where: [['name', '==', name]], row: { external_ids: ['map', [['bench', String(i)]]] } },
          ],
        }),
      );
      lat.push((await got) - t1);
    }
    sock.destroy();
    ws.close();
    emit({
      bench: 'ovsdb.port_change_to_ws',
      value: +q(lat, 0.99).toFixed(2),
      unit: 'ms (p99)',
      p50: +q(lat, 0.5).toFixed(2),
      max: +Math.max(...lat).toFixed(2),
      changes: CHANGES,
      ports: PORTS,
      goal: 200,
    });
  } finally {
    await collector?.stop();
    await ovs.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'ovsdb', run }];
