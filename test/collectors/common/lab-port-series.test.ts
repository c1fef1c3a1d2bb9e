// A paced transfer through a leaf port in the lab (network namespaces, real snmpd, Open vSwitch
// sFlow): h1 → h2 at about 40 Mbit/s for 45 s through leaf1 eth3. The port's series from SNMP
// (net-snmp's ifHCInOctets, polled every 5 s) and from sFlow counter samples (OVS, every 1 s), read
// back through GET /api/metrics, both show the rate the kernel counted on leaf1 eth3 over the same
// interior of the run within 5 %. The run is 45 s rather than minutes: long enough for nine SNMP
// intervals inside it, short enough for the suite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { waitForValue } from '../../../src/lab/wait.ts';
import { ids } from '../../../src/topology/ids.ts';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../../lab/lab-fixture.ts';

const skip = labSkipReason();
const FILE = 'containerlab/fabric.clab.yml';
const API = 'http://127.0.0.1:8086';
const SECONDS = 45;
/** 100 kB every 20 ms: 5 MB/s of payload. */
const PACED = `
const net = require('node:net');
const [host, port, secs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const chunk = Buffer.alloc(100_000, 0x5a);
const s = net.connect(port, host, () => {
  const end = Date.now() + secs * 1000;
  process.stdout.write(JSON.stringify({ started: Date.now() }) + '\\n');
  const t = setInterval(() => {
    if (Date.now() >= end) { clearInterval(t); s.end(); return; }
    s.write(chunk);
  }, 20);
});
s.on('close', () => process.stdout.write(JSON.stringify({ ended: Date.now() }) + '\\n'));
s.on('data', () => {});`;
const SINK = `
const net = require('node:net');
net.createServer((s) => { s.on('data', () => {}); s.on('end', () => s.end()); })
  .listen(Number(process.argv[1]), process.argv[2], () => process.stdout.write('LISTENING\\n'));`;

describe.skipIf(skip !== null)(`port series in the lab: SNMP and sFlow against the kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  let collector: LabChild;
  const children: LabChild[] = [];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  const get = async (path: string): Promise<any> =>
    JSON.parse((await lab.exec(lab.mgmtNs, 'curl', ['-sf', '--max-time', '5', `${API}${path}`])).stdout);
  const rxBytes = async (ns: string, ifname: string): Promise<number> =>
    (JSON.parse((await lab.exec(ns, 'ip', ['-j', '-s', 'link', 'show', ifname])).stdout) as { stats64: { rx: { bytes: number } } }[])[0]!
      .stats64.rx.bytes;

  beforeAll(async () => {
    lab = await startLab(FILE);
    const cfg = parse(readFileSync(lab.state.collectorConfig!, 'utf8')) as Record<string, any>;
    const dir = join(lab.stateDir, 'collector-series');
    mkdirSync(dir, { recursive: true });
    cfg.api.listen = '127.0.0.1:8086';
    cfg.storage.dataDir = join(dir, 'data');
    cfg.snmp.counterInterval = '5s';
    writeFileSync(join(dir, 'canopy.yml'), stringify(cfg));
    collector = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', join(dir, 'canopy.yml')], { env });
    await collector.waitForOutput(/collector listening/, 30_000);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) await c.stop();
    await collector?.stop();
    await lab?.stop();
  }, 30_000);

  it('a paced transfer through leaf1 eth3: the SNMP and sFlow series both within 5 % of the kernel counters', async () => {
    const leaf = lab.switches.leaf1!;
    const dev = await waitForValue('leaf1 polled twice', 60_000, async () => {
      const devs = Object.values<any>(
        (await get('/api/status').catch(() => ({ components: { snmp: { devices: {} } } }))).components.snmp.devices,
      );
      const d = devs.find((x) => x.address === leaf.mgmtIp);
      return d?.switchId && d.polls >= 2 && d.tasks.counters?.ok ? d : undefined;
    });
    const ifIndex = (JSON.parse((await lab.exec(leaf.ns, 'ip', ['-j', 'link', 'show', 'eth3'])).stdout) as { ifindex: number }[])[0]!
      .ifindex;
    const port = ids.port(dev.switchId as string, ifIndex);

    const dst = lab.nodes.h2!.ifaces[0]!.ipv4[0]!.split('/')[0]!;
    const sink = lab.spawnIn(lab.namespaces.h2!, process.execPath, ['-e', SINK, '5002', dst]);
    children.push(sink);
    await sink.waitForOutput(/LISTENING/);
    const tx = lab.spawnIn(lab.namespaces.h1!, process.execPath, ['-e', PACED, dst, '5002', String(SECONDS)]);
    children.push(tx);
    const started = JSON.parse(await tx.waitForOutput(/"started"/, 10_000).then(() => tx.stdout().split('\n')[0]!)).started as number;
    // The interior of the run, as the kernel counted it on leaf1 eth3 (h1's frames arriving).
    const t1 = started + 12_000;
    const t2 = started + (SECONDS - 5) * 1000;
    await new Promise((r) => setTimeout(r, t1 - Date.now()));
    const b1 = await rxBytes(leaf.ns, 'eth3');
    const at1 = Date.now();
    await new Promise((r) => setTimeout(r, t2 - Date.now()));
    const b2 = await rxBytes(leaf.ns, 'eth3');
    const at2 = Date.now();
    const kernel = ((b2 - b1) * 8) / ((at2 - at1) / 1000);
    await tx.waitForOutput(/"ended"/, 30_000);
    // The next SNMP poll and the flow pipeline's flush (every 10 s) store the last rows.
    await new Promise((r) => setTimeout(r, 12_000));

    const mean = async (source: string) => {
      const r = await get(`/api/metrics?node=${port}&from=${at1}&to=${at2}&step=5s&source=${source}`);
      // Buckets wholly inside the measured interior.
      const pts = (r.points as any[]).filter((p) => p.t >= at1 && p.t + r.step <= at2);
      return { pts: pts.length, bps: pts.reduce((n, p) => n + p.inBitsPerSec, 0) / Math.max(1, pts.length) };
    };
    const snmp = await mean('snmp');
    const sflow = await mean('sflow');
    const pct = (x: number) => (100 * (x - kernel)) / kernel;
    const line = `kernel ${(kernel / 1e6).toFixed(2)} Mbit/s; SNMP ${(snmp.bps / 1e6).toFixed(2)} Mbit/s over ${snmp.pts} buckets (${pct(snmp.bps).toFixed(2)} %); sFlow ${(sflow.bps / 1e6).toFixed(2)} Mbit/s over ${sflow.pts} buckets (${pct(sflow.bps).toFixed(2)} %)`;
    process.stderr.write(`[lab port series] ${line}\n`);
    // About 40 Mbit/s of payload: the pacing held.
    expect(kernel, line).toBeGreaterThan(30e6);
    // The interior holds 4 or 5 whole 5 s buckets. SNMP polls every 5 s ± 10 % jitter, counted from
    // the end of the last poll, so one bucket in a few has no poll ending in it: a documented gap.
    expect(snmp.pts, line).toBeGreaterThanOrEqual(3);
    expect(sflow.pts, line).toBeGreaterThanOrEqual(4);
    expect(Math.abs(pct(snmp.bps)), line).toBeLessThanOrEqual(5);
    expect(Math.abs(pct(sflow.bps)), line).toBeLessThanOrEqual(5);
  }, 180_000);
});
