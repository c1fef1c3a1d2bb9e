// `npm run bench -- --filter snmp.discovery`: time for SNMP discovery to find a simulated fabric of N
// 48-port switches (LLDP ring, 500-entry FDB each) from one seed, N = 1,000 (goal ≤ 120 s). The
// simulator runs in its own process with `--address-per-device` (switch i on 127.X.0.1+i, every one
// at the same port, neighbours named by those addresses in lldpRemManAddrTable); the collector side
// is the real SNMP component with discovery on, its timers on (a discovered device is polled at once),
// writing into a real SQLite store. A ring is the worst case for discovery: N/2 hops one after another.
// Done = every switch discovered and its LLDP table polled once.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { createSnmpComponent } from '../src/collectors/snmp/component.ts';
import { openSqliteStorage } from '../src/topology/store/sqlite-storage.ts';
import { silentLogger } from '../src/util/log.ts';
import { createRegistry } from '../src/util/metrics.ts';
import type { Bench, Emit } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SIZES = (process.env.SNMP_DISCOVERY_BENCH_SIZES ?? '1000').split(',').map(Number);
const CONCURRENCY = Number(process.env.SNMP_BENCH_CONCURRENCY ?? 64);
const COMMUNITY = 'bench-fabric';

async function startSim(n: number, base: string): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      'bin/canopy.js',
      'snmp-sim',
      '--switches',
      String(n),
      '--fdb',
      '500',
      '--address-per-device',
      base,
      '--listen',
      '0.0.0.0:0',
      '--community',
      COMMUNITY,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CANOPY_LOG_LEVEL: 'info' } },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const port = await new Promise<number>((res, rej) => {
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('"snmp-sim ready"'));
      if (line) res((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (c) => rej(new Error(`snmp-sim exited ${c}`)));
  });
  return {
    port,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function discoverOnce(n: number, emit: Emit): Promise<void> {
  // A /16 of 127/8 of our own: up to 65,534 switches, away from other users of loopback addresses.
  const net = `127.${200 + Math.floor(Math.random() * 50)}`;
  const base = `${net}.0.1`;
  const sim = await startSim(n, base);
  const dir = mkdtempSync(join(tmpdir(), 'canopy-snmp-discovery-bench-'));
  try {
    const config = loadConfig({
      env: {},
      overrides: {
        'storage.dataDir': dir,
        'snmp.credentials': [{ subnet: `${net}.0.0/16`, community: COMMUNITY }],
        'snmp.discovery': { enabled: true, seeds: [base], cidrs: [`${net}.0.0/16`], maxDevices: n, port: sim.port },
        'snmp.maxRepetitions': 25,
        'snmp.concurrency': CONCURRENCY,
        'snmp.traps.enabled': false,
        'snmp.timeout': 5,
        'snmp.retries': 2,
      },
    });
    const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
    const comp = createSnmpComponent({ config, store: storage.graph, storage, registry: createRegistry(false), log: silentLogger() });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await comp.start();
    const limitMs = 600_000;
    let found = 0;
    for (;;) {
      const devs = comp.poller.devices();
      found = devs.length;
      if (found === n && devs.every((d) => d.status.tasks.lldp?.ok)) break;
      if (performance.now() - t0 > limitMs) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const st = comp.discovery!.status();
    await comp.stop();
    storage.close();
    emit({
      bench: `snmp.discovery.${n}.seconds`,
      value: +secs.toFixed(2),
      unit: 's',
      goalSeconds: n === 1000 ? 120 : undefined,
      devices: n,
      found,
      rejected: st.rejected,
      hops: Math.ceil(n / 2),
      concurrency: CONCURRENCY,
    });
    emit({ bench: `snmp.discovery.${n}.devices`, value: +(found / secs).toFixed(1), unit: 'devices/s' });
    emit({
      bench: `snmp.discovery.${n}.collector-cpu`,
      value: +((cpu.user + cpu.system) / 1000 / n).toFixed(2),
      unit: 'ms CPU/device',
      cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    });
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = SIZES.map((n) => ({ name: `snmp.discovery.${n}`, run: (emit) => discoverOnce(n, emit) }));
