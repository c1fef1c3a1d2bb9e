// The change timeline and the cabling check against a real lab (test/lab/fixtures/timeline.clab.yml):
// two Linux-bridge leaves (snmpd + lldpd AgentX + BRIDGE-MIB) joined by one cable, a host on each,
// a collector polling every 2 s in the mgmt namespace. In order:
//  - the leaf-to-leaf cable is pulled (its leaf2 end set down): an alert rule on that link fires to a
//    webhook receiver in the mgmt namespace; the cable is put back and the alert resolves;
//  - h1 moves from leaf1 eth3 to leaf1 eth4 (its NIC comes up on a spare veth with the same MAC);
//  - leaf2's snmpd restarts (sysUpTime goes back; its coldStart trap makes the collector re-poll);
// and /api/changes (and `canopy changes --json`) over the whole window holds exactly those changes,
// each within a poll interval of its command (2 s where a trap fires). Then the leaf-to-leaf cable
// is re-cabled to leaf2 eth2, and `canopy verify-cabling --intent plan.csv --json` names it miswired
// with both ports.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startSnmpd, shortenIfTableCache } from '../../src/lab/daemons.ts';
import { stopPids } from '../../src/lab/procs.ts';
import { parseTopology } from '../../src/lab/topology.ts';
import { waitForValue } from '../../src/lab/wait.ts';
import { labSkipReason, startLab, type LabChild, type TestLab } from './lab-fixture.ts';

const skip = labSkipReason();
const FILE = 'test/lab/fixtures/timeline.clab.yml';
const API = 'http://127.0.0.1:8082';
const POLL_MS = 2000;
const TRAP_MS = 2000;
// The issue's goal for an alert reaching its webhook is p99 ≤ 5 s (the bench); the suite asserts 15 s.
const ALERT_MS = 15_000;
const RULE = 'leaf-cable-down';

