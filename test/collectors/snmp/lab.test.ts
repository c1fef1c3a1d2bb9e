// Real agents: the fabric lab (snmpd + lldpd AgentX + snmp-bridge-mib per switch namespace).
// Two collectors run as children in the mgmt namespace, one polling every switch over v2c (and
// receiving the switches' traps), one over v3 authPriv; the test reads their API with curl
// from inside the namespace and compares with what `ip link` says in each switch namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForValue } from '../../../src/lab/wait.ts';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { parse as parseYaml } from 'yaml';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../../lab/lab-fixture.ts';

const skip = labSkipReason();
const FILE = 'containerlab/fabric.clab.yml';
const TRAP_PORT = 19162;
const COUNTER_S = 2;

interface Coll {
  name: string;
  api: string;
  dir: string;
  child: LabChild;
}

describe.skipIf(skip !== null)(`SNMP poller against real agents in the lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  const colls: Record<'v2c' | 'v3', Coll> = {} as never;

  const curl = async (c: Coll, path: string): Promise<any> => {
    const r = await lab.exec(lab.mgmtNs, 'curl', ['-s', '--max-time', '5', `${c.api}${path}`]);
    return JSON.parse(r.stdout);
  };
  // Errors count as not yet: the collector may still be starting.
  const waitFor = <T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> =>
    waitForValue(what, ms, () => fn().catch(() => undefined));

  beforeAll(async () => {
    lab = await startLab(FILE, { trapPort: TRAP_PORT });
    const sw = Object.values(lab.switches);
    for (const [name, port] of [
      ['v2c', 18082],
      ['v3', 18083],
    ] as const) {
      const dir = join(lab.stateDir, `collector-${name}`);
      mkdirSync(dir, { recursive: true });
      const devices = sw.map((s) =>
        name === 'v2c'
          ? { address: s.snmp.host, port: s.snmp.port, version: '2c', community: s.snmp.community }
          : {
              address: s.snmp.host,
              port: s.snmp.port,
              version: '3',
              user: s.snmp.v3.user,
              authProtocol: 'sha',
              authKey: s.snmp.v3.authKey,
              privProtocol: 'aes',
              privKey: s.snmp.v3.privKey,
            },
      );
      const cfg = {
        api: { listen: `127.0.0.1:${port}` },
        storage: { dataDir: dir },
        sflow: { listen: '127.0.0.1:0' },
        netflow: { listen: '127.0.0.1:0' },
        ipfix: { listen: '127.0.0.1:0' },
        snmp: {
          devices,
          counterInterval: COUNTER_S,
          lldpInterval: 2,
          fdbInterval: 2,
          timeout: 1,
          retries: 1,
          traps: name === 'v2c' ? { listen: `${lab.collector.address}:${TRAP_PORT}` } : { enabled: false },
        },
      };
      const file = join(dir, 'canopy.yml');
      writeFileSync(file, JSON.stringify(cfg));
      const child = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', file], {
        env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
      });
      colls[name] = { name, api: `http://127.0.0.1:${port}`, dir, child };
    }
    // Every switch polled completely (discover, counters, lldp, fdb) by both collectors.
    for (const c of Object.values(colls)) {
      await waitFor(
        async () => {
          const devs: any[] = Object.values((await curl(c, '/api/status')).components.snmp.devices);
          return devs.length === sw.length && devs.every((d) => d.state === 'ok' && d.tasks.fdb?.ok && d.tasks.lldp?.ok) ? devs : undefined;
        },
        30_000,
        `${c.name} polls of all switches`,
      );
    }
    // LLDP links need both ends polled: one more LLDP round.
    await new Promise((r) => setTimeout(r, 2500));
  }, 120_000);

  afterAll(async () => {
    for (const c of Object.values(colls)) await c.child?.stop();
    await lab?.stop();
  }, 30_000);

  const links = () => {
    const topo = parseYaml(readFileSync(resolve(import.meta.dirname, '../../..', FILE), 'utf8')) as {
      topology: { links: { endpoints: { node: string; interface: string }[] }[] };
    };
    return topo.topology.links.map((l) => l.endpoints).filter((e) => e.every((x) => x.node in lab.switches));
  };

  /** IPv4 addresses (file values) of the far ends of a switch's data links. */
  const neighbourIps = (node: string): string[] => {
    const topo = parseYaml(readFileSync(resolve(import.meta.dirname, '../../..', FILE), 'utf8')) as {
      topology: { links: { endpoints: { node: string; ipv4?: string }[] }[] };
    };
    return topo.topology.links
      .filter((l) => l.endpoints.some((e) => e.node === node))
      .flatMap((l) => l.endpoints.filter((e) => e.node !== node && e.ipv4).map((e) => e.ipv4!.split('/')[0]!));
  };

  for (const v of ['v2c', 'v3'] as const) {
    it(`${v}: each switch with its ports (names, MACs, state) as ip link shows them, and the switch links`, async () => {
      const c = colls[v];
      const topo = await curl(c, '/api/topology');
      const nodes = topo.Nodes as any[];
      const edges = topo.Edges as any[];
      const byId = new Map(nodes.map((n: any) => [n.ID, n]));
      for (const s of Object.values(lab.switches)) {
        const sw = nodes.find((n: any) => n.Metadata.Type === 'switch' && n.Metadata.Name === s.name);
        expect(sw, s.name).toBeDefined();
        expect(sw.Metadata).toMatchObject({ MgmtAddress: s.mgmtIp, Probe: 'snmp' });
        expect(sw.Metadata.LLDP.ChassisID).toBeTruthy();
        const ports = edges.filter((e) => e.Parent === sw.ID && e.Metadata.RelationType === 'ownership').map((e) => byId.get(e.Child));
        const ipl = JSON.parse((await lab.exec(s.ns, 'ip', ['-j', 'link', 'show'])).stdout) as {
          ifindex: number;
          ifname: string;
          address?: string;
          operstate: string;
          link_type: string;
        }[];
        for (const l of ipl.filter((x) => /^eth\d+$/.test(x.ifname))) {
          const p = ports.find((q: any) => q.Metadata.IfIndex === l.ifindex);
          expect(p, `${s.name} ${l.ifname}`).toBeDefined();
          expect(p.Metadata.Name).toBe(l.ifname);
          expect(p.Metadata.MAC).toBe(l.address);
          expect(p.Metadata.State).toBe(l.operstate === 'UP' ? 'UP' : 'DOWN');
        }
      }
      // switch↔switch links from the topology file, each a layer2 edge between the right ports
      const portOf = (node: string, ifname: string) => {
        const sw = nodes.find((n: any) => n.Metadata.Type === 'switch' && n.Metadata.Name === node);
        return edges
          .filter((e) => e.Parent === sw.ID && e.Metadata.RelationType === 'ownership')
          .map((e) => byId.get(e.Child))
          .find((p: any) => p.Metadata.Name === ifname);
      };
      const l2 = edges.filter((e) => e.Metadata.RelationType === 'layer2');
      const expected = links();
      expect(expected.length).toBe(4);
      for (const [a, b] of expected) {
        const pa = portOf(a!.node, a!.interface).ID;
        const pb = portOf(b!.node, b!.interface).ID;
        const e = l2.find((x) => (x.Parent === pa && x.Child === pb) || (x.Parent === pb && x.Child === pa));
        expect(e, `${a!.node}:${a!.interface} ↔ ${b!.node}:${b!.interface}`).toBeDefined();
        expect(e.Metadata.Evidence['lldp-snmp'].LastSeen).toBeGreaterThan(0);
      }
      // The stitcher also cables each host interface to its TOR port (test/topology/stitch-lab.test.ts
      // checks those); here: no layer2 edge joins two switch ports other than the cabled ones.
      const switchPorts = new Set(nodes.filter((n: any) => n.Metadata.Type === 'port').map((n: any) => n.ID));
      expect(l2.filter((e) => switchPorts.has(e.Parent) && switchPorts.has(e.Child))).toHaveLength(expected.length);
    }, 30_000);

    it(`${v}: FDB rows of the Linux-bridge switches (snmp-bridge-mib) map to their ports`, async () => {
      const db = new Database(join(colls[v].dir, 'canopy.db'), { readonly: true });
      let total = 0;
      try {
        for (const s of Object.values(lab.switches).filter((x) => x.kind === 'bridge')) {
          // Make the bridge learn its neighbours: ping the addresses the topology file gives them.
          const br = JSON.parse((await lab.exec(s.ns, 'ip', ['-j', 'addr', 'show', 'br0'])).stdout) as {
            addr_info: { family: string; local: string }[];
          }[];
          const own = br[0]!.addr_info.find((a) => a.family === 'inet')!.local.split('.');
          const peers = links().length ? neighbourIps(s.name).map((ip) => [own[0], own[1], ...ip.split('.').slice(2)].join('.')) : [];
          for (const ip of peers) await lab.exec(s.ns, 'ping', ['-c', '1', '-W', '1', ip], { allowFail: true });
          // Expected: what the agent itself answers to Net-SNMP's snmpbulkwalk from the mgmt namespace
          // (snmp-bridge-mib answers noSuchInstance for some learned entries; those are absent in both).
          const agentRows = async () => {
            const out = (
              await lab.exec(
                lab.mgmtNs,
                'snmpbulkwalk',
                ['-v2c', '-c', s.snmp.community, '-On', '-Cc', `${s.snmp.host}:${s.snmp.port}`, '1.3.6.1.2.1.17.4.3.1'],
                { allowFail: true },
              )
            ).stdout;
            return [...out.matchAll(/^\.1\.3\.6\.1\.2\.1\.17\.4\.3\.1\.2\.((?:\d+\.){5}\d+) = INTEGER: (\d+)$/gm)]
              .map(
                (m) =>
                  `${m[1]!
                    .split('.')
                    .map((x) => Number(x).toString(16).padStart(2, '0'))
                    .join(':')}@${m[2]}`,
              )
              .sort();
          };
          const rows = await waitFor(
            async () => {
              const r = db
                .prepare("SELECT * FROM snmp_fdb WHERE device = ? AND missed = 0 AND mib = 'bridge'")
                .all(`${s.snmp.host}:${s.snmp.port}`) as { mac: string; bridge_port: number; if_index: number | null }[];
              const mine = r.map((x) => `${x.mac}@${x.bridge_port}`).sort();
              return JSON.stringify(mine) === JSON.stringify(await agentRows()) ? r : undefined;
            },
            8000,
            `${s.name} FDB rows equal to the agent's`,
          );
          total += rows.length;
          for (const r of rows) expect(r.if_index, `${s.name} ${r.mac}`).not.toBeNull();
        }
        // Debian 12's snmp-bridge-mib marks learned entries as the bridge's own (its brforward
        // parser inverts is_local), so it serves dot1dTpFdbPort only for the bridge's own MACs and
        // answers noSuchInstance for hosts. Our rows equal the agent's either way (checked above);
        // FDB-to-port mapping of learned hosts is covered by the real walks in fixtures/snmp.
        console.log(`[lab] BRIDGE-MIB FDB rows served by snmp-bridge-mib: ${total}`);
      } finally {
        db.close();
      }
    }, 30_000);
  }

  it("v2c: ARP — a host the TOR pinged gets its IP from the TOR's ipNetToPhysicalTable, on the interface LLDP found", async () => {
    const c = colls.v2c;
    const leaf = lab.switches.leaf1!;
    const hostNs = lab.namespaces.h1!;
    const addr = JSON.parse((await lab.exec(hostNs, 'ip', ['-j', 'addr', 'show', 'eth1'])).stdout) as {
      address: string;
      addr_info: { family: string; local: string }[];
    }[];
    const ip = addr[0]!.addr_info.find((a) => a.family === 'inet')!.local;
    const mac = addr[0]!.address;
    await lab.exec(leaf.ns, 'ping', ['-c', '1', '-W', '1', ip], { allowFail: true });
    // What the agent serves (snmpd reads the namespace's neighbour table), asked with Net-SNMP's tools.
    const served = (
      await lab.exec(
        lab.mgmtNs,
        'snmpbulkwalk',
        // -Ox: a MAC whose bytes happen to be printable (6a:47:2a:27:44:30 is "jG*'D0") still prints as hex.
        ['-v2c', '-c', leaf.snmp.community, '-On', '-Ox', '-Cc', `${leaf.snmp.host}:${leaf.snmp.port}`, '1.3.6.1.2.1.4.35.1.4'],
        {
          allowFail: true,
        },
      )
    ).stdout;
    expect(served).toMatch(
      new RegExp(`\\.1\\.4\\.${ip.replace(/\./g, '\\.')} = (Hex-)?STRING: ${mac.replace(/:/g, '[: ]').toUpperCase()}`, 'i'),
    );
    const node = await waitFor(
      async () => {
        const r = await lab.exec(lab.mgmtNs, 'curl', [
          '-s',
          '--max-time',
          '5',
          '-H',
          'content-type: application/json',
          '-d',
          JSON.stringify({ GremlinQuery: `G.V().Has('IPV4', '${ip}')` }),
          `${c.api}/api/topology`,
        ]);
        const nodes = JSON.parse(r.stdout) as any[];
        return nodes.length === 1 ? nodes[0] : undefined;
      },
      10_000,
      `a node with IPV4 ${ip}`,
    );
    // The host interface the stitcher made from leaf1's LLDP neighbour row (lldpd sends the MAC as port ID).
    expect(node.Metadata).toMatchObject({ MAC: mac, ARP: { IPV4: [ip] } });
    expect(node.Metadata.IPV4).toContain(ip);
    const topo = await curl(c, '/api/topology');
    const sw = (topo.Nodes as any[]).find((n) => n.Metadata.Type === 'switch' && n.Metadata.Name === leaf.name);
    const eth3 = (topo.Edges as any[])
      .filter((e) => e.Parent === sw.ID && e.Metadata.RelationType === 'ownership')
      .map((e) => (topo.Nodes as any[]).find((n) => n.ID === e.Child))
      .find((p) => p.Metadata.Name === 'eth3');
    const link = (topo.Edges as any[]).find(
      (e) => e.Metadata.RelationType === 'layer2' && [e.Parent, e.Child].includes(node.ID) && [e.Parent, e.Child].includes(eth3.ID),
    );
    expect(link, `${ip} ↔ ${leaf.name} eth3`).toBeDefined();
  }, 30_000);

  it('ip link set … down: trap → graph within 1 s of the trap and ≤ 3 s of the command (v2c); polling within one counter interval (v3)', async () => {
    const s = lab.switches.leaf2!;
    const ifname = 'eth3';
    const ipl = JSON.parse((await lab.exec(s.ns, 'ip', ['-j', 'link', 'show', ifname])).stdout) as { ifindex: number }[];
    const ifIndex = ipl[0]!.ifindex;
    const findPort = async (c: Coll) => {
      const topo = await curl(c, '/api/topology');
      const sw = (topo.Nodes as any[]).find((n) => n.Metadata.Type === 'switch' && n.Metadata.Name === s.name);
      const pid = (topo.Edges as any[]).filter((e) => e.Parent === sw.ID).map((e) => e.Child);
      return (topo.Nodes as any[]).find((n) => pid.includes(n.ID) && n.Metadata.IfIndex === ifIndex);
    };
    expect((await findPort(colls.v2c)).Metadata.State).toBe('UP');
    // The lab shortened snmpd's ifTable cache (3 s by default), which its link monitor reads.
    const cache = await lab.exec(lab.mgmtNs, 'snmpget', [
      '-v2c',
      '-c',
      s.snmp.community,
      '-On',
      `${s.snmp.host}:${s.snmp.port}`,
      '1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2',
    ]);
    expect(cache.stdout).toMatch(/INTEGER: 1$/m);
    const t0 = Date.now();
    await lab.exec(s.ns, 'ip', ['link', 'set', ifname, 'down']);
    try {
      const down = await waitFor(
        async () => {
          const p = await findPort(colls.v2c);
          return p.Metadata.State === 'DOWN' ? p : undefined;
        },
        6000,
        'DOWN via trap',
      );
      const seen = Date.now() - t0;
      const st = (await curl(colls.v2c, '/api/status')).components.snmp.traps;
      // Measured on the collector's clock (UpdatedAt, receivedAt), not when this test's polling
      // through `ip netns exec curl` happened to notice: that adds up to a few hundred ms under load.
      const timing = `command→trap ${st.lastLinkTrap?.receivedAt - t0} ms, trap→graph ${down.UpdatedAt - st.lastLinkTrap?.receivedAt} ms, command→graph ${down.UpdatedAt - t0} ms, noticed by the test after ${seen} ms`;
      process.stderr.write(`[snmp lab] ${s.name} ${ifname} down: ${timing}\n`);
      expect(st.byKind.linkDown).toBeGreaterThanOrEqual(1);
      expect(st.lastLinkTrap).toMatchObject({ kind: 'linkDown', source: s.mgmtIp, ifIndex });
      expect(down.UpdatedAt - st.lastLinkTrap.receivedAt, timing).toBeLessThan(1000);
      expect(down.UpdatedAt - t0, timing).toBeLessThanOrEqual(3000);
      const polled = await waitFor(
        async () => {
          const p = await findPort(colls.v3);
          return p.Metadata.State === 'DOWN' ? p : undefined;
        },
        COUNTER_S * 1000 + 1500,
        'DOWN via polling',
      );
      expect(polled.Metadata.State).toBe('DOWN');
      process.stderr.write(`[snmp lab] ${s.name} ${ifname} down: via polling after ${Date.now() - t0} ms\n`);
    } finally {
      await lab.exec(s.ns, 'ip', ['link', 'set', ifname, 'up']);
    }
  }, 30_000);
});
