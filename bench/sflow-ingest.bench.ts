// sflow.ingest: the loss-free rate (datagrams/s) of a running collector fed real sFlow datagrams
// over loopback with SQLite writes on, beside pmacct's sfacctd fed the same stream the same way.
// Method (issue 4): a separate sender process pinned to the other core, STEP seconds per rate step
// (60 by default; BENCH_STEP_SECONDS to shorten), ≥ 100k distinct flow keys per minute (addresses
// and ports rewritten in the real datagrams), loss = sent − received from the sender's count, the
// kernel's UDP RcvbufErrors and Canopy's own drop counters.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { udpPayloads } from '../src/collectors/common/pcap.ts';
import { decodeSflow } from '../src/collectors/sflow/decode.ts';
import type { Bench, Emit } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const STEP = Number(process.env.BENCH_STEP_SECONDS ?? 60);
const KEYS_PER_MINUTE = 120_000;
const RATES = (process.env.BENCH_INGEST_RATES ?? '50000,100000,125000,150000,175000,200000,250000').split(',').map(Number);

/** Real flow-sample datagrams with the offsets of each sampled IPv4 header's addresses and ports. */
export function templates(): { hex: string; rewrite: number[] }[] {
  const out: { hex: string; rewrite: number[] }[] = [];
  for (const f of ['ovs-sflow.pcap', 'akvorado__data-1140.pcap', 'akvorado__data-sflow-raw-ipv4.pcap', 'akvorado__data-qinq.pcap']) {
    for (const u of udpPayloads(readFileSync(join(ROOT, 'fixtures/pcaps', f)))) {
      const dg = decodeSflow(u.payload);
      const rewrite: number[] = [];
      for (const r of dg.flows) {
        if (!r.srcAddr || !r.dstAddr || r.srcAddr.includes(':')) continue;
        const pat = Buffer.from([...r.srcAddr.split('.'), ...r.dstAddr.split('.')].map(Number));
        const a = u.payload.indexOf(pat);
        if (a < 12) continue;
        const ip = a - 12;
        const l4 = r.srcPort !== undefined ? ip + (u.payload[ip]! & 0x0f) * 4 : 0;
        rewrite.push(a, l4);
      }
      if (rewrite.length) out.push({ hex: u.payload.toString('hex'), rewrite });
    }
  }
  return out;
}

function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/);
  return Number(vals[names.indexOf('RcvbufErrors')]);
}

function pinned(core: number, cmd: string, args: string[], opts: Parameters<typeof spawn>[2] = {}): ChildProcess {
  const haveTaskset = spawnSync('which', ['taskset']).status === 0;
  return haveTaskset ? spawn('taskset', ['-c', String(core), cmd, ...args], opts) : spawn(cmd, args, opts);
}

async function sendStep(tplFile: string, port: number, rate: number, seconds = STEP): Promise<number> {
  const p = pinned(
    1,
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/lib/udp-sender.ts'),
      tplFile,
      '127.0.0.1',
      String(port),
      String(rate),
      String(seconds),
      String(KEYS_PER_MINUTE),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += String(d)));
  await new Promise((r) => p.on('exit', r));
  return (JSON.parse(out.trim()) as { sent: number }).sent;
}

async function metric(base: string, re: RegExp): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Not measured: lets the receiver create its exporter/port state and warm up before the steps. */
async function warmUp(tplFile: string, port: number): Promise<void> {
  await sendStep(tplFile, port, 5000, 3);
  await sleep(1000);
}

