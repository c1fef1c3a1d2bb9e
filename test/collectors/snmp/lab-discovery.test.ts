// SNMP discovery against real agents: the fabric lab (4 switches, snmpd with lldpd's AgentX; lldpd
// advertises each node's mgmt address, `configure system ip management pattern`). One collector polls
// every switch from its config; another has only spine1 configured and discovery on over the mgmt
// subnet. The second finds the other three switches from LLDP management addresses (and tries the
// hosts, whose lldpd advertises their mgmt address too but which run no agent) and builds the same
// graph: the same node IDs and the same links (endpoints), compared as sets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForValue } from '../../../src/lab/wait.ts';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../../lab/lab-fixture.ts';

const skip = labSkipReason();
const FILE = 'containerlab/fabric.clab.yml';

interface Coll {
  name: string;
  api: string;
  child: LabChild;
}

describe.skipIf(skip !== null)(`SNMP discovery in the lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  const colls: Record<'all' | 'discovered', Coll> = {} as never;

  const curl = async (c: Coll, path: string): Promise<any> => {
    const r = await lab.exec(lab.mgmtNs, 'curl', ['-s', '--max-time', '5', `${c.api}${path}`]);
    return JSON.parse(r.stdout);
  };
  const waitFor = <T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> =>
    waitForValue(what, ms, () => fn().catch(() => undefined));

  /** The graph as sets: node IDs, and each edge as "relation parent→child". */
  const graph = async (c: Coll) => {
    const topo = await curl(c, '/api/topology');
    return {
      nodes: new Set<string>((topo.Nodes as any[]).map((n) => n.ID)),
      edges: new Set<string>((topo.Edges as any[]).map((e) => `${e.Metadata.RelationType} ${e.Parent}→${e.Child}`)),
      switches: (topo.Nodes as any[]).filter((n) => n.Metadata.Type === 'switch').map((n) => n.Metadata.Name as string),
    };
  };

  beforeAll(async () => {
    lab = await startLab(FILE);
    const sw = Object.values(lab.switches);
    const community = sw[0]!.snmp.community;
    for (const [name, port] of [
      ['all', 18092],
      ['discovered', 18093],
    ] as const) {
      const dir = join(lab.stateDir, `collector-${name}`);
      mkdirSync(dir, { recursive: true });
      const dev = (s: (typeof sw)[number]) => ({ address: s.snmp.host, port: s.snmp.port, version: '2c', community });
      const cfg = {
        api: { listen: `127.0.0.1:${port}` },
        storage: { dataDir: dir },
        sflow: { listen: '127.0.0.1:0' },
        netflow: { listen: '127.0.0.1:0' },
        ipfix: { listen: '127.0.0.1:0' },
        snmp: {
          devices: name === 'all' ? sw.map(dev) : [dev(lab.switches.spine1!)],
          credentials: name === 'all' ? [] : [{ subnet: lab.state.mgmtSubnet, community }],
          discovery: name === 'all' ? { enabled: false } : { enabled: true, cidrs: [lab.state.mgmtSubnet] },
          counterInterval: 2,
          lldpInterval: 2,
          fdbInterval: 2,
          timeout: 1,
          retries: 1,
          traps: { enabled: false },
        },
      };
      const file = join(dir, 'canopy.yml');
      writeFileSync(file, JSON.stringify(cfg));
      const child = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', file], {
        env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
      });
      colls[name] = { name, api: `http://127.0.0.1:${port}`, child };
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of Object.values(colls)) await c.child?.stop();
    await lab?.stop();
  }, 30_000);

  it('lldpd advertises each switch mgmt address in lldpRemManAddrTable, reachable from the collector', async () => {
    const s = lab.switches.spine1!;
    const out = (
      await lab.exec(lab.mgmtNs, 'snmpbulkwalk', [
        '-v2c',
        '-c',
        s.snmp.community,
        '-On',
        `${s.snmp.host}:${s.snmp.port}`,
        '1.0.8802.1.1.2.1.4.2.1.3',
      ])
    ).stdout;
    const addrs = [...out.matchAll(/\.1\.4\.(\d+\.\d+\.\d+\.\d+) = /g)].map((m) => m[1]!);
    expect(addrs.sort()).toEqual([lab.switches.leaf1!.mgmtIp, lab.switches.leaf2!.mgmtIp].sort());
  });

  it(`with only spine1 configured, discovery finds the other switches and builds the same graph as with all configured`, async () => {
    const names = Object.keys(lab.switches).sort();
    expect(names).toHaveLength(4);
    for (const c of Object.values(colls)) {
      await waitFor(
        async () => {
          const devs: any[] = Object.values((await curl(c, '/api/status')).components.snmp.devices);
          return devs.length === names.length && devs.every((d) => d.state === 'ok' && d.tasks.lldp?.ok && d.tasks.fdb?.ok)
            ? devs
            : undefined;
        },
        45_000,
        `${c.name}: every switch polled`,
      );
    }
    const devices = Object.values<any>(await curl(colls.discovered, '/api/devices'));
    const bySource = (src: string) =>
      devices
        .filter((d) => d.Source === src)
        .map((d) => d.address)
        .sort();
    expect(bySource('config')).toEqual([lab.switches.spine1!.mgmtIp]);
    expect(bySource('discovered')).toEqual(
      names
        .filter((n) => n !== 'spine1')
        .map((n) => lab.switches[n]!.mgmtIp)
        .sort(),
    );
    // The hosts advertise their mgmt address too, but answer no SNMP.
    const hosts = Object.values(lab.nodes).filter((n) => n.role === 'host');
    const disc = await waitFor(
      async () => {
        const d = (await curl(colls.discovered, '/api/status')).components.snmp.discovery;
        return d.probing === 0 && d.rejected['no-answer'] === hosts.length ? d : undefined;
      },
      20_000,
      'the hosts tried and counted as no-answer',
    );
    expect(disc).toMatchObject({ discovered: 3, rejected: { 'no-answer': hosts.length } });
    // Both graphs settle (LLDP, FDB and the stitcher keep working); equal as sets of IDs and endpoints.
    let last: { a: Awaited<ReturnType<typeof graph>>; b: Awaited<ReturnType<typeof graph>> } | undefined;
    const same = (x: Set<string>, y: Set<string>) => x.size === y.size && [...x].every((v) => y.has(v));
    try {
      await waitFor(
        async () => {
          const [a, b] = [await graph(colls.all), await graph(colls.discovered)];
          last = { a, b };
          return same(a.nodes, b.nodes) && same(a.edges, b.edges) && a.switches.length === 4 ? true : undefined;
        },
        30_000,
        'the same graph from both collectors',
      );
    } finally {
      if (last) {
        const diff = (x: Set<string>, y: Set<string>) => [...x].filter((v) => !y.has(v));
        process.stderr.write(
          `[snmp discovery lab] nodes ${last.a.nodes.size}/${last.b.nodes.size}, edges ${last.a.edges.size}/${last.b.edges.size}` +
            ` only-all ${JSON.stringify(diff(last.a.edges, last.b.edges))} only-discovered ${JSON.stringify(diff(last.b.edges, last.a.edges))}\n`,
        );
      }
    }
    expect([...last!.b.nodes].sort()).toEqual([...last!.a.nodes].sort());
    expect([...last!.b.edges].sort()).toEqual([...last!.a.edges].sort());
    expect(last!.b.switches.sort()).toEqual(names);
    expect([...last!.b.edges].filter((e) => e.startsWith('layer2 ')).length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
