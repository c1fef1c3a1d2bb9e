// The operator's path through the lab, with nothing but what `canopy lab up` hands out: the lab
// twin of containerlab/fabric.clab.yml on its default ports, and a collector started in the mgmt
// namespace with only the config the lab wrote (no flags, no CANOPY_* environment). Checked:
//  - a 20 MB transfer h1 → h2 (both on leaf1) right after the collector starts listening: leaf1's
//    stored bytes for the 5-tuple, both directions, against what tshark counts on h1's interface;
//    no `datagram handler failed` in the log; no stored flow row on a device or port node that is
//    not in the graph (the start-up race stored leaf1's flows on a switch node merged away);
//  - a pulled cable (ip link set … down on a switch port) turns the port DOWN by trap in < 3 s,
//    measured on the collector's own clock, and UP again;
//  - a second collector whose trap listener is not where the lab's snmpd sends says so
//    (snmpTrapsNotReceived) while the first, listening where the config says, never does;
//  - every query in docs/query-cookbook.md answers what the doc says it does, on the data of the
//    collector's first (and only) start;
//  - `canopy lab forward` reaches the API from the host.
// `npm run lab:flows` repeats the transfer over five fresh collector starts.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForValue } from '../../src/lab/wait.ts';
import { parse, stringify } from 'yaml';
import { startForward } from '../../src/lab/forward.ts';
import { labSkipReason, startLab, type LabChild, type TestLab } from './lab-fixture.ts';
import { firstLogError, flowsOnVanishedNodes, logLines, measuredTransfer, settledStored } from './transfer.ts';
import { collectorDataDir } from '../../src/lab/collector-config.ts';
import { cookbookBlocks, cookbookRunner } from './cookbook.ts';

const skip = labSkipReason();
const FILE = 'containerlab/fabric.clab.yml';
const API = 'http://127.0.0.1:8082';
const API_B = 'http://127.0.0.1:8083';
const run = promisify(execFile);

