// Host agent figures (docs/architecture.md#agent): an agent process watching 100 network namespaces
// (a veth pair in each) while 1,000 TCP sockets are open on the host — its idle CPU (goal < 2 % of
// a core) and RSS (the agent, and its `ip monitor` children) — and the time from `ip link set down`
// to the NodeUpdated at a /ws/subscriber client (p50/p99; goal p99 < 1 s). Needs root.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Bench } from './run.ts';
import { loadConfig } from '../src/config/load.ts';
import { Collector } from '../src/collector.ts';
import { defaultComponents } from '../src/components.ts';
import { silentLogger } from '../src/util/log.ts';
import { createRegistry } from '../src/util/metrics.ts';

const NS = 100;
const PAIRS = 500; // 1,000 connected sockets (+ the listener)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
};
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const childrenOf = (pid: number) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const s = readFileSync(`/proc/${p}/stat`, 'utf8');
        return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

export const benches: Bench[] = [
  {
    name: 'agent',
    async run(emit) {
      if (process.getuid?.() !== 0) throw new Error('the agent bench needs root (network namespaces)');
      const prefix = `cab${process.pid}-`;
      const dir = mkdtempSync(join(tmpdir(), 'canopy-agent-bench-'));
      const names = Array.from({ length: NS }, (_, i) => `${prefix}${i}`);
      const procs: number[] = [];
      let collector: Collector | undefined;
      try {
        for (const n of names) {
          execFileSync('ip', ['netns', 'add', n]);
          execFileSync('ip', ['-n', n, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0']);
          execFileSync('ip', ['-n', n, 'link', 'set', 'a0', 'up']);
          execFileSync('ip', ['-n', n, 'link', 'set', 'b0', 'up']);
        }
        const sockets = spawn(
          process.execPath,
          [
            '-e',
            `process.title='bench-sockets';const net=require('net');const s=net.createServer(()=>{});s.listen(0,'127.0.0.1',()=>{let n=0;for(let i=0;i<${PAIRS};i++)net.connect(s.address().port,'127.0.0.1',()=>{if(++n===${PAIRS})console.log('READY')})});`,
          ],
          { stdio: ['ignore', 'pipe', 'ignore'] },
        );
        procs.push(sockets.pid!);
        await new Promise<void>((r) => sockets.stdout.on('data', (b: Buffer) => String(b).includes('READY') && r()));

        const config = loadConfig({
          env: {},
          overrides: {
            'api.listen': '127.0.0.1:0',
            'sflow.listen': '127.0.0.1:0',
            'netflow.listen': '127.0.0.1:0',
            'ipfix.listen': '127.0.0.1:0',
            'snmp.traps.listen': '127.0.0.1:0',
            'storage.dataDir': join(dir, 'data'),
          },
        });
        collector = new Collector({ config, log: silentLogger(), registry: createRegistry(false), components: defaultComponents() });
        await collector.start();
        const addr = collector.apiAddresses[0]!;
        writeFileSync(
          join(dir, 'agent.yml'),
          JSON.stringify({
            agent: {
              collector: `ws://${addr}`,
              hostname: 'bench-host',
              machineId: `bench-${process.pid}`,
              netns: { match: `^${prefix}`, processes: false },
              docker: { enabled: false },
              runc: { dirs: [] },
              lldp: { enabled: false },
            },
          }),
        );
        // AGENT_BENCH_CPU_PROF=DIR: the agent writes a V8 CPU profile there when it stops.
        const prof = process.env.AGENT_BENCH_CPU_PROF;
        const agentArgs = [
          ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
          'bin/canopy.js',
          'agent',
          '--config',
          join(dir, 'agent.yml'),
        ];
        const agent = spawn(process.execPath, agentArgs, {
          stdio: ['ignore', 'pipe', process.env.AGENT_BENCH_VERBOSE ? 'inherit' : 'ignore'],
          env: { ...process.env, CANOPY_LOG_LEVEL: 'info' },
        });
        procs.push(agent.pid!);
        await new Promise<void>((r) => agent.stdout.on('data', (b: Buffer) => String(b).includes('connected to the collector') && r()));

        // Idle: after start-up settles, over two socket rounds and a counter round.
        await sleep(15_000);
        const t0 = ticks(agent.pid!);
        const w0 = Date.now();
        await sleep(30_000);
        const cpu = ((ticks(agent.pid!) - t0) / 100 / ((Date.now() - w0) / 1000)) * 100;
        emit({ bench: 'agent.idle-cpu', value: Number(cpu.toFixed(2)), unit: '% of a core', namespaces: NS, sockets: PAIRS * 2, goal: 2 });
        const kids = childrenOf(agent.pid!);
        emit({ bench: 'agent.rss', value: Math.round(rssKb(agent.pid!) / 1024), unit: 'MiB', namespaces: NS });
        emit({
          bench: 'agent.rss-with-monitors',
          value: Math.round((rssKb(agent.pid!) + kids.reduce((s, k) => s + rssKb(k), 0)) / 1024),
          unit: 'MiB',
          monitors: kids.length,
        });

        // Latency: ip link set down/up → NodeUpdated at a subscriber.
        const ws = new WebSocket(`ws://${addr}/ws/subscriber`, { headers: { 'X-Client-Type': 'bench' } });
        await new Promise((r) => ws.once('open', r));
        let waiting: { name: string; state: string; resolve: () => void } | undefined;
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { Type: string; Obj?: { Metadata?: { Name?: string; State?: string; Netns?: string } } };
          const md = m.Obj?.Metadata;
          if (waiting && m.Type === 'NodeUpdated' && md?.Netns === waiting.name && md.Name === 'a0' && md.State === waiting.state)
            waiting.resolve();
        });
        const lat: number[] = [];
        let timeouts = 0;
        // Down then up on the same interface: each sample is a real state change (setting an UP
        // link up changes nothing, and would only time out). A sample that times out counts 5 s.
        for (let i = 0; i < 40; i++) {
          const ns = names[Math.floor(i / 2) % NS]!;
          const state = i % 2 === 0 ? 'DOWN' : 'UP';
          let hit = false;
          const seen = new Promise<void>((resolve) => (waiting = { name: ns, state, resolve: () => ((hit = true), resolve()) }));
          const t = performance.now();
          execFileSync('ip', ['-n', ns, 'link', 'set', 'a0', state === 'DOWN' ? 'down' : 'up']);
          await Promise.race([seen, sleep(5000)]);
          lat.push(performance.now() - t);
          if (!hit) timeouts++;
          if (process.env.AGENT_BENCH_VERBOSE) process.stderr.write(`${ns} ${state} ${Math.round(lat[lat.length - 1]!)} ms\n`);
          if (state === 'UP') await sleep(100);
        }
        ws.close();
        const fig = { unit: 'ms', samples: lat.length, timeouts };
        emit({ bench: 'agent.link-down-to-subscriber.p50', value: Math.round(pct(lat, 50)), ...fig });
        emit({ bench: 'agent.link-down-to-subscriber.p99', value: Math.round(pct(lat, 99)), ...fig, goal: 1000 });
      } finally {
        for (const p of procs.reverse()) {
          try {
            process.kill(p, 'SIGTERM');
          } catch {
            // gone
          }
        }
        await sleep(1500);
        await collector?.stop();
        for (const n of names) {
          try {
            execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
          } catch {
            // not created
          }
        }
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
