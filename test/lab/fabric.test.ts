// Done-means test of the namespace twin: fabric.clab.yml comes up as namespaces, and without
// Canopy we prove it is real — LLDP neighbours, LLDP-MIB over SNMP v2c and v3, BRIDGE-MIB, sFlow
// from both OVS switches, NetFlow v5/v9/IPFIX from softflowd, a linkDown trap — then tear down
// and check that nothing is left.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lldpNeighbours } from '../../src/lab/lldp-neighbours.ts';
import { isAlive } from '../../src/lab/procs.ts';
import { parseTopology } from '../../src/lab/topology.ts';
import { labSkipReason, startLab, type TestLab } from './lab-fixture.ts';

const FILE = 'containerlab/fabric.clab.yml';
const topo = parseTopology(readFileSync(FILE, 'utf8'));
const reason = labSkipReason();
if (reason) console.warn(`[lab] fabric.test.ts skipped: ${reason}`);

const LLDP_LOC_PORT_ID = '1.0.8802.1.1.2.1.3.7.1.3';
const LLDP_REM_PORT_SUBTYPE = '1.0.8802.1.1.2.1.4.1.1.6';
const LLDP_REM_PORT_ID = '1.0.8802.1.1.2.1.4.1.1.7';
const LLDP_REM_SYSNAME = '1.0.8802.1.1.2.1.4.1.1.9';

/** snmpwalk -On -Ox output → suffix-after-OID → raw value (hex bytes as Buffer, ints as number). */
function parseWalk(text: string, oid: string): Map<string, Buffer | number> {
  const out = new Map<string, Buffer | number>();
  for (const line of text.split('\n')) {
    const m = /^\.(\S+) = (\w[\w-]*): ?(.*)$/.exec(line.trim());
    if (!m || !m[1]!.startsWith(oid + '.')) continue;
    const suffix = m[1]!.slice(oid.length + 1);
    out.set(suffix, m[2] === 'INTEGER' ? Number(m[3]) : Buffer.from(m[3]!.replace(/\s+/g, ''), 'hex'));
  }
  return out;
}

const macOf = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