describe.skipIf(skip !== null)(`the lab with only the collector config \`lab up\` wrote${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  let a: LabChild;
  let b: LabChild | undefined;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));

  const get = async (base: string, path: string): Promise<any> =>
    JSON.parse((await lab.exec(lab.mgmtNs, 'curl', ['-sf', '--max-time', '5', `${base}${path}`])).stdout);
  const gremlin = async (base: string, q: string): Promise<any[]> =>
    JSON.parse(
      (
        await lab.exec(lab.mgmtNs, 'curl', [
          '-sf',
          '--max-time',
          '5',
          '-XPOST',
          `${base}/api/topology`,
          '-d',
          JSON.stringify({ GremlinQuery: q }),
        ])
      ).stdout,
    ) as any[];
  // Errors count as not yet: the collector may still be starting.
  const waitFor = <T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> =>
    waitForValue(what, ms, () => fn().catch(() => undefined));
  const allPolled = (base: string, n: number) =>
    waitFor(
      async () => {
        const devs: any[] = Object.values((await get(base, '/api/status')).components.snmp.devices);
        return devs.length === n && devs.every((d) => d.state === 'ok' && d.tasks.counters?.ok) ? devs : undefined;
      },
      30_000,
      `${base}: every switch polled`,
    );

  beforeAll(async () => {
    lab = await startLab(FILE);
    a = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', lab.state.collectorConfig!], { env });
    await a.waitForOutput(/collector listening/, 30_000);
  }, 120_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await lab?.stop();
  }, 30_000);

  it('a 20 MB transfer between two hosts on leaf1, right after start: leaf1 stores the 5-tuple within 1 % of tshark on the sender, 0 handler failures', async () => {
    const t = await measuredTransfer(lab, 'h1', 'h2', 20_000_000);
    expect(t.received).toBe(t.sent);
    expect(t.captureDropped, 'dumpcap dropped frames: the reference count is incomplete').toBe(0);
    expect(
      t.frames.fwd.packets + t.frames.rev.packets,
      `the capture file holds fewer frames than the kernel passed to dumpcap (${t.captureStats})`,
    ).toBe(t.captureReceived);
    expect(t.captureWhole, 'the capture lacks the SYN or a FIN: it did not see the whole connection').toBe(true);
    const s = await settledStored(lab, API, lab.nodes.leaf1!.mgmtIp, t);
    const stored = s.fwd.bytes + s.rev.bytes;
    const storedPackets = s.fwd.packets + s.rev.packets;
    const ip = t.ipBytes.fwd + t.ipBytes.rev;
    const frames = t.frames.fwd.bytes + t.frames.rev.bytes;
    // Canopy stores IP bytes (as NetFlow/IPFIX count them); the wire adds a 14-byte Ethernet header per frame.
    const asFrames = stored + 14 * storedPackets;
    const pct = (x: number, ref: number) => (100 * (x - ref)) / ref;
    const failed = logLines(a, 'datagram handler failed');
    const line =
      `stored ${stored} B / ${storedPackets} pkts (fwd ${s.fwd.bytes}, rev ${s.rev.bytes}); tshark frames ${frames} B / ${t.frames.fwd.packets + t.frames.rev.packets} pkts, IP ${ip} B; ` +
      `stored vs IP ${pct(stored, ip).toFixed(3)} %, as frames vs frames ${pct(asFrames, frames).toFixed(3)} %, raw vs frames ${pct(stored, frames).toFixed(3)} %; ` +
      `${t.retransmissions} retransmissions, transfer ${t.transferMs} ms, settled after ${s.waitedMs} ms, ${failed} 'datagram handler failed' lines${failed ? ` (first: ${firstLogError(a, 'datagram handler failed')})` : ''}`;
    const vanished = flowsOnVanishedNodes(collectorDataDir(lab.state));
    process.stderr.write(`[lab acceptance] ${line}; ${vanished.rows} stored flow rows on nodes not in the graph\n`);
    expect(failed, line).toBe(0);
    expect(vanished, 'stored flow rows whose device/port node is not in the graph').toEqual({ rows: 0, ids: [] });
    expect(Math.abs(pct(stored, ip)), line).toBeLessThanOrEqual(1);
    expect(Math.abs(pct(asFrames, frames)), line).toBeLessThanOrEqual(1);
    expect(s.fwd.bytes, line).toBeGreaterThan(0);
    expect(s.rev.bytes, line).toBeGreaterThan(0);
  }, 90_000);

  it('a pulled cable turns the port DOWN by trap in < 3 s and UP again; a collector listening elsewhere says snmpTrapsNotReceived', async () => {
    // Collector B: the same config, but traps expected on a port the lab's snmpd does not send to.
    const cfg = parse(readFileSync(lab.state.collectorConfig!, 'utf8')) as Record<string, any>;
    const dirB = join(lab.stateDir, 'collector-b');
    mkdirSync(dirB, { recursive: true });
    cfg.api.listen = '127.0.0.1:8083';
    cfg.storage.dataDir = join(dirB, 'data');
    for (const k of ['sflow', 'netflow', 'ipfix']) cfg[k].enabled = false;
    Object.assign(cfg.snmp, { counterInterval: '2s', lldpInterval: '60s', fdbInterval: '60s' });
    cfg.snmp.traps.listen = `${lab.collector.address}:19999`;
    writeFileSync(join(dirB, 'canopy.yml'), stringify(cfg));
    b = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', join(dirB, 'canopy.yml')], { env });
    const switches = Object.keys(lab.switches).length;
    await allPolled(API, switches);
    const devsB = await allPolled(API_B, switches);
    // B has a reading of every port to compare the next one with.
    await waitFor(
      async () => Object.values<any>((await get(API_B, '/api/status')).components.snmp.devices).every((d) => d.polls >= 2),
      10_000,
      'B: two polls',
    );
    expect(devsB).toHaveLength(switches);

    const sw = lab.switches.leaf2!;
    const dev = `${sw.mgmtIp}:161`;
    const ifname = 'eth3';
    const ifIndex = (JSON.parse((await lab.exec(sw.ns, 'ip', ['-j', 'link', 'show', ifname])).stdout) as { ifindex: number }[])[0]!.ifindex;
    const port = async (base: string) =>
      (await gremlin(base, `G.V().Has('Type','switch','Name','leaf2').Out().Has('Type','port','IfIndex',${ifIndex})`))[0];
    expect((await port(API)).Metadata.State).toBe('UP');

    const linkDownsBefore = (await get(API, '/api/status')).components.snmp.traps.byKind.linkDown as number;
    const t0 = Date.now();
    await lab.exec(sw.ns, 'ip', ['link', 'set', ifname, 'down']);
    let tUp = 0;
    try {
      const down = await waitFor(async () => ((await port(API)).Metadata.State === 'DOWN' ? port(API) : undefined), 8000, 'DOWN in A');
      const traps = (await get(API, '/api/status')).components.snmp.traps;
      const trap = traps.lastLinkTrap;
      const timing = `command→trap ${trap?.receivedAt - t0} ms, trap→graph ${down.UpdatedAt - trap?.receivedAt} ms, command→graph ${down.UpdatedAt - t0} ms`;
      process.stderr.write(`[lab acceptance] leaf2 ${ifname} down: ${timing}\n`);
      expect(traps.byKind.linkDown, timing).toBeGreaterThan(linkDownsBefore);
      expect(trap, timing).toMatchObject({ kind: 'linkDown', source: sw.mgmtIp, ifIndex });
      // By trap: the port changed (UpdatedAt only moves on a change) right after the trap came.
      expect(down.UpdatedAt - trap.receivedAt, timing).toBeGreaterThanOrEqual(0);
      expect(down.UpdatedAt - trap.receivedAt, timing).toBeLessThan(1000);
      expect(down.UpdatedAt - t0, timing).toBeLessThan(3000);

      // B only learns it by polling, and says the trap did not come.
      const missed = await waitFor(
        async () => (await get(API_B, '/api/status')).components.snmp.trapsNotReceived?.[dev],
        15_000,
        'B: trapsNotReceived',
      );
      expect(missed).toMatchObject({ count: 1, last: { ifIndex, state: 'DOWN' } });
      expect((await port(API_B)).Metadata.State).toBe('DOWN');
      const warn = b
        .stdout()
        .split('\n')
        .filter((l) => l.includes('snmpTrapsNotReceived'));
      expect(warn).toHaveLength(1);
      expect(warn[0]).toContain(`${lab.collector.address}:19999`);
      const metrics = (await lab.exec(lab.mgmtNs, 'curl', ['-sf', `${API_B}/metrics`])).stdout;
      expect(metrics).toContain(`canopy_snmp_traps_not_received_total{device="${dev}"} 1`);
    } finally {
      tUp = Date.now();
      await lab.exec(sw.ns, 'ip', ['link', 'set', ifname, 'up']);
    }
    const up = await waitFor(async () => ((await port(API)).Metadata.State === 'UP' ? port(API) : undefined), 8000, 'UP in A');
    process.stderr.write(`[lab acceptance] leaf2 ${ifname} up: command→graph ${up.UpdatedAt - tUp} ms\n`);
    expect(up.UpdatedAt - tUp).toBeLessThan(3000);
    // A polled the port in both states (counters every 10 s) with the traps in hand: nothing missed,
    // given the 5 s grace after its poll of the DOWN state.
    await waitFor(
      async () => {
        const d = (await get(API, '/api/status')).components.snmp.devices[dev];
        return d.tasks.counters.lastPoll > tUp && Date.now() - d.tasks.counters.lastPoll > 5500;
      },
      25_000,
      'A: a counter poll after the cable came back, plus the grace time',
    );
    expect((await get(API, '/api/status')).components.snmp.trapsNotReceived).toEqual({});
    expect(a.stdout()).not.toContain('snmpTrapsNotReceived');
  }, 90_000);

  it('every query in docs/query-cookbook.md answers what the doc says (first start, after a transfer h3 → h2, a cable pulled)', async () => {
    const { blocks: all, unchecked } = cookbookBlocks();
    // Kubernetes queries (k8s-*) need a cluster the lab does not run: test/collectors/k8s/k8s.test.ts checks them.
    // Socket queries (matrix-*) need host agents: test/agent/lab-flow-matrix.test.ts checks them.
    const blocks = all.filter((b) => !b.id.startsWith('k8s-') && !b.id.startsWith('matrix-'));
    expect(unchecked, 'query/shell blocks in the cookbook without a <!-- check: ID --> comment (lines)').toEqual([]);
    // The collector of the first test, never restarted: the flows of its first seconds (stored
    // while the stitcher merged placeholders) are part of what the recipes read.
    await allPolled(API, Object.keys(lab.switches).length);
    const h3Mac = (
      JSON.parse((await lab.exec(lab.namespaces.h3!, 'ip', ['-j', 'link', 'show', 'eth1'])).stdout) as { address: string }[]
    )[0]!.address;
    const run = cookbookRunner(lab, API, h3Mac);
    const idOf = async (sw: string, port: string) =>
      (
        (await run.gremlin(
          `G.V().Has('Type', 'switch', 'Name', '${sw}').Out().Has('Type', 'port', 'Name', '${port}').Values('ID')`,
        )) as string[]
      )[0]!;
    const [l1e5, l2e3, l2e5] = [await idOf('leaf1', 'eth5'), await idOf('leaf2', 'eth3'), await idOf('leaf2', 'eth5')];
    const leaf1 = ((await run.gremlin("G.V().Has('Type', 'switch', 'Name', 'leaf1').Values('ID')")) as string[])[0]!;
    await waitFor(
      async () =>
        ((await run.gremlin("G.V().Has('Type', 'host', 'Name', 'h3').Out().Both().Has('Type', 'port')")) as unknown[]).length === 2,
      20_000,
      'h3 cabled to both leaves',
    );
    // h3 resolves h2 again (an ARP exchange the recipes find among h3's non-IP flows).
    await lab.exec(lab.namespaces.h3!, 'ip', ['neigh', 'flush', 'all']);
    const t = await measuredTransfer(lab, 'h3', 'h2', 5_000_000, 5002);
    const stored = await settledStored(lab, API, lab.nodes.leaf1!.mgmtIp, t);
    expect(stored.fwd.bytes).toBeGreaterThan(5_000_000);
    expect(flowsOnVanishedNodes(collectorDataDir(lab.state)), 'stored flow rows whose device/port node is not in the graph').toEqual({
      rows: 0,
      ids: [],
    });
    const h3 = t.src,
      h2 = t.dst;
    type Row = { srcAddr: string; dstAddr: string; dstPort: number; proto: number; protoName: string; bytes: number };
    const leafRows = async () =>
      JSON.parse((await lab.exec(lab.mgmtNs, 'curl', ['-sf', `${API}/api/flows?node=${leaf1}&top=10000`])).stdout) as unknown[];
    const leafCount = { before: -1, after: -1 };
    const checks: Record<string, (out: any) => void> = {
      'port-of-host': (o) =>
        expect(o.map((n: any) => `${n.ID} ${n.Metadata.Type} ${n.Metadata.Name}`).sort()).toEqual(
          [`${l1e5} port eth5`, `${l2e3} port eth3`].sort(),
        ),
      'switch-of-host': (o) => expect([...o].sort()).toEqual(['leaf1', 'leaf2']),
      'port-of-mac': (o) => expect(o).toEqual(['eth5']),
      'port-of-ip': (o) => expect(o.trim().split('\n')).toEqual([`leaf1 port ${l1e5}`]),
      'top-flows-gremlin': (o: Row[]) => {
        expect(o.length).toBeGreaterThan(1);
        expect(o.length).toBeLessThanOrEqual(5);
        expect(o.map((r) => r.bytes)).toEqual([...o.map((r) => r.bytes)].sort((x, y) => y - x));
        expect(o[0]).toMatchObject({ srcAddr: h3, dstAddr: h2, dstPort: 5002, proto: 6 });
        expect(o[0]!.bytes).toBeGreaterThan(5_000_000);
      },
      'top-flows-rest': (o: string) =>
        expect(o.split('\n')[0]).toMatch(new RegExp(`^${h3}:${t.srcPort} -> ${h2}:5002 proto 6 \\d{7,} bytes$`)),
      'top-talkers': (o) => {
        expect(o[0].src).toBe(h3);
        expect(o[0].bytes).toBeGreaterThan(5_000_000);
        expect(o.map((x: any) => x.src)).toContain(h2);
      },
      'ports-down': (o) => expect(o.map((n: any) => n.ID)).toEqual([l2e5]),
      'went-down': (o) => expect(o).toEqual([{ id: l2e5, port: 'eth5' }]),
      'new-last-hour': (o) => expect([...o].sort()).toEqual(['h1', 'h2', 'h3', 'h4', 'leaf1', 'leaf2', 'spine1', 'spine2']),
      // leaf1 keeps exporting (ARP probes, LLDP …): the REST count just before and just after the query bound it.
      'flows-count': (o) => {
        expect(o).toBeGreaterThanOrEqual(leafCount.before);
        expect(o).toBeLessThanOrEqual(leafCount.after);
      },
      'flows-filter': (o) => expect(o).toEqual([h3]),
      'flows-of-host': (o) => expect(o).toEqual([h2]),
      'host-flows': (o: string) => {
        const lines = o.trim().split('\n');
        expect(lines[0]).toMatch(new RegExp(`^${h3}:${t.srcPort} -> ${h2}:5002 TCP \\d{7,} bytes$`));
        for (const l of lines) expect(l).toMatch(new RegExp(`(^|-> )${h3.replaceAll('.', '\\.')}:\\d+ `));
      },
      'host-flows-gremlin': (o: Row[]) => {
        expect(o).toHaveLength(1);
        expect(o[0]).toMatchObject({ srcAddr: h3, dstAddr: h2, dstPort: 5002, proto: 6, protoName: 'TCP' });
        expect(o[0]!.bytes).toBeGreaterThan(5_000_000);
      },
      'flows-of-mac': (o: { etherTypeName: string; srcMac: string; dstMac: string }[]) => {
        expect(o.length).toBeGreaterThan(0);
        for (const r of o) expect(r.srcMac).toBe(h3Mac);
        expect(o.map((r) => r.etherTypeName)).toEqual(expect.arrayContaining(['ARP', 'IPv4']));
        expect(o).toContainEqual({ etherTypeName: 'ARP', srcMac: h3Mac, dstMac: 'ff:ff:ff:ff:ff:ff' });
      },
      'api-flows': (o: string) => {
        const first = o.split('\n')[0]!;
        expect(first).toMatch(new RegExp(`^${h3}:${t.srcPort} -> ${h2}:5002 \\d+ bytes \\d+ packets$`));
        expect(Number(/ (\d+) bytes/.exec(first)![1])).toBeGreaterThan(5_000_000);
      },
    };
    expect(new Set(blocks.map((x) => x.id)).size, 'duplicate check IDs').toBe(blocks.length);
    expect(blocks.map((x) => x.id).sort(), 'every check has its block and every block its check').toEqual(Object.keys(checks).sort());
    expect((await leafRows()).length).toBeGreaterThan(0);

    // A cable pulled at the host end for the "what changed" recipes (h4's second NIC): leaf2's eth5
    // loses its carrier but stays administratively up, as with a real unplugged cable.
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    await lab.exec(lab.namespaces.h4!, 'ip', ['link', 'set', 'eth2', 'down']);
    try {
      await waitFor(
        async () => ((await run.gremlin(`G.V('${l2e5}').Values('State')`)) as string[])[0] === 'DOWN',
        15_000,
        'leaf2 eth5 DOWN',
      );
      const ago = `${Math.ceil((Date.now() - before) / 1000) + 1}s`;
      for (const blk of blocks) {
        if (blk.id === 'flows-count') leafCount.before = (await leafRows()).length;
        const out = blk.lang === 'gremlin' ? await run.gremlin(blk.code) : await run.sh(blk.code, { AGO: ago });
        if (blk.id === 'flows-count') leafCount.after = (await leafRows()).length;
        const parsed: unknown = typeof out === 'string' && /^\s*[[{]/.test(out) ? JSON.parse(out) : out;
        try {
          checks[blk.id]!(parsed);
        } catch (e) {
          throw new Error(`docs/query-cookbook.md line ${blk.line} (check ${blk.id}) answered ${JSON.stringify(parsed).slice(0, 600)}`, {
            cause: e,
          });
        }
      }
    } finally {
      await lab.exec(lab.namespaces.h4!, 'ip', ['link', 'set', 'eth2', 'up']);
    }
    // The CLI the doc names gives the API's answer.
    const cli = await lab.exec(lab.mgmtNs, process.execPath, [
      'bin/canopy.js',
      'query',
      blocks.find((x) => x.id === 'switch-of-host')!.code,
    ]);
    expect((JSON.parse(cli.stdout) as string[]).sort()).toEqual(['leaf1', 'leaf2']);
  }, 120_000);

  it('the config passes --check, and `lab forward` serves the API on a host port', async () => {
    const check = await run(process.execPath, ['bin/canopy.js', 'collector', '--config', lab.state.collectorConfig!, '--check'], { env });
    expect(check.stdout).toContain('config OK');
    const fwd = await startForward(lab.state, '127.0.0.1:0');
    try {
      const res = await fetch(`http://${fwd.address}/api/status`);
      expect(res.status).toBe(200);
      const st = (await res.json()) as { components: { snmp: { deviceCount: number } } };
      expect(st.components.snmp.deviceCount).toBe(Object.keys(lab.switches).length);
      expect(fwd.connections).toBe(1);
    } finally {
      await fwd.close();
    }
  }, 30_000);
});
