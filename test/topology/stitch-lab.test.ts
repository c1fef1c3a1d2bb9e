// Stitching end to end in the lab twin of containerlab/fabric.clab.yml: a collector in the mgmt
// namespace polls every switch (snmpd + lldpd AgentX) with the lab's short intervals and receives
// their link traps. The graph must hold exactly the cabled links — switch↔switch and TOR
// port↔host interface — with no duplicate nodes; a cable pulled goes DOWN within 10 s; a host
// re-cabled to another port moves; identities survive a collector restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../lab/lab-fixture.ts';

const skip = labSkipReason();
const FILE = 'containerlab/fabric.clab.yml';
const API = 'http://127.0.0.1:18090';

type El = { ID: string; Parent: string; Child: string; Metadata: Record<string, any> };
interface Endpoint {
  node: string;
  interface: string;
}

describe.skipIf(skip !== null)(`stitching in the lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  let child: LabChild;
  let cfgFile: string;
  const cabled: Endpoint[][] = (
    parseYaml(readFileSync(FILE, 'utf8')) as { topology: { links: { endpoints: (string | Endpoint)[] }[] } }
  ).topology.links.map((l) =>
    l.endpoints.map((e) =>
      typeof e === 'string' ? { node: e.split(':')[0]!, interface: e.split(':')[1]! } : { node: e.node, interface: e.interface },
    ),
  );

  const curl = async (path: string, body?: string): Promise<any> => {
    const args = ['-s', '--max-time', '5', `${API}${path}`];
    if (body) args.push('-XPOST', '-d', body);
    return JSON.parse((await lab.exec(lab.mgmtNs, 'curl', args)).stdout);
  };
  const graph = async () => (await curl('/api/topology')) as { Nodes: El[]; Edges: El[] };
  const startCollector = async () => {
    child = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', cfgFile], {
      env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
    });
    // (expect.poll only works inside tests; this also runs in beforeAll.)
    const until = Date.now() + 30_000;
    while ((await curl('/healthz').catch(() => ({}))).status !== 'ok') {
      if (Date.now() > until) throw new Error(`collector did not start: ${child.stderr()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  /** The node and interface/port an endpoint of the topology file is in the graph. */
  const resolveEnd = (g: { Nodes: El[]; Edges: El[] }, e: Endpoint): El | undefined => {
    const owner = g.Nodes.find((n) => (n.Metadata.Type === 'switch' || n.Metadata.Type === 'host') && n.Metadata.Name === e.node);
    if (!owner) return undefined;
    const kids = g.Edges.filter((x) => x.Parent === owner.ID && x.Metadata.RelationType === 'ownership').map((x) =>
      g.Nodes.find((n) => n.ID === x.Child)!,
    );
    return kids.find((k) => k && k.Metadata.Name === e.interface);
  };
  const linkOf = (g: { Nodes: El[]; Edges: El[] }, a: El, b: El) =>
    g.Edges.find(
      (x) => x.Metadata.RelationType === 'layer2' && ((x.Parent === a.ID && x.Child === b.ID) || (x.Parent === b.ID && x.Child === a.ID)),
    );

  beforeAll(async () => {
    lab = await startLab(FILE, { trapPort: 19163 });
    const dir = join(lab.stateDir, 'collector-stitch');
    mkdirSync(dir, { recursive: true });
    const devices = Object.values(lab.switches).map((s) => ({
      address: s.snmp.host,
      port: s.snmp.port,
      version: '2c',
      community: s.snmp.community,
    }));
    cfgFile = join(dir, 'canopy.yml');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        api: { listen: '127.0.0.1:18090' },
        storage: { dataDir: dir },
        sflow: { listen: '127.0.0.1:0' },
        netflow: { listen: '127.0.0.1:0' },
        ipfix: { listen: '127.0.0.1:0' },
        snmp: {
          devices,
          counterInterval: 2,
          lldpInterval: 2,
          fdbInterval: 2,
          rediscoverInterval: 5,
          timeout: 1,
          retries: 1,
          traps: { listen: `${lab.collector.address}:19163` },
        },
      }),
    );
    await startCollector();
  }, 120_000);

  afterAll(async () => {
    await child?.stop();
    await lab?.stop();
  }, 30_000);

  it('holds exactly the cabled links, each between the right port and interface, and no duplicate nodes', async () => {
    let g = await graph();
    await expect
      .poll(
        async () => {
          g = await graph();
          return cabled.filter(([a, b]) => {
            const x = resolveEnd(g, a!);
            const y = resolveEnd(g, b!);
            return x && y && linkOf(g, x, y)?.Metadata.State === 'UP';
          }).length;
        },
        { timeout: 40_000, interval: 1000 },
      )
      .toBe(cabled.length);
    const l2 = g.Edges.filter((e) => e.Metadata.RelationType === 'layer2');
    expect(l2).toHaveLength(cabled.length); // no extra links
    for (const e of l2) expect(Object.keys(e.Metadata.Evidence)).toContain('lldp-snmp');
    // No duplicates: one node per switch and per host name, one interface per host port.
    const named = g.Nodes.filter((n) => n.Metadata.Type === 'switch' || n.Metadata.Type === 'host').map(
      (n) => `${n.Metadata.Type}:${n.Metadata.Name}`,
    );
    expect(new Set(named).size).toBe(named.length);
    expect(named.filter((n) => n.startsWith('switch:')).sort()).toEqual(['switch:leaf1', 'switch:leaf2', 'switch:spine1', 'switch:spine2']);
    expect(named.filter((n) => n.startsWith('host:')).sort()).toEqual(['host:h1', 'host:h2', 'host:h3', 'host:h4']);
    // The host interfaces carry the MACs the hosts really have.
    for (const h of ['h3', 'h4']) {
      const links = JSON.parse((await lab.exec(lab.namespaces[h]!, 'ip', ['-j', 'link', 'show'])).stdout) as {
        ifname: string;
        address: string;
      }[];
      for (const [a, b] of cabled.filter((l) => l.some((e) => e.node === h))) {
        const hostEnd = a!.node === h ? a! : b!;
        expect(resolveEnd(g, hostEnd)!.Metadata.MAC).toBe(links.find((l) => l.ifname === hostEnd.interface)!.address);
      }
    }
  }, 60_000);

  it('marks a pulled cable DOWN within 10 s and UP again when it is back', async () => {
    const [a, b] = cabled.find((l) => l.some((e) => e.node === 'h2'))!;
    const sw = a!.node === 'h2' ? b! : a!;
    const host = a!.node === 'h2' ? a! : b!;
    const state = async () => {
      const g = await graph();
      return linkOf(g, resolveEnd(g, sw)!, resolveEnd(g, host)!)?.Metadata.State;
    };
    expect(await state()).toBe('UP');
    const t0 = Date.now();
    await lab.exec(lab.namespaces[sw.node]!, 'ip', ['link', 'set', sw.interface, 'down']);
    await lab.exec(lab.namespaces[host.node]!, 'ip', ['link', 'set', host.interface, 'down']);
    await expect.poll(state, { timeout: 10_000, interval: 200 }).toBe('DOWN');
    console.log(`[lab] link DOWN in the graph ${Date.now() - t0} ms after ip link set down`);
    await lab.exec(lab.namespaces[sw.node]!, 'ip', ['link', 'set', sw.interface, 'up']);
    await lab.exec(lab.namespaces[host.node]!, 'ip', ['link', 'set', host.interface, 'up']);
    await expect.poll(state, { timeout: 30_000, interval: 500 }).toBe('UP');
  }, 60_000);

  it('moves a host re-cabled to another port (h1 unplugged from leaf1, plugged into a new port on leaf2)', async () => {
    const h1 = lab.namespaces.h1!;
    const leaf2 = lab.namespaces.leaf2!;
    const [a, b] = cabled.find((l) => l.some((e) => e.node === 'h1'))!;
    const oldPort = a!.node === 'h1' ? b! : a!;
    const nic = a!.node === 'h1' ? a! : b!;
    const mac = (JSON.parse((await lab.exec(h1, 'ip', ['-j', 'link', 'show', nic.interface])).stdout) as { address: string }[])[0]!.address;
    // Pull the cable at the switch end; the host keeps its NIC (same name, same MAC) on a new cable.
    await lab.exec(lab.namespaces[oldPort.node]!, 'ip', ['link', 'del', oldPort.interface]);
    await lab.exec(h1, 'ip', ['link', 'add', 'name', nic.interface, 'type', 'veth', 'peer', 'name', 'eth6', 'netns', leaf2]);
    await lab.exec(h1, 'ip', ['link', 'set', nic.interface, 'address', mac]);
    await lab.exec(h1, 'ip', ['link', 'set', nic.interface, 'up']);
    await lab.exec(leaf2, 'ip', ['link', 'set', 'eth6', 'master', 'br0']);
    await lab.exec(leaf2, 'ip', ['link', 'set', 'eth6', 'up']);
    // leaf2's lldpd was told its ports by name at start: let it speak on the new one too.
    await lab.exec(leaf2, 'lldpcli', ['-u', lab.nodes.leaf2!.lldpSocket, 'configure', 'system', 'interface', 'pattern', 'eth*']);
    const newPort: Endpoint = { node: 'leaf2', interface: 'eth6' };
    await expect
      .poll(
        async () => {
          const g = await graph();
          const p = resolveEnd(g, newPort);
          const n = resolveEnd(g, nic);
          return p && n ? linkOf(g, p, n)?.Metadata.State : undefined;
        },
        { timeout: 45_000, interval: 1000 },
      )
      .toBe('UP');
    // The old cable goes DOWN (missed LLDP polls, its port gone): only the new link stays UP.
    await expect
      .poll(
        async () => {
          const g = await graph();
          const n = resolveEnd(g, nic)!;
          return g.Edges.filter(
            (e) => e.Metadata.RelationType === 'layer2' && e.Metadata.State === 'UP' && (e.Parent === n.ID || e.Child === n.ID),
          ).length;
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe(1);
  }, 90_000);

  it('keeps every ID across a collector restart (no duplicates afterwards)', async () => {
    const before = await graph();
    const idsOf = (g: { Nodes: El[] }) =>
      g.Nodes.filter((n) => ['switch', 'host', 'port'].includes(n.Metadata.Type))
        .map((n) => n.ID)
        .sort();
    await child.stop();
    await startCollector();
    await new Promise((r) => setTimeout(r, 5000)); // a few poll rounds
    const after = await graph();
    expect(idsOf(after)).toEqual(idsOf(before));
    const named = after.Nodes.filter((n) => n.Metadata.Type === 'host').map((n) => n.Metadata.Name);
    expect(new Set(named).size).toBe(named.length);
  }, 90_000);
});