// A webhook receiver: prints each POST body, with when it arrived, as one JSON line.
const WEBHOOK_RECEIVER = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  let b = '';
  req.on('data', (d) => (b += d));
  req.on('end', () => {
    let body;
    try { body = JSON.parse(b); } catch { body = b; }
    process.stdout.write(JSON.stringify({ at: Date.now(), body }) + '\\n');
    res.writeHead(200).end();
  });
});
s.listen(0, '127.0.0.1', () => process.stdout.write('LISTENING ' + s.address().port + '\\n'));`;

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

interface Change {
  At: number;
  Kind: string;
  ID: string;
  Element: string;
  Type: string;
  Name?: string;
  Key?: string;
  Old?: unknown;
  New?: unknown;
  Parent?: string;
  Child?: string;
}

describe.skipIf(skip !== null)(`timeline lab: what changed, and the cabling check${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  let col: LabChild;
  let hook: LabChild;
  /** Every alert the webhook received so far, with when. */
  const received = () =>
    hook
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        const { at, body } = JSON.parse(l) as { at: number; body: AmAlert[] };
        return body.map((a) => ({ at, a }));
      });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  const ns = (n: string) => lab.namespaces[n]!;
  const sh = (n: string, ...args: string[]) => lab.exec(ns(n), 'ip', args);
  const curl = async (path: string): Promise<any> =>
    JSON.parse((await lab.exec(lab.mgmtNs, 'curl', ['-sf', '--max-time', '5', `${API}${path}`])).stdout);
  const gremlin = async (q: string): Promise<any[]> =>
    JSON.parse(
      (
        await lab.exec(lab.mgmtNs, 'curl', [
          '-sf',
          '--max-time',
          '5',
          '-XPOST',
          `${API}/api/topology`,
          '-d',
          JSON.stringify({ GremlinQuery: q }),
        ])
      ).stdout,
    ) as any[];
  const waitFor = <T>(what: string, ms: number, fn: () => Promise<T | undefined | false>): Promise<T> =>
    waitForValue(what, ms, () => fn().catch(() => undefined), 200);
  const portId = async (sw: string, port: string) =>
    ((await gremlin(`G.V().Has('Type','switch','Name','${sw}').Out().Has('Type','port','Name','${port}').Values('ID')`)) as string[])[0];
  const changes = async (from: number, to = Date.now()): Promise<Change[]> => (await curl(`/api/changes?from=${from}&to=${to}`)).Changes;
  const macOf = async (n: string, i: string) =>
    (JSON.parse((await sh(n, '-j', 'link', 'show', i)).stdout) as { address: string }[])[0]!.address;

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const ifindex = async (n: string, i: string) =>
    (JSON.parse((await sh(n, '-j', 'link', 'show', i)).stdout) as { ifindex: number }[])[0]!.ifindex;
  const canopy = (args: string[]) =>
    lab.exec(lab.mgmtNs, process.execPath, ['bin/canopy.js', ...args, '--collector', API], { allowFail: true });
  /** Waits until the changes since `from` include each of these kinds. */
  const settled = async (from: number, kinds: string[], ms: number): Promise<Change[]> =>
    waitFor(`${kinds.join(', ')} since ${from}`, ms, async () => {
      const l = await changes(from);
      const left = [...l.map((c) => c.Kind)];
      for (const k of kinds) {
        const i = left.indexOf(k);
        if (i < 0) return undefined;
        left.splice(i, 1);
      }
      return l;
    });

  beforeAll(async () => {
    lab = await startLab(FILE);
    // A spare port for the host move: leaf1 eth4, a veth whose far end waits (down) in h1 as "mv0".
    await sh('leaf1', 'link', 'add', 'eth4', 'type', 'veth', 'peer', 'name', 'mv0', 'netns', ns('h1'));
    await sh('leaf1', 'link', 'set', 'eth4', 'master', 'br0');
    await sh('leaf1', 'link', 'set', 'eth4', 'up');
    // lldpd on the leaves speaks on every eth* (the lab started them on their cabled ports only).
    for (const n of ['leaf1', 'leaf2'])
      await lab.exec(ns(n), 'lldpcli', ['-u', lab.switches[n]!.lldpSocket, 'configure', 'system', 'interface', 'pattern', 'eth*,!eth0']);
    hook = lab.spawnInMgmt(process.execPath, ['-e', WEBHOOK_RECEIVER]);
    const hookPort = /LISTENING (\d+)/.exec(await hook.waitForOutput(/LISTENING \d+/))![1];
    const cfg = parse(readFileSync(lab.state.collectorConfig!, 'utf8')) as Record<string, any>;
    Object.assign(cfg.snmp, { counterInterval: `${POLL_MS}ms`, lldpInterval: `${POLL_MS}ms`, fdbInterval: `${POLL_MS}ms` });
    // One alert rule: the leaf1–leaf2 cable (leaf1 eth1's layer2 link; no device here has Role spine) DOWN, no hold-down.
    cfg.alerts = {
      rules: [
        {
          name: RULE,
          query:
            "G.V().Has('Type','switch','Name','leaf1').Out().Has('Type','port','Name','eth1').BothE().Has('RelationType','layer2','State','DOWN')",
          for: 0,
        },
      ],
      webhooks: [{ url: `http://127.0.0.1:${hookPort}/api/v2/alerts`, format: 'alertmanager' }],
    };
    const conf = join(lab.stateDir, 'timeline-collector.yml');
    writeFileSync(conf, stringify(cfg));
    col = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', conf], { env });
    await col.waitForOutput(/collector listening/, 30_000);
    // Converged: the leaf-to-leaf cable and both hosts' links known by LLDP, every port polled.
    await waitFor('three LLDP links', 30_000, async () => {
      const e = await gremlin("G.E().Has('RelationType','layer2').Has('State','UP')");
      return e.length === 3 && (await portId('leaf1', 'eth4')) !== undefined;
    });
  }, 90_000);

  afterAll(async () => {
    await col?.stop();
    await lab?.stop();
  }, 30_000);

  it('a pulled (and alerted, and restored) cable, a moved host and a restarted snmpd are exactly those changes, at the right times', async () => {
    const [l1e1, l2e1, l1e3, l1e4] = [
      await portId('leaf1', 'eth1'),
      await portId('leaf2', 'eth1'),
      await portId('leaf1', 'eth3'),
      await portId('leaf1', 'eth4'),
    ];
    const h1nic = ((await gremlin(`G.V('${l1e3}').Both().Has('Probe','lldp').Values('ID')`)) as string[])[0]!;
    const leaf2 = ((await gremlin("G.V().Has('Type','switch','Name','leaf2').Values('ID')")) as string[])[0]!;
    const cableEdge = ((await gremlin(`G.V('${l1e1}').BothE().Has('RelationType','layer2').Values('ID')`)) as string[])[0]!;
    expect([l1e1, l2e1, l1e3, l1e4, h1nic, leaf2, cableEdge].every(Boolean)).toBe(true);
    // Nothing changes while nothing is done (a poll interval and more).
    const t0 = Date.now();
    await sleep(POLL_MS + 500);
    expect(await changes(t0)).toEqual([]);

    // 1. Pull the leaf1–leaf2 cable (its leaf2 end goes down, leaf1's loses the carrier).
    const tPull = Date.now();
    await sh('leaf2', 'link', 'set', 'eth1', 'down');
    await settled(tPull, ['link-down', 'link-down', 'link-down'], 10_000);
    // The alert rule on that cable fires to the webhook (Alertmanager format: no endsAt while firing).
    const noAlert = async (e: Error) => {
      const rules = await curl('/api/alert').catch(() => null);
      throw new Error(`${e.message}; received ${JSON.stringify(received())}; /api/alert ${JSON.stringify(rules)}`);
    };
    const fired = await waitFor(`${RULE} firing at the webhook`, ALERT_MS, async () =>
      received().find((r) => r.a.labels.alertname === RULE && r.a.endsAt === undefined),
    ).catch(noAlert);
    const fireMs = fired.at - tPull;
    expect(fired.a.labels.element).toBe(cableEdge);
    expect(fired.a.annotations.summary).toBeTruthy();
    expect(Date.parse(fired.a.startsAt)).toBeGreaterThanOrEqual(tPull);
    expect(fireMs).toBeLessThanOrEqual(ALERT_MS);
    // 1b. Put the cable back: the three come back up, and the alert resolves (endsAt set).
    const tRestore = Date.now();
    await sh('leaf2', 'link', 'set', 'eth1', 'up');
    await settled(tRestore, ['link-up', 'link-up', 'link-up'], 10_000);
    const resolved = await waitFor(`${RULE} resolved at the webhook`, ALERT_MS, async () =>
      received().find((r) => r.a.labels.alertname === RULE && r.a.endsAt !== undefined),
    ).catch(noAlert);
    const resolveMs = resolved.at - tRestore;
    expect(resolved.a.labels.element).toBe(cableEdge);
    expect(Date.parse(resolved.a.endsAt!)).toBeGreaterThanOrEqual(tRestore);
    expect(resolveMs).toBeLessThanOrEqual(ALERT_MS);
    expect(received().map((r) => r.a.endsAt === undefined)).toEqual([true, false]);
    process.stderr.write(`[lab timeline] alert ${RULE}: fired ${fireMs} ms after the pull, resolved ${resolveMs} ms after the restore\n`);
    // 2. h1 moves from leaf1 eth3 to leaf1 eth4: its NIC (same name, MAC and address) now on the spare veth.
    const h1Mac = await macOf('h1', 'eth1');
    const tMove = Date.now();
    await sh('h1', 'link', 'set', 'eth1', 'down');
    await sh('h1', 'addr', 'flush', 'dev', 'eth1');
    await sh('h1', 'link', 'set', 'eth1', 'name', 'old1');
    await sh('h1', 'link', 'set', 'mv0', 'address', h1Mac);
    await sh('h1', 'link', 'set', 'mv0', 'name', 'eth1');
    await sh('h1', 'addr', 'add', lab.nodes.h1!.ifaces[0]!.ipv4[0]!, 'dev', 'eth1');
    await sh('h1', 'link', 'set', 'eth1', 'up');
    // When leaf1's own LLDP table lists h1 on eth4: the poll can only see the move from then on.
    await waitFor('leaf1 lldpd to list h1 on eth4', 10_000, async () => {
      const r = await lab.exec(ns('leaf1'), 'lldpcli', [
        '-u',
        lab.switches.leaf1!.lldpSocket,
        'show',
        'neighbors',
        'ports',
        'eth4',
        '-f',
        'keyvalue',
      ]);
      return r.stdout.includes('chassis.name=h1');
    });
    const tSeen = Date.now();
    await settled(tMove, ['link-down', 'link-up', 'mac-moved'], 10_000);
    // 3. Restart leaf2's snmpd (same config; lldpd and the BRIDGE-MIB subagent reconnect over AgentX).
    const topo = parseTopology(readFileSync(FILE, 'utf8'));
    const leaf2Node = topo.nodes.find((n) => n.name === 'leaf2')!;
    const old = lab.state.procs.find((p) => p.name === 'snmpd-leaf2')!;
    const tRestart = Date.now();
    await stopPids([old], 2000);
    await startSnmpd(leaf2Node, lab.state, (p) => lab.state.procs.push(p));
    await shortenIfTableCache(leaf2Node, lab.state);
    await settled(tRestart, ['rebooted'], 10_000);
    // Three poll intervals more: nothing else may come (the LLDP-MIB's brief absence is no loss).
    await sleep(3 * POLL_MS);
    const tEnd = Date.now();

    const list = await changes(t0, tEnd);
    const seen = list.map((c) => `${c.Kind} ${c.ID}${c.Key ? ` ${c.Key}:${String(c.Old)}→${String(c.New)}` : ''}`);
    const log =
      `t0=${t0} pull +${tPull - t0} restore +${tRestore - t0} move +${tMove - t0} (on leaf1 +${tSeen - t0}) restart +${tRestart - t0}\n` +
      list.map((c, i) => `+${c.At - t0} ${seen[i]}`).join('\n');
    expect(seen, log).toEqual(
      [
        `link-down ${l2e1} State:UP→DOWN`,
        `link-down ${cableEdge} State:UP→DOWN`,
        `link-down ${l1e1} State:UP→DOWN`,
        `link-up ${l2e1} State:DOWN→UP`,
        `link-up ${cableEdge} State:DOWN→UP`,
        `link-up ${l1e1} State:DOWN→UP`,
        `link-down ${l1e3} State:UP→DOWN`,
        `link-up ${l1e4} State:DOWN→UP`,
        `mac-moved ${h1nic} port:${l1e3}→${l1e4}`,
        `rebooted ${leaf2} BootTime:${String(list.find((c) => c.Kind === 'rebooted')?.Old)}→${String(list.find((c) => c.Kind === 'rebooted')?.New)}`,
      ].sort((a, b) => seen.indexOf(a) - seen.indexOf(b)),
    );
    // Times: port state by trap (2 s), the move by the next LLDP poll after leaf1's lldpd lists it
    // (a poll interval, plus 500 ms for that poll's round trips), the reboot by the coldStart trap's
    // re-poll (2 s; from the restart, which stops one snmpd and starts another). Asserted with the
    // suite's 3× margin for times: once the loaded CI machine took 3.0 s from restart to reboot.
    const after = (c: Change, t: number, ms: number) => c.At >= t && c.At - t <= 3 * ms;
    for (const c of list) {
      const why = `${c.Kind} ${c.ID} at +${c.At - t0}\n${log}`;
      if (c.Kind === 'rebooted') {
        expect(after(c, tRestart, TRAP_MS), why).toBe(true);
        expect(c.Old as number, why).toBeLessThan(t0);
        expect(Math.abs((c.New as number) - tRestart), why).toBeLessThan(TRAP_MS);
      } else if (c.Kind === 'mac-moved') {
        expect(after(c, tMove, 10_000), why).toBe(true);
        expect(c.At - tSeen, why).toBeLessThanOrEqual(3 * (POLL_MS + 500));
      } else if (c.ID === l1e3 || c.ID === l1e4) expect(after(c, tMove, TRAP_MS), why).toBe(true);
      else if (c.Kind === 'link-up') expect(after(c, tRestore, TRAP_MS), why).toBe(true);
      else expect(after(c, tPull, TRAP_MS), why).toBe(true);
    }
    process.stderr.write(`[lab timeline] ${log.replaceAll('\n', '; ')}\n`);

    // `canopy changes --json` gives the same window's answer; the text form one line per change.
    const cli = await canopy(['changes', '--from', String(t0), '--to', String(tEnd), '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).Changes).toEqual(list);
    const text = await canopy(['changes', '--from', new Date(t0).toISOString(), '--to', String(tEnd)]);
    expect(text.stdout.trim().split('\n')).toHaveLength(list.length + 1); // a heading line, one per change
    expect(text.stdout).toContain(`mac-moved`);
  }, 60_000);

  it('re-cabled to the wrong port: verify-cabling --json names the cable miswired with both ports', async () => {
    // The leaf2 end of the leaf1 eth1 cable moves to leaf2 eth2: a new veth pair, leaf1's end made
    // with eth1's ifIndex so it is the same port (as on a switch), leaf2 eth1 re-made dark.
    const i1 = await ifindex('leaf1', 'eth1');
    const i2 = await ifindex('leaf2', 'eth1');
    await sh('leaf1', 'link', 'del', 'eth1');
    await sh('leaf1', 'link', 'add', 'eth1', 'index', String(i1), 'type', 'veth', 'peer', 'name', 'eth2', 'netns', ns('leaf2'));
    await sh('leaf2', 'link', 'add', 'eth1', 'index', String(i2), 'type', 'veth', 'peer', 'name', 'dark1');
    for (const [n, i] of [
      ['leaf1', 'eth1'],
      ['leaf2', 'eth2'],
      ['leaf2', 'eth1'],
    ] as const)
      await sh(n, 'link', 'set', i, 'master', 'br0');
    await sh('leaf1', 'link', 'set', 'eth1', 'up');
    await sh('leaf2', 'link', 'set', 'eth2', 'up');
    // lldpd took the re-made eth1 (same name and ifIndex) for the old one and kept its dead socket:
    // it opens a new one when the port leaves its pattern and comes back.
    const pattern = (p: string) =>
      lab.exec(ns('leaf1'), 'lldpcli', ['-u', lab.switches.leaf1!.lldpSocket, 'configure', 'system', 'interface', 'pattern', p]);
    await pattern('eth*,!eth0,!eth1');
    await sleep(300);
    await pattern('eth*,!eth0');
    const plan = join(lab.stateDir, 'plan.csv');
    writeFileSync(plan, 'a_device,a_port,b_device,b_port\nleaf1,eth1,leaf2,eth1\nleaf2,eth3,h2,eth1\n');
    let last = '';
    const report = await waitFor('verify-cabling to see the new cable', 20_000, async () => {
      const r = await canopy(['verify-cabling', '--intent', plan, '--json']);
      last = JSON.stringify(JSON.parse(r.stdout)) + r.stderr;
      const j: any = JSON.parse(r.stdout);
      return j.miswired.some((m: any) => m.found.port === 'eth2') ? { code: r.code, j } : undefined;
    }).catch(async (e: Error) => {
      const nb = async (n: string) =>
        (await lab.exec(ns(n), 'lldpcli', ['-u', lab.switches[n]!.lldpSocket, 'show', 'interfaces', '-f', 'keyvalue'])).stdout
          .split('\n')
          .filter((l) => /\.(status|port\.ifname|ifname)=|\.via/.test(l) || l.includes('eth'))
          .join(' | ');
      const ports = await gremlin("G.V().Has('Type','switch').Out().Has('Type','port').Values('Name')");
      throw new Error(
        `${e.message}; last answer ${last}\nleaf1 ${await nb('leaf1')}\nleaf2 ${await nb('leaf2')}\nports ${JSON.stringify(ports)}\nlinks ${(await sh('leaf2', 'link')).stdout}`,
      );
    });
    const end = (e: { device: string; port: string }) => `${e.device} ${e.port}`;
    expect(report.code).toBe(3);
    expect(report.j.miswired.map((m: any) => [end(m.planned.a), end(m.planned.b), end(m.expected), end(m.found)])).toEqual([
      ['leaf1 eth1', 'leaf2 eth1', 'leaf2 eth1', 'leaf2 eth2'],
    ]);
    const obs = report.j.miswired[0].observed;
    expect([end(obs.a), end(obs.b)].sort()).toEqual(['leaf1 eth1', 'leaf2 eth2']);
    expect(report.j.ok.map((o: any) => `${end(o.planned.a)} — ${end(o.planned.b)}`)).toEqual(['leaf2 eth3 — h2 eth1']);
    expect([report.j.missing, report.j.unexpected]).toEqual([[], []]);
  }, 30_000);
});
