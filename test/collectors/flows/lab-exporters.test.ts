// Real exporters in the lab twin: Open vSwitch (userspace datapath) exporting sFlow and softflowd
// exporting NetFlow v5/v9/IPFIX to a Canopy collector running in the lab's management namespace,
// while the test pings across the fabric. Flows and counters must land on the right nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../../lab/lab-fixture.ts';
import { ids } from '../../../src/topology/ids.ts';

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
    type Flow = { srcAddr: string; dstAddr: string; proto: number; packets: number; bytes: number; inIf: number; deviceId: string; inPortId: string };
    let flows: Flow[] = [];
    await expect
      .poll(async () => {
        flows = await api<Flow[]>(`/api/flows?exporter=${agent}&addr=${ipOf('h1')}&proto=1`);
        return flows.find((f) => f.srcAddr === ipOf('h1') && f.dstAddr === ipOf('h2'))?.packets ?? 0;
      }, { timeout: 15_000, interval: 500 })
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
    await expect.poll(async () => (await api<{ Metadata: Record<string, any> }>(`/api/node/${ids.port(dev, inIf)}`)).Metadata.Metric?.RxPackets ?? 0, { timeout: 15_000, interval: 500 }).toBeGreaterThanOrEqual(20);
    expect(port.Metadata.Name).toBe('eth3');
  });

  it('softflowd NetFlow v5, v9 and IPFIX: traffic to h4 lands on leaf2', async () => {
    await lab.exec(lab.namespaces.h1!, 'ping', ['-c', '10', '-i', '0.05', '-q', ipOf('h4')]);
    // softflowd exports when flows expire; ask every instance to expire now.
    for (const v of [5, 9, 10]) {
      await lab.exec(lab.mgmtNs, 'softflowctl', ['-c', join(lab.stateDir, 'run', `softflowd-v${v}-leaf2.ctl`), 'expire-all'], { allowFail: true });
    }
    const agent = lab.nodes.leaf2!.mgmtIp;
    type Flow = { protocol: string; srcAddr: string; dstAddr: string; packets: number; deviceId: string };
    await expect
      .poll(async () => {
        const flows = await api<Flow[]>(`/api/flows?exporter=${agent}&addr=${ipOf('h4')}&proto=1`);
        return [...new Set(flows.filter((f) => f.packets >= 10).map((f) => f.protocol))].sort();
      }, { timeout: 20_000, interval: 500 })
      .toEqual(['ipfix', 'netflow5', 'netflow9']);
    const st = await api<{ components: { netflow: { samplingRateMissing: number; decoder: { errors: number } } } }>('/api/status');
    // softflowd 1.1's v9 header count does not match the records it sends (RFC 3954 says not to
    // rely on it): reported as bad-count, everything else must decode cleanly.
    const errors = collector.stdout().split('\n').filter((l) => l.includes('decode error') && !l.includes('bad-count'));
    expect(errors, errors.join('\n')).toEqual([]);
    expect(st.components.netflow.samplingRateMissing).toBe(0);
  });
});
