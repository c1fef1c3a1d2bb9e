// Vitest helper: bring a containerlab topology up as network namespaces for one test file, and
// always tear it down. Every instance gets its own namespace prefix, subnet base and state folder,
// so lab test files may run in parallel. The test runner stays in the root namespace; anything
// that must live inside the lab (the collector under test, UDP listeners) is started with
// spawnInMgmt/spawnIn and killed by PID in stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labDown, type DownResult } from '../../src/lab/down.ts';
import { labMissing } from '../../src/lab/prereqs.ts';
import { isAlive, run, stopPids, procStat, type RunResult } from '../../src/lab/procs.ts';
import { readState, type LabOptions, type LabState, type NodeState, type SnmpCreds } from '../../src/lab/state.ts';
import { labUp } from '../../src/lab/up.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const STATE_ROOT = '/tmp/canopy-lab';

/** Why the lab cannot run here (not root, a Debian package missing), or null. */
export function labSkipReason(): string | null {
  const m = labMissing();
  return m.length ? m.join('; ') : null;
}

export interface StartLabOptions {
  sflowPort?: number;
  netflowPort?: number;
  ipfixPort?: number;
  trapPort?: number;
  /** Collector address inside the mgmt subnet (default: the file's mgmt.ipv4-gw, remapped). */
  collector?: string;
  /** Print the lab's progress lines (default: only when CANOPY_LAB_VERBOSE is set). */
  verbose?: boolean;
}

export interface LabSwitch {
  name: string;
  ns: string;
  kind: 'bridge' | 'ovs';
  mgmtIp: string;
  snmp: SnmpCreds & { host: string };
  lldpSocket: string;
  ovsdbSocket?: string;
}

export interface LabChild {
  pid: number;
  child: ChildProcess;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches RE (rejects after timeoutMs or if the child exits first). */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface UdpDatagram {
  port: number;
  from: string;
  len: number;
  hex: string;
}
export interface UdpListener {
  datagrams(port?: number): UdpDatagram[];
  waitFor(pred: (d: UdpDatagram) => boolean, timeoutMs?: number): Promise<UdpDatagram>;
  stop(): Promise<void>;
}

export interface TestLab {
  state: LabState;
  prefix: string;
  stateDir: string;
  mgmtNs: string;
  /** node name → namespace */
  namespaces: Record<string, string>;
  collector: LabState['collector'];
  nodes: Record<string, NodeState>;
  switches: Record<string, LabSwitch>;
  upMs: number;
  exec(ns: string, cmd: string, args: string[], opts?: { allowFail?: boolean; timeoutMs?: number }): Promise<RunResult>;
  spawnIn(ns: string, cmd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): LabChild;
  spawnInMgmt(cmd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): LabChild;
  /** UDP sockets bound in the mgmt namespace on the collector address (default) for these ports. */
  listenUdp(ports: number[], host?: string): Promise<UdpListener>;
  stop(): Promise<DownResult | null>;
}

let counter = 0;

/** Labs of test runs whose process died (crash, ^C) are removed before a new one starts. */
async function sweepStale(): Promise<void> {
  if (!existsSync(STATE_ROOT)) return;
  for (const d of readdirSync(STATE_ROOT)) {
    if (!d.startsWith('test-')) continue;
    const st = readState(join(STATE_ROOT, d));
    if (st && !isAlive(st.ownerPid)) await labDown(st.stateDir, st.namespaces).catch(() => {});
  }
}

const UDP_LISTENER = `
const dgram = require('node:dgram');
const [host, ...ports] = process.argv.slice(1);
let bound = 0;
for (const p of ports) {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => process.stdout.write(JSON.stringify({ port: Number(p), from: r.address, len: m.length, hex: m.subarray(0, 256).toString('hex') }) + '\\n'));
  s.bind(Number(p), host, () => { if (++bound === ports.length) process.stdout.write('LISTENING\\n'); });
}`;

export async function startLab(file: string, opts: StartLabOptions = {}): Promise<TestLab> {
  const reason = labSkipReason();
  if (reason) throw new Error(`lab cannot run: ${reason}`);
  await sweepStale();
  const id = `${process.pid.toString(36)}${(counter++).toString(36)}`;
  const prefix = `t${id}-`;
  const labOpts: LabOptions = {
    prefix,
    subnetBase: `10.${100 + ((process.pid + counter) % 150)}`,
    stateDir: join(STATE_ROOT, `test-${id}`),
    ...opts,
  };
  if (opts.verbose || process.env.CANOPY_LAB_VERBOSE) labOpts.progress = (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`);
  const t0 = Date.now();
  const state = await labUp(resolve(ROOT, file), labOpts);
  const upMs = Date.now() - t0;
  const children: LabChild[] = [];
  let stopped: Promise<DownResult | null> | null = null;

  const spawnIn = (ns: string, cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): LabChild => {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: o.env ?? process.env,
      cwd: o.cwd ?? ROOT,
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${cmd} in ${ns}`);
    const start = procStat(pid)?.start ?? '';
    let out = '',
      err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const lc: LabChild = {
      pid,
      child,
      stdout: () => out,
      stderr: () => err,
      waitForOutput: (re, timeoutMs = 10_000) =>
        new Promise((res, rej) => {
          const check = () => {
            const m = re.exec(out);
            if (m) {
              done();
              res(m[0]);
            }
          };
          const onExit = () => {
            done();
            rej(new Error(`${cmd} in ${ns} exited before printing ${re}: ${err.slice(-500)}`));
          };
          const timer = setTimeout(() => {
            done();
            rej(new Error(`timeout waiting for ${re} from ${cmd} in ${ns}; stderr: ${err.slice(-500)}`));
          }, timeoutMs);
          const done = () => {
            clearTimeout(timer);
            child.stdout.off('data', check);
            child.off('exit', onExit);
          };
          child.stdout.on('data', check);
          child.on('exit', onExit);
          check();
        }),
      stop: async () => {
        await stopPids([{ pid, start }], 2000);
      },
    };
    children.push(lc);
    return lc;
  };

