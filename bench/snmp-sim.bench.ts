// snmp.sim: varbinds/s the simulator serves to a GETBULK walker (npm net-snmp, max-repetitions 25,
// 4 concurrent full walks, in its own process), with Debian's snmpsimd serving the same walk file as
// the peer in the same run. Run directly with `--walker PORT COMMUNITY SECONDS` it is the walker.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'fixtures/snmp');
const COMMUNITY = 'librenms__ciscosb_sg350x-24p';
const SECONDS = Number(process.env.SNMP_SIM_BENCH_SECONDS ?? 5);

interface WalkResult {
  varbinds: number;
  walks: number;
  seconds: number;
}

/** Walker mode: 4 concurrent GETBULK walks of the whole device, repeated until `seconds` pass. */
async function walker(port: number, community: string, seconds: number): Promise<WalkResult> {
  const snmp = createRequire(import.meta.url)('net-snmp');
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  let varbinds = 0;
  let walks = 0;
  const one = () =>
    new Promise<void>((res, rej) => {
      const s = snmp.createSession('127.0.0.1', community, { port, version: snmp.Version2c, timeout: 5000, retries: 1 });
      s.walk(
        '1.0',
        25,
        (vbs: unknown[]) => void (varbinds += vbs.length),
        (err: Error | null) => {
          s.close();
          if (err) rej(err);
          else res();
        },
      );
    });
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      do {
        await one();
        walks++;
      } while (Date.now() < deadline);
    }),
  );
  return { varbinds, walks, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function kill(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function startOurs(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'snmp-sim', '--dir', FIXTURES, '--listen', '127.0.0.1:0', '--max-message-size', '65507'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((res, rej) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes('"snmp-sim ready"'));
      if (line) res((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (c) => rej(new Error(`snmp-sim exited ${c}`)));
  });
  return { child, port };
}

async function startSnmpsimd(): Promise<{ child: ChildProcess; port: number }> {
  const cache = join(tmpdir(), 'canopy-snmpsim-cache');
  if (!existsSync(cache)) mkdirSync(cache, { recursive: true });
  chmodSync(cache, 0o777);
  const port = await freePort();
  const args = [`--data-dir=${FIXTURES}`, `--cache-dir=${cache}`, `--agent-udpv4-endpoint=127.0.0.1:${port}`, '--logging-method=null'];
  if (process.getuid?.() === 0) args.push('--process-user=nobody', '--process-group=nogroup');
  const child = spawn('snmpsimd', args, { stdio: 'ignore' });
  // Ready once a full walk of sysName succeeds.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      await runWalker(port, 0.01);
      return { child, port };
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  kill(child);
  throw new Error('snmpsimd did not start');
}

function runWalker(port: number, seconds: number): Promise<WalkResult> {
  return new Promise((res, rej) => {
    const c = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--walker', String(port), COMMUNITY, String(seconds)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.once('exit', (code) => (code === 0 ? res(JSON.parse(out) as WalkResult) : rej(new Error(`walker exited ${code}: ${err}`))));
  });
}

export const benches: Bench[] = [
  {
    name: 'snmp.sim',
    async run(emit) {
      const ours = await startOurs();
      let peer: { child: ChildProcess; port: number } | null = null;
      try {
        const cpu0 = cpuSeconds(ours.child.pid!);
        const a = await runWalker(ours.port, SECONDS);
        const cpu = cpuSeconds(ours.child.pid!) - cpu0;
        peer = await startSnmpsimd();
        const pcpu0 = cpuSeconds(peer.child.pid!);
        const b = await runWalker(peer.port, SECONDS);
        const pcpu = cpuSeconds(peer.child.pid!) - pcpu0;
        emit({
          bench: 'snmp.sim',
          value: a.varbinds / a.seconds,
          unit: 'varbinds/s',
          peer: 'snmpsimd',
          peerValue: b.varbinds / b.seconds,
          device: COMMUNITY,
          maxRepetitions: 25,
          concurrentWalks: 4,
          walks: a.walks,
          peerWalks: b.walks,
        });
        emit({
          bench: 'snmp.sim.cpu',
          value: a.varbinds / Math.max(cpu, 0.01),
          unit: 'varbinds/cpu-s',
          peer: 'snmpsimd',
          peerValue: b.varbinds / Math.max(pcpu, 0.01),
        });
      } finally {
        kill(ours.child);
        if (peer) kill(peer.child);
      }
    },
  },
];

if (process.argv[2] === '--walker') {
  const r = await walker(Number(process.argv[3]), process.argv[4]!, Number(process.argv[5]));
  process.stdout.write(JSON.stringify(r));
}
