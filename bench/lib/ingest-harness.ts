// Shared parts of the ingest benches (sflow.ingest, ipfix.ingest, flows.memory, sflow.ingest.workers):
// processes pinned to a core, the sender process (bench/lib/udp-sender.ts) run for one rate step,
// the kernel's UDP RcvbufErrors, Prometheus scraping, net.core.rmem_max raised for the run, and
// what /proc says about a process tree (RSS, CPU time, CPU affinity).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const STEP = Number(process.env.BENCH_STEP_SECONDS ?? 60);
export const RATES = (process.env.BENCH_INGEST_RATES ?? '50000,100000,150000,200000,225000,250000,275000,300000,325000,350000,400000')
  .split(',')
  .map(Number);
/** The collector under test and its peer run here; the sender runs on SENDER_CORE. */
export const COLLECTOR_CORE = 0;
export const SENDER_CORE = 1;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/);
  return Number(vals[names.indexOf('RcvbufErrors')]);
}

/**
 * Drops counted on the UDP sockets bound to `port` (the last column of /proc/net/udp{,6}; summed
 * over every socket on the port, as SO_REUSEPORT receivers have several). Unlike RcvbufErrors,
 * which counts the whole machine, this is the receiver's own loss.
 */
export function socketDrops(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let sum = 0;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 12 && cols[1]!.endsWith(hex)) sum += Number(cols[cols.length - 1]);
    }
  }
  return sum;
}

const haveTaskset = spawnSync('which', ['taskset']).status === 0;

/** taskset execs the command: the child's pid is the command's, and its threads and forks inherit the mask. */
export function pinned(core: number, cmd: string, args: string[], opts: Parameters<typeof spawn>[2] = {}): ChildProcess {
  return haveTaskset ? spawn('taskset', ['-c', String(core), cmd, ...args], opts) : spawn(cmd, args, opts);
}

export interface SendOptions {
  tplFile: string;
  port: number;
  rate: number;
  seconds?: number;
  keysPerMinute?: number;
  /** Every record a new key until this many are out; the step then ends early. */
  distinct?: number;
}

export interface SendResult {
  sent: number;
  seconds: number;
  keys: number;
  keysWritten: number;
}

/** One step of the sender process, pinned to the sender's core. */
export async function sendStep(o: SendOptions): Promise<SendResult> {
  const args = [
    '--import',
    'tsx',
    join(ROOT, 'bench/lib/udp-sender.ts'),
    o.tplFile,
    '127.0.0.1',
    String(o.port),
    String(o.rate),
    String(o.seconds ?? STEP),
    String(o.keysPerMinute ?? 120_000),
    ...(o.distinct !== undefined ? ['--distinct', String(o.distinct)] : []),
  ];
  const p = pinned(SENDER_CORE, process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += String(d)));
  await new Promise((r) => p.on('exit', r));
  return JSON.parse(out.trim()) as SendResult;
}

/** Sum of the samples of every metric line matching `re` (first group = value). */
export async function metric(base: string, re: RegExp): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

/** Whether a metric family exists at all (interfaces added later are reported as absent, not as 0). */
export async function hasMetric(base: string, name: string): Promise<boolean> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').some((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
}

/** Both receivers ask for a 32 MiB socket buffer; let the kernel grant it for the run, then restore. */
export async function withRmemMax<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const RMEM = '/proc/sys/net/core/rmem_max';
  const old = existsSync(RMEM) ? readFileSync(RMEM, 'utf8').trim() : undefined;
  try {
    if (old !== undefined && Number(old) < 33554432) writeFileSync(RMEM, '33554432');
  } catch {
    process.stderr.write(`${name}: cannot raise net.core.rmem_max (not root); receivers keep the default buffer\n`);
  }
  try {
    return await fn();
  } finally {
    if (old !== undefined) {
      try {
        writeFileSync(RMEM, old);
      } catch {
        // not root: nothing was changed
      }
    }
  }
}

/** The process and all its descendants (pmacct's plugins are forked children). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // exited while listing
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

/** Resident set of the process tree in bytes (VmRSS of each process, summed; `peak`: VmHWM). */
export function rssBytes(pid: number, peak = false): number {
  const re = peak ? /^VmHWM:\s+(\d+) kB/m : /^VmRSS:\s+(\d+) kB/m;
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      const m = re.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      // exited
    }
  }
  return sum;
}

const TICK_NS = 1e9 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/**
 * CPU time (user + system) of a process tree in ns: every thread of each process, live or exited,
 * and the live child processes (receivers built on worker processes rather than threads).
 */
export function cpuNs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat(5) (utime, stime); `f` starts at field 3.
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticks * TICK_NS;
}

/** CPU affinity (`taskset -cp`) of every process of the tree and every thread of each. */
export function affinity(pid: number): { pid: number; comm: string; cpus: string; threads: number; threadCpus: string[] }[] {
  return processTree(pid).flatMap((p) => {
    try {
      const comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      const tp = spawnSync('taskset', ['-cp', String(p)], { encoding: 'utf8' }).stdout;
      const cpus = /list:\s*(\S+)/.exec(tp)?.[1] ?? '?';
      const tasks = readdirSync(`/proc/${p}/task`);
      const threadCpus = [
        ...new Set(tasks.map((t) => /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${p}/task/${t}/status`, 'utf8'))?.[1] ?? '?')),
      ];
      return [{ pid: p, comm, cpus, threads: tasks.length, threadCpus }];
    } catch {
      return [];
    }
  });
}

/** True when every process and thread of the tree may run on `core` only. */
export function allPinned(a: ReturnType<typeof affinity>, core: number): boolean {
  return a.length > 0 && a.every((p) => p.cpus === String(core) && p.threadCpus.every((c) => c === String(core)));
}
