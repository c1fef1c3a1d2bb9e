// End to end on a real collector: a spine link goes DOWN through the SNMP trap writer (the graph's
// topology writer), the stitcher marks the link DOWN, the alert engine fires to local webhook
// receivers (Alertmanager and Slack formats, a third receiver dead) and resolves when it comes back.
// The goal is p99 ≤ 5 s from the change to the webhook; the suite asserts 15 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';
import { STITCH_INPUT } from '../../src/component/provisions.ts';
import { writeLinkState } from '../../src/collectors/snmp/graph-writer.ts';
import { ids } from '../../src/topology/ids.ts';
import type { GraphStore } from '../../src/topology/store/graph-store.ts';
import { lldpRow } from '../topology/stitch/helpers.ts';

interface Got {
  at: number;
  body: unknown;
}
const servers: Server[] = [];
async function receiver(answer = true): Promise<{ url: string; got: Got[] }> {
  const got: Got[] = [];
  const s = createServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString()));
    req.on('end', () => {
      got.push({ at: Date.now(), body: JSON.parse(b) });
      if (answer) res.writeHead(200).end();
    });
  });
  servers.push(s);
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`, got };
}

async function until<T>(what: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CH = { spine: '02:00:00:00:aa:01', leaf: '02:00:00:00:bb:01' };
let t: TestCollector;
let am: Awaited<ReturnType<typeof receiver>>;
let slack: Awaited<ReturnType<typeof receiver>>;
let spine: string;
let leaf: string;

function addSwitch(store: GraphStore, name: string, chassis: string, role: string): string {
  const id = ids.switchByChassis(4, chassis);
  store.write((tx) => {
    tx.upsertNode({
      ID: id,
      Origin: 'snmp',
      Host: 'test',
      Metadata: { Type: 'switch', Name: name, Role: role, LLDP: { ChassisID: chassis, ChassisIDType: 'macAddress' } },
    });
    const pid = ids.port(id, 1);
    tx.upsertNode({
      ID: pid,
      Origin: 'snmp',
      Host: 'test',
      Metadata: { Type: 'port', Name: name === 'spine1' ? 'Ethernet1' : 'swp1', IfIndex: 1, State: 'UP' },
    });
    tx.upsertEdge({
      ID: ids.edge(id, pid, 'ownership'),
      Parent: id,
      Child: pid,
      Origin: 'snmp',
      Host: 'test',
      Metadata: { RelationType: 'ownership' },
    });
  });
  return id;
}
const link = () => t.collector.store.findEdges('RelationType', 'layer2').find((e) => [e.Parent, e.Child].includes(ids.port(spine, 1)));
const auth = { 'Content-Type': 'application/json' };

beforeAll(async () => {
  am = await receiver();
  slack = await receiver();
  const dead = await receiver(false);
  t = await startTestCollector({
    // The timer is slow on purpose: what is timed is the change-driven evaluation.
    'alerts.interval': 60,
    'alerts.rules': [{ name: 'spine-link-down', condition: { kind: 'link-down', role: 'spine' }, description: 'a spine link is down' }],
    'alerts.webhooks': [
      { url: dead.url, format: 'alertmanager' },
      { url: am.url, format: 'alertmanager' },
      { url: slack.url, format: 'slack' },
    ],
    'alerts.timeout': 60,
  });
  spine = addSwitch(t.collector.store, 'spine1', CH.spine, 'spine');
  leaf = addSwitch(t.collector.store, 'leaf1', CH.leaf, 'leaf');
  const stitch = t.collector.provided(STITCH_INPUT)!;
  stitch.replaceNeighbours(spine, 'lldp-snmp', [lldpRow(1, { chassisId: CH.leaf, portId: 'swp1', sysName: 'leaf1' })]);
  stitch.replaceNeighbours(leaf, 'lldp-snmp', [lldpRow(1, { chassisId: CH.spine, portId: 'Ethernet1', sysName: 'spine1' })]);
  await until(() => link()?.Metadata.State === 'UP', 10_000);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('alerts end to end', () => {
  it('a spine link set DOWN fires to the webhooks within 15 s, is listed and counted, and resolves when it comes back', async () => {
    const t0 = Date.now();
    t.collector.store.write((tx) => writeLinkState(tx, leaf, 1, 'DOWN'));
    const fired = await until(() => am.got[0], 15_000);
    const fireMs = fired.at - t0;
    expect(fireMs).toBeLessThan(15_000);
    const edge = link()!;
    expect(edge.Metadata.State).toBe('DOWN');
    const [alert] = fired.body as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: string;
      endsAt?: string;
    }[];
    expect(alert!.labels).toMatchObject({ alertname: 'spine-link-down', element: edge.ID });
    expect([alert!.labels.a, alert!.labels.b].sort()).toEqual(['leaf1:swp1', 'spine1:Ethernet1']);
    expect(alert!.annotations).toEqual({ summary: expect.stringMatching(/DOWN/), description: 'a spine link is down' });
    expect(Date.parse(alert!.startsAt)).toBeGreaterThanOrEqual(t0);
    expect(alert!.endsAt).toBeUndefined();
    const s = await until(() => slack.got[0], 15_000);
    expect((s.body as { text: string }).text).toMatch(/^\[FIRING\] spine-link-down: link .* is DOWN/);

    const list = (await (await fetch(`${t.base}/api/alert`)).json()) as Record<
      string,
      { Name: string; State: string; Source: string; Instances: { key: string }[] }
    >;
    expect(list['config:spine-link-down']).toMatchObject({ Name: 'spine-link-down', State: 'firing', Source: 'config' });
    expect(list['config:spine-link-down']!.Instances.map((i) => i.key)).toEqual([edge.ID]);
    const metrics = await (await fetch(`${t.base}/metrics`)).text();
    expect(metrics).toMatch(/canopy_alerts_firing\{rule="spine-link-down"\} 1/);
    expect(metrics).toMatch(/canopy_alert_deliveries_total\{format="alertmanager",result="ok"\} 1/);
    expect(metrics).toMatch(/canopy_alert_evaluations_total\{result="ok"\} [1-9]/);
    const status = (await (await fetch(`${t.base}/api/status`)).json()) as { components: { alerts: { rules: number; firing: number } } };
    expect(status.components.alerts).toMatchObject({ rules: 1, firing: 1 });

    const t1 = Date.now();
    t.collector.store.write((tx) => writeLinkState(tx, leaf, 1, 'UP'));
    const resolved = await until(() => am.got[1], 15_000);
    const resolveMs = resolved.at - t1;
    expect(resolveMs).toBeLessThan(15_000);
    const [r] = resolved.body as { labels: Record<string, string>; endsAt?: string }[];
    expect(r!.labels.element).toBe(edge.ID);
    expect(Date.parse(r!.endsAt!)).toBeGreaterThanOrEqual(t1);
    expect(((await until(() => slack.got[1], 15_000)).body as { text: string }).text).toMatch(/^\[RESOLVED\] spine-link-down/);
    console.log(`alert e2e: fired ${fireMs} ms after the change, resolved ${resolveMs} ms after it came back`);
  });

  it('an alert created through /api/alert survives a restart; DELETE needs no config rule and 409s on one', async () => {
    const created = (await (
      await fetch(`${t.base}/api/alert`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ Name: 'mystery', Expression: "G.V().Has('Name', 'mystery-box')", Action: am.url, For: '1m' }),
      })
    ).json()) as { UUID: string; For: number };
    expect(created.For).toBe(60);
    const dup = await fetch(`${t.base}/api/alert`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ Name: 'mystery', Expression: 'G.V()' }),
    });
    expect(dup.status).toBe(400);
    expect((await fetch(`${t.base}/api/alert/config:spine-link-down`, { method: 'DELETE' })).status).toBe(409);
    const dir = t.dir;
    await t.stop(true);
    t = await startTestCollector({ 'storage.dataDir': dir });
    const list = (await (await fetch(`${t.base}/api/alert`)).json()) as Record<
      string,
      { Name: string; Expression: string; Action: string; For: number }
    >;
    expect(Object.keys(list)).toEqual([created.UUID]);
    expect(list[created.UUID]).toMatchObject({ Name: 'mystery', Expression: "G.V().Has('Name', 'mystery-box')", Action: am.url, For: 60 });
    expect((await fetch(`${t.base}/api/alert/${created.UUID}`, { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(`${t.base}/api/alert`)).json()).toEqual({});
  });
});
