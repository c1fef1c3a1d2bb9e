// Collector CPU (all its threads, /proc utime+stime, and each of the busiest threads) per datagram
// at a fixed rate with 1 and 2 receive/decode workers: the figures of docs/performance.md
// "Workers". SENDERS sender processes (each its own socket, so SO_REUSEPORT can spread them) share
// the rate. PROTOCOL: sflow (the sflow.ingest stream, sflow.workers) or ipfix (the ipfix.ingest
// stream, netflow.workers).
// Usage: tsx bench/workers-cpu.ts [RATE=30000] [SECONDS=15] [SENDERS=4] [WORKERS=1,2] [PROTOCOL=sflow]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeCpuNs } from './lib/process-cpu.ts';
import { templates } from './sflow-ingest.bench.ts';
import { ipfixTemplates } from './lib/ipfix-templates.ts';

const [rateText = '30000', secondsText = '15', sendersText = '4', workersText = '1,2', protocolText = 'sflow'] = process.argv.slice(2);
const IPFIX = protocolText === 'ipfix';
if (!IPFIX && protocolText !== 'sflow') throw new Error(`PROTOCOL: sflow or ipfix, not ${protocolText}`);
/** The component whose status carries the listener's figures. */
const COMPONENT = IPFIX ? 'netflow' : 'sflow';
const RATE = Number(rateText);
const SECONDS = Number(secondsText);
const SENDERS = Number(sendersText);
/** CPU ns of each thread of `pid` (/proc/PID/task), with its name. */
function threadCpu(pid: number): Map<number, { name: string; ns: number }> {
  const out = new Map<number, { name: string; ns: number }>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), { name, ns: (Number(f[11]) + Number(f[12])) * 1e7 });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function sendAt(file: string, port: number, rate: number, seconds: number): Promise<number> {
  const ps = Array.from({ length: SENDERS }, () => {
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'lib/udp-sender.ts'),
        file,
        '127.0.0.1',
        String(port),
        String(rate / SENDERS),
        String(seconds),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += String(d)));
    return new Promise<number>((r) => p.on('exit', () => r((JSON.parse(out.trim()) as { sent: number }).sent)));
  });
  return (await Promise.all(ps)).reduce((a, b) => a + b, 0);
}

async function status(base: string): Promise<{ got: number; spread: unknown; socketOverflows: unknown }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const got = Number(new RegExp(`^canopy_datagrams_received_total\\{protocol="${protocolText}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const st = (await (await fetch(`${base}/api/status`)).json()) as { components: Record<string, Record<string, unknown>> };
  const c = st.components[COMPONENT]!;
  return { got, spread: c.workerDatagrams, socketOverflows: c.socketOverflows };
}

async function run(workers: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-workers-'));
  const file = join(dir, 'templates.json');
  writeFileSync(file, JSON.stringify(IPFIX ? ipfixTemplates() : templates()));
  const port = 26643;
  const base = 'http://127.0.0.1:28382';
  const proc: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, '../bin/canopy.js'), 'collector'], {
    env: {
      ...process.env,
      CANOPY_LOG_LEVEL: 'error',
      CANOPY_API_LISTEN: '127.0.0.1:28382',
      ...(IPFIX
        ? {
            CANOPY_SFLOW_ENABLED: 'false',
            CANOPY_NETFLOW_ENABLED: 'false',
            CANOPY_IPFIX_ENABLED: 'true',
            CANOPY_IPFIX_LISTEN: `127.0.0.1:${port}`,
            CANOPY_NETFLOW_WORKERS: String(workers),
          }
        : {
            CANOPY_SFLOW_LISTEN: `127.0.0.1:${port}`,
            CANOPY_SFLOW_WORKERS: String(workers),
            CANOPY_NETFLOW_ENABLED: 'false',
            CANOPY_IPFIX_ENABLED: 'false',
          }),
      CANOPY_SNMP_TRAPS_LISTEN: '127.0.0.1:0',
      CANOPY_STORAGE_DATADIR: dir,
    },
    stdio: 'ignore',
  });
  try {
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 150) throw new Error('collector did not start');
      await sleep(200);
    }
    await sendAt(file, port, 4000, 3);
    await sleep(1000);
    const g0 = (await status(base)).got;
    const c0 = treeCpuNs(proc.pid!);
    const t0 = threadCpu(proc.pid!);
    const sent = await sendAt(file, port, RATE, SECONDS);
    await sleep(2000);
    const ns = treeCpuNs(proc.pid!) - c0;
    const t1 = threadCpu(proc.pid!);
    // Per thread (ns per datagram), the busiest first: where the time goes.
    const threads = [...t1]
      .map(([tid, v]) => ({ tid, name: tid === proc.pid ? 'main' : v.name, ns: v.ns - (t0.get(tid)?.ns ?? 0) }))
      .filter((t) => t.ns > 0)
      .sort((a, b) => b.ns - a.ns)
      .slice(0, 6);
    const s = await status(base);
    const got = s.got - g0;
    console.log(
      JSON.stringify({
        protocol: protocolText,
        workers,
        rate: RATE,
        seconds: SECONDS,
        senders: SENDERS,
        sent,
        received: got,
        cpuNsPerDatagram: Math.round(ns / Math.max(1, got)),
        perWorker: s.spread,
        socketOverflows: s.socketOverflows,
        threadsNsPerDatagram: threads.map((t) => `${t.name}:${Math.round(t.ns / Math.max(1, got))}`),
      }),
    );
  } finally {
    proc.kill('SIGKILL');
    await new Promise((r) => proc.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const w of workersText.split(',').map(Number)) await run(w);
