// Real exporters in the lab twin: Open vSwitch (userspace datapath) exporting sFlow and softflowd
// exporting NetFlow v5/v9/IPFIX to a Canopy collector running in the lab's management namespace,
// while the test pings across the fabric. Flows and counters must land on the right nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../../lab/lab-fixture.ts';
import { ids } from '../../../src/topology/ids.ts';
import { decodeFiles } from '../../../src/cli/decode.ts';
import { spawnSync } from 'node:child_process';

const HAVE_TSHARK = spawnSync('which', ['tshark']).status === 0;

const FILE = 'containerlab/fabric.clab.yml';
const reason = labSkipReason();
const API = '127.0.0.1:18082';

describe.skipIf(reason !== null)(`real exporters → collector${reason ? ` — SKIPPED: ${reason}` : ''}`, () => {
  let lab: TestLab;
  let collector: LabChild;
  let dir: string;
  const ipOf = (node: string) => lab.nodes[node]!.ifaces[0]!.ipv4[0]!.split('/')[0]!;
  const api = async <T>(path: string): Promise<T> => {
    const r = await lab.exec(lab.mgmtNs, 'curl', ['-sf', `http://${API}${path}`]);
    return JSON.parse(r.stdout) as T;
  };
  const ifindex = async (node: string, iface: string) =>
    (JSON.parse((await lab.exec(lab.namespaces[node]!, 'ip', ['-j', 'link', 'show', iface])).stdout) as { ifindex: number }[])[0]!.ifindex;

  beforeAll(async () => {
    lab = await startLab(FILE, { sflowPort: 16343, netflowPort: 12055, ipfixPort: 14739, trapPort: 19162 });
    dir = mkdtempSync(join(tmpdir(), 'canopy-labflows-'));
    const cfg = join(dir, 'canopy.yml');
    const a = lab.collector.address;
    writeFileSync(
      cfg,
      [
        `api: { listen: "${API}" }`,
        `storage: { dataDir: "${join(dir, 'data')}", flowFlushInterval: 1, counterUpdateInterval: 1 }`,
        `sflow: { listen: "${a}:16343" }`,
        `netflow: { listen: "${a}:12055" }`,
        `ipfix: { listen: "${a}:14739" }`,
        `snmp: { traps: { listen: "127.0.0.1:0" } }`,
      ].join('\n'),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
    collector = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', cfg], { env });
    await collector.waitForOutput(/collector listening/, 30_000);
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('OVS sFlow: ICMP between two hosts on leaf1 lands on leaf1 and its h1-facing port, unscaled at 1:1', async () => {
    await lab.exec(lab.namespaces.h1!, 'ping', ['-c', '20', '-i', '0.05', '-q', ipOf('h2')]);
    const agent = lab.nodes.leaf1!.mgmtIp;
    const dev = ids.exporter(agent, 0);
    const inIf = await ifindex('leaf1', 'eth3');
    type Flow = {
      srcAddr: string;
      dstAddr: string;
      proto: number;
      packets: number;
      bytes: number;
      inIf: number;
      deviceId: string;
      inPortId: string;
    };
    let flows: Flow[] = [];
    await expect
      .poll(
        async () => {
          flows = await api<Flow[]>(`/api/flows?exporter=${agent}&addr=${ipOf('h1')}&proto=1`);
          return flows.find((f) => f.srcAddr === ipOf('h1') && f.dstAddr === ipOf('h2'))?.packets ?? 0;
        },
        { timeout: 15_000, interval: 500 },
      )
      // At 1:1 every echo request is sampled, but the first may take OVS's slow path unsampled.
      .toBeGreaterThanOrEqual(19);
    const echo = flows.find((f) => f.srcAddr === ipOf('h1') && f.dstAddr === ipOf('h2'))!;
    expect(echo).toMatchObject({ deviceId: dev, inIf, inPortId: ids.port(dev, inIf) });
    // 84-byte IP packets (ping's default 56-byte payload).
    expect(echo.packets).toBeLessThanOrEqual(20);
    expect(echo.bytes).toBe(echo.packets * 84);
    // Counter samples put Metric on the same port node, named by OVS's port-name record.
    const port = await api<{ Metadata: Record<string, any> }>(`/api/node/${ids.port(dev, inIf)}`);
    expect(port.Metadata).toMatchObject({ Type: 'port', IfIndex: inIf, State: 'UP' });
    await expect
      .poll(
        async () => (await api<{ Metadata: Record<string, any> }>(`/api/node/${ids.port(dev, inIf)}`)).Metadata.Metric?.RxPackets ?? 0,
        { timeout: 15_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(20);
    expect(port.Metadata.Name).toBe('eth3');
  });

  it('softflowd NetFlow v5, v9 and IPFIX: traffic to h4 lands on leaf2', async () => {
    await lab.exec(lab.namespaces.h1!, 'ping', ['-c', '10', '-i', '0.05', '-q', ipOf('h4')]);
    // softflowd exports when flows expire; ask every instance to expire now.
    for (const v of [5, 9, 10]) {
      await lab.exec(lab.mgmtNs, 'softflowctl', ['-c', join(lab.stateDir, 'run', `softflowd-v${v}-leaf2.ctl`), 'expire-all'], {
        allowFail: true,
      });
    }
    const agent = lab.nodes.leaf2!.mgmtIp;
    type Flow = { protocol: string; srcAddr: string; dstAddr: string; packets: number; deviceId: string };
    await expect
      .poll(
        async () => {
          const flows = await api<Flow[]>(`/api/flows?exporter=${agent}&addr=${ipOf('h4')}&proto=1`);
          return [...new Set(flows.filter((f) => f.packets >= 10).map((f) => f.protocol))].sort();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toEqual(['ipfix', 'netflow5', 'netflow9']);
    const st = await api<{ components: { netflow: { samplingRateMissing: number; decoder: { errors: number } } } }>('/api/status');
    // softflowd 1.1's v9 header count does not match the records it sends (RFC 3954 says not to
    // rely on it): reported as bad-count, everything else must decode cleanly.
    const errors = collector
      .stdout()
      .split('\n')
      .filter((l) => l.includes('decode error') && !l.includes('bad-count'));
    expect(errors, errors.join('\n')).toEqual([]);
    expect(
      st.components.netflow.samplingRateMissing,
      JSON.stringify((st.components.netflow as any).exporters) + JSON.stringify((st.components.netflow as any).decoder),
    ).toBe(0);
  });

  it('Open vSwitch IPFIX and NetFlow v5 export land on leaf1; tshark decodes the same capture the same way', async () => {
    const sock = lab.nodes.leaf1!.ovsdbSocket!;
    const a = lab.collector.address;
    const vsctl = (...args: string[]) => lab.exec(lab.namespaces.leaf1!, 'ovs-vsctl', [`--db=unix:${sock}`, '--timeout=15', ...args]);
    await vsctl(
      '--',
      'set',
      'Bridge',
      'br0',
      'ipfix=@i',
      '--',
      '--id=@i',
      'create',
      'IPFIX',
      `targets="${a}:14739"`,
      'sampling=1',
      'obs_domain_id=12',
      'cache_active_timeout=1',
      'cache_max_flows=1000',
    );
    await vsctl(
      '--',
      'set',
      'Bridge',
      'br0',
      'netflow=@n',
      '--',
      '--id=@n',
      'create',
      'NetFlow',
      `targets="${a}:12055"`,
      'active_timeout=1',
      'engine_id=12',
      'engine_type=1',
    );
    const pcap = join(dir, 'ovs-ipfix-nf5.pcap');
    const cap = HAVE_TSHARK
      ? lab.spawnInMgmt('tshark', [
          '-q',
          '-F',
          'pcap',
          '-i',
          'any',
          '-f',
          `udp and dst host ${a} and (dst port 14739 or dst port 12055)`,
          '-w',
          pcap,
        ])
      : undefined;
    if (cap) await new Promise((r) => setTimeout(r, 2000)); // tshark announces capture start on stderr only
    await lab.exec(lab.namespaces.h2!, 'ping', ['-c', '30', '-i', '0.1', '-q', ipOf('h1')]);
    const agent = lab.nodes.leaf1!.mgmtIp;
    type Flow = { protocol: string; srcAddr: string; dstAddr: string; packets: number; deviceId: string };
    await expect
      .poll(
        async () => {
          const flows = await api<Flow[]>(`/api/flows?addr=${ipOf('h2')}&proto=1`);
          return [
            ...new Set(
              flows.filter((f) => f.srcAddr === ipOf('h2') && (f.protocol === 'ipfix' || f.protocol === 'netflow5')).map((f) => f.protocol),
            ),
          ].sort();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toEqual(['ipfix', 'netflow5'])
      .catch(async (e: unknown) => {
        console.log(
          JSON.stringify(await api<Flow[]>(`/api/flows?addr=${ipOf('h2')}`)),
          JSON.stringify((await api<any>('/api/status')).components.netflow),
        );
        throw e;
      });
    // OVS exports from its management address; exporter nodes are per observation domain / engine.
    const flows = await api<Flow[]>(`/api/flows?addr=${ipOf('h2')}&proto=1`);
    for (const f of flows.filter((x) => x.protocol !== 'sflow')) {
      expect((await api<{ Metadata: { MgmtAddress: string; Type: string } }>(`/api/node/${f.deviceId}`)).Metadata).toMatchObject({
        MgmtAddress: agent,
        Type: 'exporter',
      });
    }
    if (!cap) return;
    await new Promise((r) => setTimeout(r, 1500));
    await cap.stop();
    // tshark as the independent decoder of the same capture: per record src, dst, protocol, packets, bytes.
    const fields = ['cflow.srcaddr', 'cflow.dstaddr', 'cflow.protocol', 'cflow.packets', 'cflow.octets'];
    const out = spawnSync(
      'tshark',
      [
        '-r',
        pcap,
        '-d',
        'udp.port==12055,cflow',
        '-d',
        'udp.port==14739,cflow',
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-E',
        'aggregator=;',
        ...fields.flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8' },
    );
    const theirs: string[] = [];
    for (const line of out.stdout.trim().split('\n')) {
      const cols = line.split('|').map((c) => (c ? c.split(';') : []));
      for (let i = 0; i < (cols[0]?.length ?? 0); i++) theirs.push(cols.map((c) => c[i] ?? '').join(' '));
    }
    const decoded = decodeFiles([pcap]);
    const ours = (decoded.records as Record<string, unknown>[])
      .filter((r) => r.type === 'flow' && typeof r.srcAddr === 'string' && !String(r.srcAddr).includes(':'))
      .map((r) => [r.srcAddr, r.dstAddr, r.proto, r.packets, r.bytes].join(' '));
    const tsharkRecords = theirs.filter((x) => x.split(' ')[0]);
    expect(tsharkRecords.length).toBeGreaterThan(0);
    // Every record tshark decodes, we decode identically. We may decode more: IPFIX data that
    // arrived before its template is held and decoded once the template comes; tshark skips it.
    const left = [...ours];
    for (const r of tsharkRecords) {
      const i = left.indexOf(r);
      expect(i, `tshark record ${r} not decoded by canopy`).toBeGreaterThanOrEqual(0);
      left.splice(i, 1);
    }
  });
});