  const switches: Record<string, LabSwitch> = {};
  for (const n of Object.values(state.nodes)) {
    if (n.role !== 'switch' || !n.switchKind) continue;
    const sw: LabSwitch = {
      name: n.name,
      ns: n.ns,
      kind: n.switchKind,
      mgmtIp: n.mgmtIp,
      snmp: { ...state.snmp, host: n.mgmtIp },
      lldpSocket: n.lldpSocket,
    };
    if (n.ovsdbSocket) sw.ovsdbSocket = n.ovsdbSocket;
    switches[n.name] = sw;
  }

  const lab: TestLab = {
    state,
    prefix,
    stateDir: state.stateDir,
    mgmtNs: state.mgmtNs,
    collector: state.collector,
    nodes: state.nodes,
    switches,
    upMs,
    namespaces: Object.fromEntries(Object.values(state.nodes).map((n) => [n.name, n.ns])),
    exec: (ns, cmd, args, o = {}) => run(ns, cmd, args, o),
    spawnIn,
    spawnInMgmt: (cmd, args, o) => spawnIn(state.mgmtNs, cmd, args, o),
    async listenUdp(ports, host = state.collector.address) {
      const c = spawnIn(state.mgmtNs, process.execPath, ['-e', UDP_LISTENER, host, ...ports.map(String)]);
      await c.waitForOutput(/LISTENING/);
      const all = () =>
        c
          .stdout()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as UdpDatagram);
      return {
        datagrams: (port) => all().filter((d) => port === undefined || d.port === port),
        async waitFor(pred, timeoutMs = 15_000) {
          const end = Date.now() + timeoutMs;
          for (;;) {
            const d = all().find(pred);
            if (d) return d;
            if (Date.now() > end) throw new Error(`no matching datagram within ${timeoutMs} ms (got ${all().length})`);
            await new Promise((r) => setTimeout(r, 100));
          }
        },
        stop: () => c.stop(),
      };
    },
    stop() {
      stopped ??= (async () => {
        for (const c of children) await c.stop();
        return labDown(state.stateDir, state.namespaces);
      })();
      return stopped;
    },
  };
  return lab;
}
