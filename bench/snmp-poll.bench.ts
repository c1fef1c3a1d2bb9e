// `npm run bench -- --filter snmp.poll`: time to fully poll N simulated 48-port switches (LLDP
// ring, 500-entry Q-BRIDGE FDB, 50-entry ARP table whose addresses land on the graph as hosts,
// one LAG each; generateSwitchWalk via `canopy snmp-sim --switches N --arp 50 --lag`) for
// N = 100 and 1,000. The simulator runs in its own process (one UDP port per device, default
// 1472-byte responses); the poller is the real component writing into a real SQLite store, with
// max-repetitions 25. Figures: wall time, polls/s, varbinds/s of poller and simulator, CPU per
// device of each process (poller: process.cpuUsage; simulator: /proc/PID/stat utime+stime).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { createSnmpComponent } from '../src/collectors/snmp/component.ts';
import { openSqliteStorage } from '../src/topology/store/sqlite-storage.ts';
import { silentLogger } from '../src/util/log.ts';
import { createRegistry } from '../src/util/metrics.ts';
import type { Bench, Emit } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SIZES = (process.env.SNMP_BENCH_SIZES ?? '100,1000').split(',').map(Number);
const CONCURRENCY = Number(process.env.SNMP_BENCH_CONCURRENCY ?? 64);
const ARP = Number(process.env.SNMP_BENCH_ARP ?? 50);
const TICK = 100; // USER_HZ on Linux

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

interface SimProcess {
  pid: number;
  ports: Map<string, number>;
  stop(): Promise<{ varbinds: number; responses: number; truncated: number }>;
}

async function startSimProcess(n: number): Promise<SimProcess> {
  const child = spawn(
    process.execPath,
    [
      'bin/canopy.js',
      'snmp-sim',
      '--switches',
      String(n),
      '--fdb',
      '500',
      '--arp',
      String(ARP),
      '--lag',
      '--listen',
      '127.0.0.1:0',
      '--port-per-device',
      '0',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CANOPY_LOG_LEVEL: 'info' },
    },
  );
  let out = '';
  const ports = new Map<string, number>();
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((res, rej) => {
    const check = () => {
      if (out.includes('"snmp-sim ready"')) res();
    };
    child.stdout.on('data', check);
    child.once('exit', (c) => rej(new Error(`snmp-sim exited ${c}`)));
  });
  for (const l of out.split('\n')) {
    if (!l.includes('"snmp-sim device"')) continue;
    const j = JSON.parse(l) as { community: string; port: number };
    ports.set(j.community, j.port);
  }
  return {
    pid: child.pid!,
    ports,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      const line = out.split('\n').find((l) => l.includes('"snmp-sim stopping"'));
      const stats = line
        ? (JSON.parse(line) as { stats: { varbinds: number; responses: number; truncated: number } }).stats
        : { varbinds: NaN, responses: NaN, truncated: NaN };
      return stats;
    },
  };
}

async function pollOnce(n: number, emit: Emit): Promise<void> {
  const sim = await startSimProcess(n);
  const dir = mkdtempSync(join(tmpdir(), 'canopy-snmp-bench-'));
  try {
    const devices = [...sim.ports].map(([community, port]) => ({ address: '127.0.0.1', port, version: '2c', community }));
    const config = loadConfig({
      env: {},
      overrides: {
        'storage.dataDir': dir,
        'snmp.devices': devices,
        'snmp.maxRepetitions': 25,
        'snmp.concurrency': CONCURRENCY,
        'snmp.traps.enabled': false,
        'snmp.timeout': 5,
        'snmp.retries': 2,
      },
    });
    const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
    const store = storage.graph;
    const comp = createSnmpComponent({ config, store, storage, registry: createRegistry(false), log: silentLogger() }, { schedule: false });
    await comp.start();
    const simCpu0 = procCpuSeconds(sim.pid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await comp.poller.pollNow();
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const simCpu = procCpuSeconds(sim.pid) - simCpu0;
    const devs = comp.poller.devices();
    const failed = devs.filter((d) => d.status.state !== 'ok').length;
    const pollerVarbinds = devs.reduce((a, d) => a + d.status.varbinds, 0);
    const ports = devs.reduce((a, d) => a + d.status.counts.ports, 0);
    const fdb = devs.reduce((a, d) => a + d.status.counts.fdb, 0);
    const lldp = devs.reduce((a, d) => a + d.status.counts.lldp, 0);
    const arp = devs.reduce((a, d) => a + d.status.counts.arp, 0);
    const lags = devs.reduce((a, d) => a + d.status.counts.lags, 0);
    const arpHosts = [...store.allNodes()].filter((x) => x.Metadata.Probe === 'arp' && x.Metadata.Type === 'host').length;
    const links = [...store.allEdges()].filter((e) => e.Metadata.RelationType === 'layer2').length;
    await comp.stop();
    store.close();
    const simStats = await sim.stop();
    const extra = { devices: n, failed, ports, fdb, lldp, arp, arpHosts, lags, links, concurrency: CONCURRENCY, maxRepetitions: 25 };
    emit({ bench: `snmp.poll.${n}.seconds`, value: +secs.toFixed(2), unit: 's', goalSeconds: n === 1000 ? 60 : undefined, ...extra });
    emit({ bench: `snmp.poll.${n}.polls`, value: +(n / secs).toFixed(1), unit: 'devices/s' });
    emit({ bench: `snmp.poll.${n}.poller-varbinds`, value: Math.round(pollerVarbinds / secs), unit: 'varbinds/s', total: pollerVarbinds });
    emit({
      bench: `snmp.poll.${n}.sim-varbinds`,
      value: Math.round(simStats.varbinds / secs),
      unit: 'varbinds/s',
      total: simStats.varbinds,
      responses: simStats.responses,
      truncated: simStats.truncated,
    });
    emit({
      bench: `snmp.poll.${n}.poller-cpu`,
      value: +((cpu.user + cpu.system) / 1000 / n).toFixed(2),
      unit: 'ms CPU/device',
      cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    });
    emit({
      bench: `snmp.poll.${n}.sim-cpu`,
      value: +((simCpu * 1000) / n).toFixed(2),
      unit: 'ms CPU/device',
      cpuSeconds: +simCpu.toFixed(2),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = SIZES.map((n) => ({ name: `snmp.poll.${n}`, run: (emit) => pollOnce(n, emit) }));
