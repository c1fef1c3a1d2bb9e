// `npm run bench -- --filter mirror`: port-mirror capture (docs/architecture.md#port-mirror-capture).
// - mirror.replay: frames/s from a pcap file into the conversation table (`canopy replay`'s path),
//   beside tshark (conversation statistics) and tcpdump (decode and print) reading the same file.
// - mirror.live: frames/s captured from a live veth (tcpreplay at rising rates from another
//   namespace) into the conversation table before the first loss, for the project's pcap_batch
//   addon and for the npm `cap` package, each in its own process inside the capture namespace.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { replayPcap } from '../src/collectors/mirror/replay.ts';
import { synthPcap } from './lib/synth-pcap.ts';
import type { Bench, Emit } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FRAMES = Number(process.env.MIRROR_BENCH_FRAMES ?? 300_000);

function have(cmd: string, arg = '--version'): boolean {
  return spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
}

function wall(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status})`);
  return (performance.now() - t0) / 1000;
}

async function replayBench(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-mirror-bench-'));
  try {
    const file = join(dir, 'synth.pcap');
    synthPcap(file, FRAMES);
    const buf = readFileSync(file);
    replayPcap(buf); // warm-up
    let best = Infinity;
    let bestWall = Infinity;
    for (let i = 0; i < 3; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      replayPcap(buf);
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1e6);
      bestWall = Math.min(bestWall, (performance.now() - t0) / 1000);
    }
    const base = { frames: FRAMES, file: 'synthetic 64–320 B frames, 2,000 conversations' };
    const peers: [string, number][] = [];
    if (have('tshark', '-v'))
      peers.push(['tshark -q -z conv,ip', Math.min(...[0, 1].map(() => wall('tshark', ['-r', file, '-q', '-z', 'conv,ip'])))]);
    if (have('tcpdump')) peers.push(['tcpdump -nn -q', Math.min(...[0, 1].map(() => wall('tcpdump', ['-r', file, '-nn', '-q'])))]);
    emit({ bench: 'mirror.replay.cpu', value: Math.round(FRAMES / best), unit: 'frames/s per core', ...base });
    for (const [peer, secs] of peers)
      emit({
        bench: 'mirror.replay.wall',
        value: Math.round(FRAMES / bestWall),
        unit: 'frames/s (wall)',
        peer,
        peerValue: Math.round(FRAMES / secs),
        ...base,
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sh(cmd: string): void {
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
}

interface Step {
  requested: number;
  sent: number;
  achieved: number;
  frames: number;
  kernelDrops: number;
}

/** One rate: capture child ready and warm → tcpreplay for ~2 s → child's counts. */
async function step(engine: string, tx: string, rx: string, file: string, pps: number | 'top', frames: number): Promise<Step> {
  const child = spawn(
    'ip',
    ['netns', 'exec', rx, process.execPath, '--import', 'tsx', join(ROOT, 'bench/lib/mirror-capture-child.ts'), engine, 'mrx'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error('capture child did not start')), 20_000);
    const check = () => {
      if (out.includes('ready')) {
        clearTimeout(t);
        res();
      } else setTimeout(check, 20);
    };
    check();
  });
  // Steady state, as a running collector is: JIT-compiled parsing, not the first frames' cold path.
  await new Promise((res) => setTimeout(res, 1000));
  const rate = pps === 'top' ? ['--topspeed'] : [`--pps=${pps}`];
  const r = spawnSync('ip', ['netns', 'exec', tx, 'tcpreplay', '-q', '-i', 'mtx', ...rate, '--loop=10', `--limit=${frames}`, file], {
    encoding: 'utf8',
  });
  const sent = Number(/Actual: (\d+) packets/.exec(r.stdout)?.[1] ?? 0);
  const secs = Number(/packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(r.stdout)?.[1] ?? 0);
  await new Promise((res) => setTimeout(res, 500));
  const done = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  await done;
  const last = out.trim().split('\n').at(-1) ?? '{}';
  const got = JSON.parse(last) as { frames: number; kernelDrops: number };
  return {
    requested: pps === 'top' ? 0 : pps,
    sent,
    achieved: secs > 0 ? Math.round(sent / secs) : 0,
    frames: got.frames,
    kernelDrops: got.kernelDrops,
  };
}

async function liveBench(emit: Emit): Promise<void> {
  if (process.getuid?.() !== 0 || !have('tcpreplay')) {
    process.stderr.write('mirror.live: needs root and tcpreplay (scripts/install-test-deps.sh); skipped\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'canopy-mirror-live-'));
  const tag = `cmb${process.pid % 10000}`;
  const tx = `${tag}-tx`;
  const rx = `${tag}-rx`;
  try {
    const file = join(dir, 'synth.pcap');
    synthPcap(file, 200_000);
    sh(`ip netns add ${tx} && ip netns add ${rx}`);
    for (const n of [tx, rx]) sh(`ip netns exec ${n} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`);
    sh(`ip link add name ${tag}a type veth peer name ${tag}b`);
    sh(`ip link set ${tag}a netns ${tx} name mtx && ip link set ${tag}b netns ${rx} name mrx`);
    sh(`ip -n ${tx} link set dev mtx up && ip -n ${rx} link set dev mrx up`);
    for (const engine of ['native', 'cap']) {
      let best: Step | undefined;
      let firstLoss: Step | undefined;
      for (const pps of [25_000, 50_000, 100_000, 200_000, 400_000, 800_000, 'top'] as const) {
        const s = await step(engine, tx, rx, file, pps, pps === 'top' ? 1_000_000 : pps * 2);
        const lost = s.kernelDrops > 0 || s.frames < s.sent;
        if (lost) {
          firstLoss = s;
          break;
        }
        best = s;
      }
      emit({
        bench: `mirror.live.${engine}`,
        value: best?.achieved ?? 0,
        unit: 'frames/s captured without loss',
        engine: engine === 'native' ? 'pcap_batch (libpcap, batched)' : 'npm cap 0.2.1 (libpcap, one callback per frame)',
        ...(firstLoss
          ? { firstLossAt: firstLoss.achieved, lostFrames: firstLoss.sent - firstLoss.frames, kernelDropsReported: firstLoss.kernelDrops }
          : { firstLossAt: null, note: 'no loss up to tcpreplay --topspeed' }),
      });
    }
  } finally {
    spawnSync('ip', ['netns', 'del', tx]);
    spawnSync('ip', ['netns', 'del', rx]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [
  { name: 'mirror.replay', run: replayBench },
  { name: 'mirror.live', run: liveBench },
];
