// Port-mirror capture against real mirrors in namespaces this file creates: a tc mirred SPAN of a
// host's veth, and an Open vSwitch (userspace datapath) mirror of a switch port to an internal port
// cnp-mir-1. Each flow's per-direction packets and bytes must equal what tshark reads from a
// capture of the same interface over the same time.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureEngine } from '../../../src/collectors/mirror/engine.ts';
import type { MirrorFlow } from '../../../src/collectors/mirror/conversations.ts';
import { createMirrorComponent } from '../../../src/collectors/mirror/component.ts';
import { flowsReader } from '../../../src/collectors/flows/flows-reader.ts';
import { CAN_NETNS, HAVE_OVS, Lab, sh, waitFor } from './netns.ts';
import { directionKey, directionsOf, sumBy, tsharkFieldArgs, type Counts } from './tshark.ts';
import { env, poll } from '../flows/merge-env.ts';

const labs: Lab[] = [];
afterEach(async () => {
  for (const l of labs.splice(0)) await l.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// IPv6 neighbour discovery and MLD repeat on their own timers; the comparison window must hold only
// what the test sends, so both captures take IPv4 and ARP.
const FILTER = 'ip or arp';

/** Two hosts on one veth, h1's side mirrored both ways by tc to a capture veth in a third namespace. */
function tcMirrorLab(): { lab: Lab; h1: string; h2: string; cap: string; a1: string; a2: string } {
  const lab = new Lab('t');
  labs.push(lab);
  const h1 = lab.ns('h1');
  const h2 = lab.ns('h2');
  const cap = lab.ns('cap');
  const net = `10.213.${process.pid % 250}`;
  lab.veth(h1, 'eth0', h2, 'eth0');
  lab.veth(h1, 'mon', cap, 'mon');
  sh(`ip -n ${h1} addr add ${net}.1/24 dev eth0 && ip -n ${h2} addr add ${net}.2/24 dev eth0`);
  sh(`ip netns exec ${h1} tc qdisc add dev eth0 clsact`);
  for (const dir of ['ingress', 'egress'])
    sh(`ip netns exec ${h1} tc filter add dev eth0 ${dir} u32 match u32 0 0 action mirred egress mirror dev mon`);
  return { lab, h1, h2, cap, a1: `${net}.1`, a2: `${net}.2` };
}

// A TCP sink on 5001 that prints "ready" once listening (netcat is not a test dependency; node is).
const SERVER = `require('net').createServer((s) => s.resume()).listen(5001, () => console.log('ready'))`;
// 300 kB over TCP, then three UDP datagrams to 5002.
const CLIENT = `const [a] = process.argv.slice(1); const s = require('net').connect(5001, a, () => s.end(Buffer.alloc(300000, 7)));
s.on('close', () => { const u = require('dgram').createSocket('udp4'); let n = 0;
  const next = () => n++ < 3 ? u.send('probe' + n, 5002, a, next) : u.close(); next(); });`;

/** ICMP, a 300 kB TCP transfer and UDP datagrams from h1 to h2. */
async function traffic(lab: Lab, h1: string, h2: string, a2: string): Promise<void> {
  sh(`ip netns exec ${h1} ping -c 4 -i 0.2 -q ${a2} >/dev/null`);
  const server = lab.spawn(h2, process.execPath, ['-e', SERVER]);
  await new Promise<void>((r) => server.stdout!.once('data', () => r()));
  server.stdout!.resume();
  execFileSync('ip', ['netns', 'exec', h1, process.execPath, '-e', CLIENT, a2], { stdio: 'ignore' });
  await sleep(200);
}

/**
 * Starts tshark on the capture interface and waits until it really captures: h1 pings the subnet's
 * broadcast address (no ARP, no reply) until tshark prints such a frame. Those markers come before
 * the engine starts; `compare` leaves them out of tshark's side.
 */
async function liveTshark(lab: Lab, capNs: string, iface: string, h1: string, net: string) {
  const t = await lab.tshark(capNs, iface, FILTER, tsharkFieldArgs());
  const marker = `${net}.255`;
  const re = new RegExp(`\\t${marker.replace(/\./g, '\\.')}\\t`);
  await waitFor(
    () => {
      spawnOk(`ip netns exec ${h1} ping -b -c 1 -W 0.1 -q ${marker}`);
      return t.seen(re);
    },
    15_000,
    'tshark to see a marker frame',
  );
  return {
    compare: async (ours: MirrorFlow[]) => {
      const theirs = directionsOf(await t.stop());
      for (const k of [...theirs.keys()]) if (k.includes(`>${marker}|`)) theirs.delete(k);
      expectSame(ours, theirs);
    },
  };
}

function expectSame(ours: MirrorFlow[], theirs: Map<string, Counts>): void {
  const mine = sumBy(ours, directionKey);
  expect(Object.fromEntries(mine)).toEqual(Object.fromEntries(theirs));
}

describe.skipIf(!CAN_NETNS)('port-mirror capture on live mirrors', () => {
  it('tc mirred SPAN: every flow direction has the packets and bytes tshark reads on the same interface', async () => {
    const { lab, h1, h2, cap, a1, a2 } = tcMirrorLab();
    const tshark = await liveTshark(lab, cap, 'mon', h1, a1.replace(/\.1$/, ''));
    const flows: MirrorFlow[] = [];
    const engine = new CaptureEngine(
      { interface: 'mon', netns: cap, filter: FILTER, target: { device: 'h1-port' }, exportInterval: 1 },
      (f) => flows.push(...f),
    );
    engine.start();
    await traffic(lab, h1, h2, a2);
    await sleep(500);
    engine.stop();
    await tshark.compare(flows);
    // The transfer is there, with its handshake's round trip and flags, in both directions.
    const tcp = flows.filter((f) => f.proto === 6 && f.srcAddr === a1 && f.dstPort === 5001);
    expect(tcp.reduce((s, f) => s + f.bytes, 0)).toBeGreaterThan(300_000);
    expect(tcp[0]!.rttMs).toBeGreaterThanOrEqual(0);
    expect(tcp[0]!.tcpFlags & 0x02).toBe(0x02);
    // The 4 echo replies are one flow of type 0, whatever other ICMP a2 sends (port unreachable …).
    const replies = flows.filter((f) => f.proto === 1 && f.srcAddr === a2 && f.icmpType === 0);
    expect(replies.reduce((n, f) => n + f.packets, 0)).toBe(4);
    const s = engine.status();
    expect(s.kernelDrops).toBe(0);
    expect(s.frames).toBeGreaterThan(20);
  });

  it('counts kernel drops when the collector falls behind a flood', async () => {
    const { lab, h1, cap, a2 } = tcMirrorLab();
    void lab;
    const engine = new CaptureEngine({ interface: 'mon', netns: cap, bufferBytes: 256 * 1024, target: { device: 'x' } }, () => {});
    engine.start();
    // Busy for a while (no event-loop turn) while the mirror carries a ping flood: the ring overflows.
    const flood = lab.spawn(h1, 'ping', ['-f', '-q', '-s', '1400', '-w', '3', a2]);
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      /* the collector is busy */
    }
    await new Promise((r) => flood.once('exit', r));
    await sleep(300);
    const s = engine.status();
    engine.stop();
    expect(s.kernelDrops).toBeGreaterThan(0);
    expect(s.frames).toBeGreaterThan(0);
  });

  it('a capture on a missing interface or with a bad filter fails with a clear message, and so does the collector', () => {
    expect(() => new CaptureEngine({ interface: 'cnp-no-such-if', target: {} }, () => {}).start()).toThrow(/cnp-no-such-if/);
    expect(() => new CaptureEngine({ interface: 'lo', filter: 'tcp port', target: {} }, () => {}).start()).toThrow(/filter/);
    const lab = new Lab('c');
    labs.push(lab);
    const cfg = join(lab.dir, 'canopy.yml');
    writeFileSync(
      cfg,
      [
        `storage: { dataDir: ${lab.dir} }`,
        'api: { listen: 127.0.0.1:0 }',
        'sflow: { listen: 127.0.0.1:0 }',
        'netflow: { listen: 127.0.0.1:0 }',
        'ipfix: { enabled: false }',
        'snmp: { enabled: false }',
        'mirror: { interfaces: [{ interface: cnp-no-such-if, device: leaf1, port: Ethernet1 }] }',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'collector', '--config', cfg], {
      cwd: resolve(import.meta.dirname, '../../..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/component mirror failed to start: capture on cnp-no-such-if/);
  });

  it.skipIf(!HAVE_OVS)(
    'OVS mirror of a switch port to cnp-mir-1: flows on that port in the flow store, as tshark counts them, with drops in /metrics and status',
    async () => {
      const lab = new Lab('o');
      labs.push(lab);
      const h1 = lab.ns('h1');
      const h2 = lab.ns('h2');
      const sw = lab.ns('sw');
      const net = `10.214.${process.pid % 250}`;
      lab.veth(h1, 'eth0', sw, 'sw-p1');
      lab.veth(h2, 'eth0', sw, 'sw-p2');
      sh(`ip -n ${h1} addr add ${net}.1/24 dev eth0 && ip -n ${h2} addr add ${net}.2/24 dev eth0`);
      const vsctl = await lab.ovs(sw);
      vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
      vsctl('add-port', 'br0', 'sw-p1', '--', 'add-port', 'br0', 'sw-p2');
      vsctl('add-port', 'br0', 'cnp-mir-1', '--', 'set', 'interface', 'cnp-mir-1', 'type=internal');
      await waitFor(() => sh(`ip -n ${sw} -o link`).includes('cnp-mir-1'), 10_000, 'the mirror port');
      sh(`ip -n ${sw} link set br0 up && ip -n ${sw} link set cnp-mir-1 up`);
      vsctl(
        '--',
        '--id=@p1',
        'get',
        'port',
        'sw-p1',
        '--',
        '--id=@out',
        'get',
        'port',
        'cnp-mir-1',
        '--',
        '--id=@m',
        'create',
        'mirror',
        'name=cnp-1',
        'select-src-port=@p1',
        'select-dst-port=@p1',
        'output-port=@out',
        '--',
        'set',
        'bridge',
        'br0',
        'mirrors=@m',
      );
      // The switch as SNMP would have written it: the mirrored port is found by its name.
      const e = env({
        'mirror.interfaces': [{ interface: 'cnp-mir-1', netns: sw, device: 'ovs-sw', port: 'sw-p1', filter: FILTER }],
        'mirror.exportInterval': 1,
      });
      const swId = poll(e, {
        address: `${net}.254`,
        sysName: 'ovs-sw',
        chassis: '02:00:00:21:00:01',
        ports: [
          [2, 'sw-p1'],
          [3, 'sw-p2'],
        ],
      });
      const portId = e.store.edgesOf(swId, 'out').find((x) => e.store.getNode(x.Child)?.Metadata.Name === 'sw-p1')!.Child;
      // Frames between the hosts cross the switch only once it forwards: wait for a first ping.
      await waitFor(() => spawnOk(`ip netns exec ${h1} ping -c 1 -W 1 ${net}.2`), 15_000, 'OVS forwarding');
      await sleep(300);
      const tshark = await liveTshark(lab, sw, 'cnp-mir-1', h1, net);
      const component = createMirrorComponent(e.ctx, e.pipeline)!;
      await component.start();
      await traffic(lab, h1, h2, `${net}.2`);
      await sleep(500);
      const status = component.status() as { interfaces: { kernelDrops: number; frames: number; conversations: number }[] };
      await component.stop();
      const rows = flowsReader(e.pipeline).query({ node: portId, top: 10_000 });
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.protocol).toBe('mirror');
        expect(r.deviceId).toBe(swId);
        expect(r.inPortId).toBe(portId);
        expect(r.inIf).toBe(2);
      }
      await tshark.compare(rows as unknown as MirrorFlow[]);
      expect(status.interfaces[0]!.frames).toBeGreaterThan(20);
      const metrics = await e.ctx.registry.metrics();
      expect(metrics).toMatch(/canopy_mirror_drops_total\{interface="cnp-mir-1",reason="kernel"\} 0/);
      expect(metrics).toMatch(/canopy_mirror_drops_total\{interface="cnp-mir-1",reason="eviction"\} 0/);
      expect(metrics).toMatch(/canopy_flow_records_total\{protocol="mirror"\} [1-9]/);
    },
    60_000,
  );
});

function spawnOk(cmd: string): boolean {
  try {
    sh(cmd);
    return true;
  } catch {
    return false;
  }
}
