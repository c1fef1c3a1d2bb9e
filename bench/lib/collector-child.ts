// A real `canopy collector` as a child process (bin/canopy.js, config in a file), for the flood
// bench and the crash tests: what they do to it (SIGKILL, a flood, a full disk) must happen to the
// process an operator runs, not to an in-process object. Ports are picked free on loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const HAVE_TASKSET = spawnSync('which', ['taskset']).status === 0;

export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, host, r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

export interface CollectorProcess {
  pid: number;
  child: ChildProcess;
  base: string;
  /** Authorization header value when the config has an admin token. */
  headers: Record<string, string>;
  /** What it wrote to stdout (its log) and stderr, the last 100–200 kB. */
  output(): string;
  /** Sum of the /metrics samples whose line matches RE (the value is the last field). */
  metric(re: RegExp): Promise<number>;
  /** Resident set size (VmRSS) from /proc, in bytes. */
  rss(): number;
  exited(): boolean;
  /** SIGTERM (a clean stop flushes everything) and wait. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill9(): Promise<void>;
}

export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Starts a collector with `config` (written beside the data dir as JSON, which YAML reads) and waits
 * for /healthz. `apiPort` must be in config.api.listen.
 */
export async function spawnCollector(opts: {
  config: Record<string, unknown>;
  configFile: string;
  apiHost?: string;
  apiPort: number;
  token?: string;
  env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (ip netns exec). */
  ns?: string;
  /** Pin to this CPU (taskset), so a sender on the other one does not take the collector's time. */
  cpu?: number;
}): Promise<CollectorProcess> {
  writeFileSync(opts.configFile, JSON.stringify(opts.config));
  const args = [join(ROOT, 'bin/canopy.js'), 'collector', '--config', opts.configFile];
  // As an operator runs it: not the test runner's NODE_ENV=test and VITEST_* variables.
  const env: NodeJS.ProcessEnv = { ...process.env, CANOPY_LOG_LEVEL: 'warn', ...opts.env };
  for (const k of Object.keys(env)) if (k === 'NODE_ENV' || k.startsWith('VITEST')) delete env[k];
  const cmd = [process.execPath, ...args];
  if (opts.cpu !== undefined && HAVE_TASKSET) cmd.unshift('taskset', '-c', String(opts.cpu));
  if (opts.ns) cmd.unshift('ip', 'netns', 'exec', opts.ns);
  // taskset and ip netns exec both exec the command: the child's PID is the collector's.
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  // Logs (pino writes to stdout) and crashes (stderr), in arrival order.
  const take = (b: Buffer) => {
    err += b.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const base = `http://${opts.apiHost ?? '127.0.0.1'}:${opts.apiPort}`;
  const headers: Record<string, string> = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
  let exitCode: number | null | undefined;
  const exit = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      exitCode = code;
      r(code);
    }),
  );
  const up = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`collector exited (${exitCode}) before answering: ${err.slice(-2000)}`);
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > up) {
      child.kill('SIGKILL');
      throw new Error(`collector not answering on ${base}: ${err.slice(-2000)}`);
    }
    await sleep(100);
  }
  return {
    pid: child.pid!,
    child,
    base,
    headers,
    output: () => err,
    async metric(re) {
      const text = await (await fetch(`${base}/metrics`, { headers })).text();
      let sum = 0;
      for (const line of text.split('\n')) if (re.test(line)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      return sum;
    },
    rss: () => rssBytes(child.pid!),
    exited: () => exitCode !== undefined,
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exit;
      clearTimeout(t);
      return code;
    },
    async kill9() {
      if (exitCode !== undefined) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}
