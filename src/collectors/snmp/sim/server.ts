// startSimulator: load walks (files, a directory, in-memory records or generated switches) and
// serve them over UDP, either all on one port (device chosen by community / v3 context) or one
// port per device.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { isIP } from 'node:net';
import type { Logger } from '../../../util/log.ts';
import { formatListen, parseListen } from '../../../util/listen.ts';
import { SimAgent, type AgentOptions, type SimStats } from './agent.ts';
import { SimDevice } from './device.ts';
import { generateSwitchWalk, switchName, type SwitchWalkOptions } from './generate.ts';
import { listWalkFiles, loadWalkFile } from './load.ts';
import type { LoadSkips, WalkRecord } from './records.ts';

export interface SimulatorDeviceSpec {
  community: string;
  /** Records, or a function producing them (called once, so large sets are not all held at once). */
  records: readonly WalkRecord[] | (() => readonly WalkRecord[]);
}

export interface StartSimulatorOptions extends AgentOptions {
  /** Serve every walk file in this directory. */
  dir?: string;
  /** Serve these walk files. */
  files?: string[];
  /** Serve in-memory records. */
  devices?: SimulatorDeviceSpec[];
  /** Serve `count` generated switches (communities sim-sw-0000…), wired as an LLDP ring. */
  switches?: { count: number } & Omit<SwitchWalkOptions, 'index' | 'total'>;
  /** "ADDR:PORT"; default 127.0.0.1:0 (ephemeral). In port-per-device mode only ADDR is used. */
  listen?: string;
  /** One port per device: device i listens on BASE + i (BASE 0 = an ephemeral port each). */
  portPerDevice?: number;
  /**
   * One IPv4 address per device: device i listens on BASE + i at `listen`'s port (port 0: the
   * first device's ephemeral port, for all). Generated switches advertise these addresses in
   * their neighbours' lldpRemManAddrTable. Linux routes all of 127.0.0.0/8 to lo.
   */
  addressPerDevice?: string;
  /** SO_RCVBUF / SO_SNDBUF request. Default 4 MiB. */
  socketBuffer?: number;
  log?: Logger;
}

export interface SimulatedDeviceInfo {
  community: string;
  /** The address serving it. */
  address: string;
  /** The UDP port serving it. */
  port: number;
  records: number;
  source: string;
  skips: LoadSkips;
}

export interface RunningSimulator {
  /** The shared port (port-per-device: the first device's port; address-per-device: every device's). */
  port: number;
  address: string;
  devices: SimulatedDeviceInfo[];
  agent: SimAgent;
  stats(): SimStats;
  close(): Promise<void>;
}

/** The IPv4 address `n` after `base`. */
export function addressPlus(base: string, n: number): string {
  if (isIP(base) !== 4) throw new Error(`snmp-sim: --address-per-device needs an IPv4 address, not "${base}"`);
  const v = base.split('.').reduce((a, x) => a * 256 + Number(x), 0) + n;
  if (v > 0xffffffff) throw new Error(`snmp-sim: ${base} + ${n} is past 255.255.255.255`);
  return [24, 16, 8, 0].map((sh) => Math.floor(v / 2 ** sh) % 256).join('.');
}

function buildDevices(opts: StartSimulatorOptions): SimDevice[] {
  const out: SimDevice[] = [];
  const files = [...(opts.dir ? listWalkFiles(opts.dir) : []), ...(opts.files ?? [])];
  for (const f of files) out.push(loadWalkFile(f));
  for (const d of opts.devices ?? [])
    out.push(new SimDevice(d.community, typeof d.records === 'function' ? d.records() : d.records, 'records'));
  if (opts.switches) {
    const { count, ...rest } = opts.switches;
    const base = opts.addressPerDevice;
    const first = out.length;
    if (base !== undefined) rest.mgmtAddress = (i) => addressPlus(base, first + i);
    for (let i = 0; i < count; i++)
      out.push(new SimDevice(switchName(i), generateSwitchWalk({ ...rest, index: i, total: count }), 'generated'));
  }
  return attachContexts(out);
}

/** `X@suffix` devices become contexts of device `X` when there is one (they get no port of their own). */
function attachContexts(devices: SimDevice[]): SimDevice[] {
  const byName = new Map(devices.map((d) => [d.community, d]));
  return devices.filter((d) => {
    const at = d.community.lastIndexOf('@');
    const parent = at > 0 ? byName.get(d.community.slice(0, at)) : undefined;
    if (!parent) return true;
    parent.contexts.set(d.community, d);
    return false;
  });
}

async function bind(host: string, port: number, bufferSize: number): Promise<Socket> {
  const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: bufferSize, sendBufferSize: bufferSize });
  s.bind(port, host);
  await Promise.race([once(s, 'listening'), once(s, 'error').then(([e]) => Promise.reject(e as Error))]);
  return s;
}

export async function startSimulator(opts: StartSimulatorOptions): Promise<RunningSimulator> {
  const devices = buildDevices(opts);
  if (devices.length === 0) throw new Error('snmp-sim: no walk files or devices to serve');
  const agent = new SimAgent(devices, opts);
  const listen = parseListen(opts.listen ?? '127.0.0.1:0', '127.0.0.1');
  const bufferSize = opts.socketBuffer ?? 4 * 1024 * 1024;
  const sockets: Socket[] = [];
  const info: SimulatedDeviceInfo[] = [];
  const serve = (s: Socket, local?: SimDevice): void => {
    s.on('message', (msg, rinfo) => {
      let out: Buffer | null;
      try {
        out = agent.handle(msg, local);
      } catch (e) {
        // A bug must not take the simulator down; count it like bad input.
        agent.stats.malformed++;
        agent.stats.lastError = { code: 'unsupported', offset: 0, context: `internal: ${(e as Error).message}` };
        return;
      }
      if (out) s.send(out, rinfo.port, rinfo.address);
    });
    s.on('error', (e) => opts.log?.warn({ err: e }, 'snmp-sim socket error'));
  };
  try {
    if (opts.addressPerDevice !== undefined) {
      let port = listen.port;
      for (let i = 0; i < devices.length; i++) {
        const d = devices[i]!;
        const host = addressPlus(opts.addressPerDevice, i);
        const s = await bind(host, port, bufferSize);
        port = s.address().port;
        sockets.push(s);
        serve(s, d);
        info.push({ community: d.community, address: host, port, records: d.size, source: d.source, skips: d.skips });
      }
    } else if (opts.portPerDevice !== undefined) {
      for (let i = 0; i < devices.length; i++) {
        const d = devices[i]!;
        const s = await bind(listen.host, opts.portPerDevice === 0 ? 0 : opts.portPerDevice + i, bufferSize);
        sockets.push(s);
        serve(s, d);
        info.push({
          community: d.community,
          address: listen.host,
          port: s.address().port,
          records: d.size,
          source: d.source,
          skips: d.skips,
        });
      }
    } else {
      const s = await bind(listen.host, listen.port, bufferSize);
      sockets.push(s);
      serve(s);
      for (const d of devices)
        info.push({
          community: d.community,
          address: listen.host,
          port: s.address().port,
          records: d.size,
          source: d.source,
          skips: d.skips,
        });
    }
  } catch (e) {
    for (const s of sockets) s.close();
    throw e;
  }
  const port = sockets[0]!.address().port;
  const address = info[0]?.address ?? listen.host;
  opts.log?.info({ listen: formatListen({ host: address, port }), devices: info.length, ports: sockets.length }, 'snmp-sim listening');
  return {
    port,
    address,
    devices: info,
    agent,
    stats: () => agent.stats,
    close: async () => {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