async function canopyRun(tplFile: string): Promise<{ rate: number; steps: object[]; receiver: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-ingest-'));
  const sport = 26343;
  const aport = 28082;
  // BENCH_INGEST_RECEIVER=dgram measures the node:dgram fallback instead of recvmmsg.
  const env = {
    ...process.env,
    CANOPY_SFLOW_RECEIVER: process.env.BENCH_INGEST_RECEIVER ?? 'auto',
    CANOPY_LOG_LEVEL: 'warn',
    CANOPY_API_LISTEN: `127.0.0.1:${aport}`,
    CANOPY_SFLOW_LISTEN: `127.0.0.1:${sport}`,
    CANOPY_NETFLOW_ENABLED: 'false',
    CANOPY_IPFIX_ENABLED: 'false',
    CANOPY_SNMP_TRAPS_LISTEN: '127.0.0.1:0',
    CANOPY_STORAGE_DATADIR: dir,
  };
  const c = pinned(0, process.execPath, [join(ROOT, 'bin/canopy.js'), 'collector'], { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${aport}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(200);
  }
  const steps: object[] = [];
  let best = 0;
  let receiver: string;
  try {
    receiver = String(
      ((await (await fetch(`${base}/api/status`)).json()) as { components: { sflow: { receiver: string } } }).components.sflow.receiver,
    );
    await warmUp(tplFile, sport);
    for (const rate of RATES) {
      const r0 = await metric(base, /^canopy_datagrams_received_total\{protocol="sflow"\} (\d+)/);
      const d0 = await metric(base, /^canopy_datagrams_dropped_total\{protocol="sflow",reason="(?:queue_full|socket_overflow)"\} (\d+)/);
      const k0 = rcvbufErrors();
      const sent = await sendStep(tplFile, sport, rate);
      await sleep(2000); // let the queue drain
      const received = (await metric(base, /^canopy_datagrams_received_total\{protocol="sflow"\} (\d+)/)) - r0;
      const dropped =
        (await metric(base, /^canopy_datagrams_dropped_total\{protocol="sflow",reason="(?:queue_full|socket_overflow)"\} (\d+)/)) - d0;
      const kernel = rcvbufErrors() - k0;
      const loss = sent - received;
      steps.push({ rate, sent, received, loss, queueDrops: dropped, kernelRcvbufErrors: kernel });
      process.stderr.write(`canopy ${rate}/s: sent ${sent} received ${received} loss ${loss} (kernel ${kernel}, queue ${dropped})\n`);
      if (loss > 0) break;
      best = Math.round(sent / STEP);
    }
  } finally {
    c.kill('SIGTERM');
    await new Promise((r) => c.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  return { rate: best, steps, receiver };
}

async function sfacctdRun(tplFile: string): Promise<{ rate: number; steps: object[] } | undefined> {
  if (spawnSync('which', ['sfacctd']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sfacctd-ingest-'));
  const port = 26344;
  const conf = join(dir, 'sfacctd.conf');
  writeFileSync(
    conf,
    [
      'daemonize: false',
      'sfacctd_ip: 127.0.0.1',
      `sfacctd_port: ${port}`,
      'plugins: print[out]',
      'aggregate[out]: peer_src_ip, in_iface, out_iface, src_host, dst_host, proto, src_port, dst_port',
      'print_output[out]: csv',
      `print_output_file[out]: ${join(dir, 'out.csv')}`,
      'print_refresh_time[out]: 10',
      'plugin_buffer_size: 102400',
      'plugin_pipe_size: 10240000',
      // Same 32 MiB socket buffer Canopy asks for (sfacctd keeps the kernel default otherwise).
      'sfacctd_pipe_size: 33554432',
    ].join('\n'),
  );
  const p = pinned(0, 'sfacctd', ['-f', conf], { stdio: 'ignore' });
  await sleep(1500);
  const steps: object[] = [];
  let best = 0;
  try {
    await warmUp(tplFile, port);
    for (const rate of RATES) {
      const k0 = rcvbufErrors();
      const sent = await sendStep(tplFile, port, rate);
      await sleep(2000);
      const kernel = rcvbufErrors() - k0;
      steps.push({ rate, sent, loss: kernel, kernelRcvbufErrors: kernel });
      process.stderr.write(`sfacctd ${rate}/s: sent ${sent} kernel drops ${kernel}\n`);
      if (kernel > 0) break;
      best = Math.round(sent / STEP);
    }
  } finally {
    p.kill('SIGKILL'); // pmacct takes seconds to honour SIGTERM (LAB.md gotcha 12)
    await new Promise((r) => p.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  return { rate: best, steps };
}

async function measure(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-tpl-'));
  const tplFile = join(dir, 'templates.json');
  const tpl = templates();
  writeFileSync(tplFile, JSON.stringify(tpl));
  const ours = await canopyRun(tplFile);
  const peer = await sfacctdRun(tplFile);
  emit({
    bench: 'sflow.ingest',
    value: ours.rate,
    unit: 'datagrams/s (loss-free)',
    ...(peer ? { peer: 'sfacctd', peerValue: peer.rate, ratio: peer.rate ? +(ours.rate / peer.rate).toFixed(2) : null } : {}),
    receiver: ours.receiver,
    stepSeconds: STEP,
    distinctKeysPerMinute: KEYS_PER_MINUTE,
    templates: tpl.length,
    steps: ours.steps,
    peerSteps: peer?.steps,
  });
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

export const benches: Bench[] = [
  {
    name: 'sflow.ingest',
    async run(emit) {
      // Both receivers ask for a 32 MiB socket buffer; let the kernel grant it for the run.
      const RMEM = '/proc/sys/net/core/rmem_max';
      const oldRmem = existsSync(RMEM) ? readFileSync(RMEM, 'utf8').trim() : undefined;
      try {
        if (oldRmem !== undefined && Number(oldRmem) < 33554432) writeFileSync(RMEM, '33554432');
      } catch {
        process.stderr.write('sflow.ingest: cannot raise net.core.rmem_max (not root); receivers keep the default buffer\n');
      }
      try {
        await measure(emit);
      } finally {
        if (oldRmem !== undefined) {
          try {
            writeFileSync(RMEM, oldRmem);
          } catch {
            // not root: nothing was changed
          }
        }
      }
    },
  },
];
