// Namespaces, veths, tshark and Open vSwitch for the port-mirror tests: everything created here is
// named with one prefix and removed by `cleanup()`; processes are stopped by their PID.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CAN_NETNS =
  process.getuid?.() === 0 &&
  spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
export const HAVE_OVS = spawnSync('ovs-vswitchd', ['--version'], { stdio: 'ignore' }).status === 0;

export function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class Lab {
  readonly prefix: string;
  readonly dir: string;
  readonly namespaces: string[] = [];
  private readonly procs: ChildProcess[] = [];

  constructor(tag: string) {
    this.prefix = `cm${tag}${process.pid % 10000}`;
    this.dir = mkdtempSync(join(tmpdir(), 'canopy-mirror-'));
  }

  ns(name: string): string {
    const full = `${this.prefix}-${name}`;
    sh(`ip netns add ${full} && ip -n ${full} link set lo up`);
    this.namespaces.push(full);
    return full;
  }

  /** A veth pair between two namespaces, both ends up, transmit checksum offload off (OVS netdev needs it). */
  veth(nsA: string, ifA: string, nsB: string, ifB: string): void {
    sh(`ip link add name ${this.prefix}t type veth peer name ${this.prefix}u`);
    sh(`ip link set ${this.prefix}t netns ${nsA} name ${ifA} && ip link set ${this.prefix}u netns ${nsB} name ${ifB}`);
    for (const [n, i] of [
      [nsA, ifA],
      [nsB, ifB],
    ] as const) {
      sh(`ip -n ${n} link set ${i} up`);
      sh(`ip netns exec ${n} ethtool -K ${i} tx off >/dev/null 2>&1 || true`);
    }
  }

  /** Runs a long-lived command; stopped by PID in cleanup() unless stopped before. */
  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(c);
    return c;
  }

  /**
   * tshark dissecting `iface` in `ns` live, one line of fields per frame (`args`). "Capturing on"
   * comes before the ring is attached, so callers send marker frames until `seen(re)` says tshark
   * printed one. `stop()` ends it (SIGINT: it prints what it still holds) and returns every line.
   */
  async tshark(
    ns: string,
    iface: string,
    filter: string,
    args: string[],
  ): Promise<{ seen: (re: RegExp) => boolean; stop: () => Promise<string> }> {
    const c = this.spawn(ns, 'tshark', ['-i', iface, '-f', filter, '-l', ...args]);
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => /Capturing on/.test(err) || c.exitCode !== null, 15_000, `tshark to start (${err})`);
    if (c.exitCode !== null) throw new Error(`tshark exited: ${err}`);
    return {
      seen: (re) => re.test(out),
      stop: async () => {
        await stopProc(c, 'SIGINT');
        return out;
      },
    };
  }

  /** ovsdb-server + ovs-vswitchd (userspace datapath) inside `ns`; returns an ovs-vsctl runner. */
  async ovs(ns: string): Promise<(...args: string[]) => string> {
    const run = join(this.dir, 'ovs');
    sh(`mkdir -p ${run} && ovsdb-tool create ${run}/conf.db /usr/share/openvswitch/vswitch.ovsschema`);
    const sock = join(run, 'db.sock');
    this.spawn(ns, 'ovsdb-server', [
      `${run}/conf.db`,
      `--remote=punix:${sock}`,
      `--unixctl=${run}/ovsdb.ctl`,
      '-vconsole:off',
      `--log-file=${run}/ovsdb.log`,
    ]);
    await waitFor(() => existsSync(sock), 10_000, 'ovsdb-server socket');
    const vsctl = (...args: string[]) => execFileSync('ovs-vsctl', [`--db=unix:${sock}`, '--timeout=15', ...args], { encoding: 'utf8' });
    vsctl('--no-wait', 'init');
    this.spawn(ns, 'ovs-vswitchd', [`unix:${sock}`, `--unixctl=${run}/vswitchd.ctl`, '-vconsole:off', `--log-file=${run}/vswitchd.log`]);
    return vsctl;
  }

  async cleanup(): Promise<void> {
    for (const c of this.procs.splice(0)) await stopProc(c, 'SIGTERM');
    for (const n of this.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', n]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopProc(c: ChildProcess, sig: NodeJS.Signals): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  process.kill(c.pid, sig);
  const t = setTimeout(() => c.pid !== undefined && c.exitCode === null && process.kill(c.pid, 'SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}