describe.skipIf(reason !== null)(`fabric.clab.yml as namespaces${reason ? ` — SKIPPED: ${reason}` : ''}`, () => {
  let lab: TestLab;
  const macs = new Map<string, string>(); // "node:iface" → MAC

  beforeAll(async () => {
    lab = await startLab(FILE);
    console.log(`[lab] fabric bring-up ${lab.upMs} ms (prefix ${lab.prefix})`);
    for (const n of topo.nodes.filter((x) => x.role === 'host')) {
      const links = JSON.parse((await lab.exec(lab.namespaces[n.name]!, 'ip', ['-j', 'link', 'show'])).stdout) as {
        ifname: string;
        address: string;
      }[];
      for (const l of links) macs.set(`${n.name}:${l.ifname}`, l.address);
    }
  });
  afterAll(async () => {
    await lab?.stop();
  });

  /** What each switch port should see: the peer's name and port id (ifName for switches, MAC for hosts). */
  function expectedNeighbours(sw: string): { localIf: string; sysName: string; portId: string }[] {
    const node = topo.nodes.find((n) => n.name === sw)!;
    return node.ifaces
      .map((i) => {
        const peer = topo.nodes.find((n) => n.name === i.peer.node)!;
        const portId = peer.role === 'switch' ? i.peer.iface : macs.get(`${peer.name}:${i.peer.iface}`)!;
        return { localIf: i.name, sysName: peer.name, portId };
      })
      .sort((a, b) => a.localIf.localeCompare(b.localIf));
  }

  it('lldpcli in every switch namespace shows the expected neighbours', async () => {
    for (const sw of Object.values(lab.switches)) {
      const got = (await lldpNeighbours(sw.lldpSocket))
        .map((n) => ({ localIf: n.localIf, sysName: n.sysName, portId: n.portIdType === 'mac' ? n.portId.toLowerCase() : n.portId }))
        .sort((a, b) => a.localIf.localeCompare(b.localIf));
      expect(got, sw.name).toEqual(expectedNeighbours(sw.name));
    }
    expect(Object.keys(lab.switches).sort()).toEqual(['leaf1', 'leaf2', 'spine1', 'spine2']);
  });

  async function lldpRemRows(sw: string, v3: boolean) {
    const s = lab.switches[sw]!.snmp;
    const auth = v3
      ? ['-v3', '-l', 'authPriv', '-u', s.v3.user, '-a', s.v3.authProtocol, '-A', s.v3.authKey, '-x', s.v3.privProtocol, '-X', s.v3.privKey]
      : ['-v2c', '-c', s.community];
    const walk = async (oid: string) =>
      parseWalk((await lab.exec(lab.mgmtNs, 'snmpwalk', [...auth, '-On', '-Ox', s.host, oid])).stdout, oid);
    const loc = await walk(LLDP_LOC_PORT_ID);
    const sub = await walk(LLDP_REM_PORT_SUBTYPE),
      pid = await walk(LLDP_REM_PORT_ID),
      name = await walk(LLDP_REM_SYSNAME);
    // Index is timeMark.localPortNum.remIndex; key on the values, never on the index (LAB.md).
    return [...name.entries()]
      .map(([idx, sysName]) => {
        const localPort = idx.split('.')[1]!;
        const portId = pid.get(idx) as Buffer;
        return {
          localIf: (loc.get(localPort) as Buffer).toString(),
          sysName: (sysName as Buffer).toString(),
          portId: sub.get(idx) === 3 ? macOf(portId) : portId.toString(),
        };
      })
      .sort((a, b) => a.localIf.localeCompare(b.localIf));
  }

  it('snmpwalk of every switch returns lldpRemTable rows naming the expected hosts and ports (v2c and v3)', async () => {
    for (const sw of Object.keys(lab.switches)) {
      const v2 = await lldpRemRows(sw, false);
      expect(v2, `${sw} v2c`).toEqual(expectedNeighbours(sw));
      expect(await lldpRemRows(sw, true), `${sw} v3`).toEqual(v2);
    }
  });

  it('serves BRIDGE-MIB on Linux-bridge switches, FDB learning h4 on leaf2', async () => {
    await lab.exec(lab.namespaces.h1!, 'ping', ['-c2', '-i0.2', '-W1', '-q', lab.nodes.h4!.ifaces[0]!.ipv4[0]!.split('/')[0]!]);
    const s = lab.switches.leaf2!.snmp;
    const ports = parseWalk(
      (await lab.exec(lab.mgmtNs, 'snmpwalk', ['-v2c', '-c', s.community, '-On', '-Ox', s.host, '1.3.6.1.2.1.17.1.4.1.2'])).stdout,
      '1.3.6.1.2.1.17.1.4.1.2',
    );
    expect(ports.size).toBe(3);
    const fdb = parseWalk(
      (await lab.exec(lab.mgmtNs, 'snmpwalk', ['-v2c', '-c', s.community, '-On', '-Ox', s.host, '1.3.6.1.2.1.17.4.3.1.1'])).stdout,
      '1.3.6.1.2.1.17.4.3.1.1',
    );
    expect([...fdb.values()].map((b) => macOf(b as Buffer))).toContain(macs.get('h4:eth1'));
  });

  it('OVS sFlow v5 datagrams from spine1 and leaf1 arrive on a UDP socket in the mgmt namespace', async () => {
    const l = await lab.listenUdp([lab.collector.sflowPort]);
    try {
      for (const sw of ['spine1', 'leaf1']) {
        const ip = lab.switches[sw]!.mgmtIp;
        const d = await l.waitFor((x) => x.from === ip);
        const b = Buffer.from(d.hex, 'hex');
        expect(b.readUInt32BE(0), 'sFlow version').toBe(5);
        expect(b.readUInt32BE(4), 'agent address type IPv4').toBe(1);
        expect([...b.subarray(8, 12)].join('.'), 'agent address').toBe(ip);
      }
    } finally {
      await l.stop();
    }
  });

  it('softflowd on leaf2 exports NetFlow v5, v9 and IPFIX for h1 → h4 traffic', async () => {
    const c = lab.collector;
    const l = await lab.listenUdp([c.netflowPort, c.ipfixPort]);
    try {
      await lab.exec(lab.namespaces.h1!, 'ping', ['-c3', '-i0.3', '-W1', '-q', lab.nodes.h4!.ifaces[0]!.ipv4[0]!.split('/')[0]!]);
      const from = lab.switches.leaf2!.mgmtIp;
      const version = (d: { hex: string }) => parseInt(d.hex.slice(0, 4), 16);
      for (const [port, v] of [
        [c.netflowPort, 5],
        [c.netflowPort, 9],
        [c.ipfixPort, 10],
      ] as const) {
        const d = await l.waitFor((x) => x.port === port && x.from === from && version(x) === v);
        expect(version(d)).toBe(v);
      }
    } finally {
      await l.stop();
    }
  });

  it('snmpd on leaf2 sends a linkDown trap within seconds of a port going down', async () => {
    const l = await lab.listenUdp([lab.collector.trapPort]);
    try {
      await lab.exec(lab.namespaces.h3!, 'ip', ['link', 'set', 'eth2', 'down']);
      const linkDown = '2b06010603010105 03'.replace(' ', ''); // 1.3.6.1.6.3.1.1.5.3 BER
      const d = await l.waitFor((x) => x.from === lab.switches.leaf2!.mgmtIp && x.hex.includes(linkDown), 10_000);
      expect(d.hex.startsWith('30')).toBe(true); // BER SEQUENCE (SNMPv2 trap message)
    } finally {
      await lab.exec(lab.namespaces.h3!, 'ip', ['link', 'set', 'eth2', 'up']);
      await l.stop();
    }
  });

  it('tears down completely: no namespaces, no processes, no sockets, no state', async () => {
    const pids = lab.state.procs.map((p) => p.pid);
    expect(pids.length).toBeGreaterThan(20);
    const res = await lab.stop();
    console.log(`[lab] fabric tear-down ${res?.ms} ms (${res?.stopped} processes)`);
    const nss = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(nss.split('\n').filter((l) => l.startsWith(lab.prefix))).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
    expect(execFileSync('ss', ['-Hxa'], { encoding: 'utf8' })).not.toContain(lab.stateDir);
  });
});
