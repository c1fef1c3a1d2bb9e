// ARP → IPs on the graph, from real walks served by Canopy's simulator (fixtures/README.md, "ARP/ND"):
// - unedited: the Alcatel AOS6 router's ipNetToMediaTable binds 10.169.96.240 to a MAC that only the
//   Dell DNOS switch's Q-BRIDGE FDB has learnt: that host, known by nothing else, gets the address;
// - an AOS6 copy with one binding's MAC edited to the MAC the Cisco SG350X has learnt on its edge
//   port 22: the query by IP finds the host and, through its FDB link, the switch port;
// - the address then moves to another MAC: a change in the history, not a rewrite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { parseSnmprec } from '../../../src/collectors/snmp/sim/snmprec.ts';
import { rec } from '../../../src/collectors/snmp/sim/records.ts';
import type { Storage } from '../../../src/topology/store/storage.ts';
import { runQuery } from '../../../src/topology/query/index.ts';
import type { GraphEdge, GraphNode } from '../../../src/topology/types.ts';
import { ids } from '../../../src/topology/ids.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { column, readSnmprec, startStitched as start, type StitchedEnv as Env } from './helpers.ts';

const ROUTER = 'librenms__aos6';
const EDITED = resolve(FIXTURE_DIR, '../snmp-arp/aos6-arp-edited.snmprec');
const DNOS = 'librenms__dnos';
const SG = 'librenms__ciscosb_sg350x-24p';
const walk = (c: string) => join(FIXTURE_DIR, `${c}.snmprec`);
const hexMac = (b: Buffer) => b.toString('hex').replace(/(..)(?!$)/g, '$1:');
const nodes = (s: Storage, q: string) => runQuery(s.graph, q).value as GraphNode[];
const edges = (s: Storage, q: string) => runQuery(s.graph, q).value as GraphEdge[];

/** The ARP binding of `ip` in a walk file, read without the poller. */
function arpMac(file: string, ip: string): string {
  const w = readSnmprec(file);
  const [, v] = [...column(w, '1.3.6.1.2.1.4.22.1.2')].find(([i]) => i.endsWith(`.${ip}`))!;
  return hexMac(v.raw);
}
/** Bridge port of a MAC in a walk's Q-BRIDGE FDB, and its ifIndex (null when dot1dBasePortIfIndex lacks it). */
function fdbPortOf(c: string, mac: string): { bridgePort: number; ifIndex: number | null } {
  const w = readSnmprec(walk(c));
  const suffix =
    '.' +
    mac
      .split(':')
      .map((x) => parseInt(x, 16))
      .join('.');
  const [, port] = [...column(w, '1.3.6.1.2.1.17.7.1.2.2.1.2')].find(([i]) => i.endsWith(suffix))!;
  const ifIndex = column(w, '1.3.6.1.2.1.17.1.4.1.2').get(port.value)?.value;
  return { bridgePort: Number(port.value), ifIndex: ifIndex === undefined ? null : Number(ifIndex) };
}

describe('ARP: unedited AOS6 router + DNOS switch', () => {
  let e: Env;
  beforeAll(async () => {
    e = await start([
      { name: ROUTER, file: walk(ROUTER) },
      { name: DNOS, file: walk(DNOS) },
    ]);
  }, 60_000);
  afterAll(async () => e?.stop());

  it("records the router's ipNetToMediaTable rows as the walk has them", () => {
    const w = readSnmprec(walk(ROUTER));
    const want = [...column(w, '1.3.6.1.2.1.4.22.1.2')].map(([idx, v]) => {
      const [ifIndex, ...ip] = idx.split('.');
      return { ifIndex: Number(ifIndex), ip: ip.join('.'), mac: hexMac(v.raw) };
    });
    expect(want).toHaveLength(5);
    const got = e.snmp.observations.arpRows({ device: e.device(ROUTER).target.key });
    expect(got.map((r) => ({ ifIndex: r.ifIndex, ip: r.ip, mac: r.mac }))).toEqual(want);
    expect(new Set(got.map((r) => `${r.mib}/${r.family}/${r.kind}`))).toEqual(new Set(['ipNetToMedia/ipv4/dynamic']));
    expect(e.device(ROUTER).status.counts.arp).toBe(5);
  });

  it('a host only the FDB of another switch knows gets its address; MACs no switch learnt get none', () => {
    const ip = '10.169.96.240';
    const mac = arpMac(walk(ROUTER), ip);
    expect(fdbPortOf(DNOS, mac)).toEqual({ bridgePort: 554, ifIndex: null });
    const found = nodes(e.storage, `G.V().Has('IPV4', '${ip}')`);
    expect(found.map((n) => n.Metadata)).toEqual([
      expect.objectContaining({
        Type: 'device',
        MAC: mac,
        IPV4: [ip],
        Probe: 'arp',
        ARP: expect.objectContaining({ Routers: [e.device(ROUTER).switchId] }),
      }),
    ]);
    expect(nodes(e.storage, `G.V().Has('IPV4', '${ip}').InE('RelationType', 'ownership').InV()`).map((n) => n.Metadata)).toEqual([
      expect.objectContaining({ Type: 'host', Name: ip, Probe: 'arp' }),
    ]);
    // The walk does not map bridge port 554 to an interface: no port to link it to.
    expect(edges(e.storage, `G.V().Has('IPV4', '${ip}').BothE('RelationType', 'layer2')`)).toEqual([]);
    // 10.169.96.194's MAC is in no FDB: no node for it.
    expect(nodes(e.storage, `G.V().Has('IPV4', '10.169.96.194')`)).toEqual([]);
  });
});

describe('ARP: AOS6 copy with one binding edited + SG350X switch (edge port 22)', () => {
  const IP = '10.169.96.194';
  let e: Env;
  beforeAll(async () => {
    e = await start([
      { name: 'aos6-edited', file: EDITED },
      { name: SG, file: walk(SG) },
    ]);
  }, 60_000);
  afterAll(async () => e?.stop());

  it("G.V().Has('IPV4', …) finds the host the switch's FDB placed, and from it the switch port", () => {
    const mac = arpMac(EDITED, IP);
    const at = fdbPortOf(SG, mac);
    expect(at).toEqual({ bridgePort: 22, ifIndex: 22 });
    const port = ids.port(e.device(SG).switchId!, at.ifIndex!);
    expect(e.storage.graph.getNode(port)?.Metadata.Type).toBe('port');
    expect(nodes(e.storage, `G.V().Has('IPV4', '${IP}')`).map((n) => n.Metadata.MAC)).toEqual([mac]);
    const links = edges(e.storage, `G.V().Has('IPV4', '${IP}').BothE('RelationType', 'layer2')`);
    expect(links).toHaveLength(1);
    const link = links[0]!;
    expect([link.Parent, link.Child]).toContain(port);
    // And the same walk back from the port: the host's address.
    expect(nodes(e.storage, `G.V('${port}').Both().Has('MAC', '${mac}')`).map((n) => n.Metadata.IPV4)).toEqual([[IP]]);
    expect(Object.keys(link.Metadata.Evidence as object)).toEqual(['fdb']);
  });

  it('an address that moves to another MAC is a change in history; an unchanged poll writes nothing', async () => {
    const before = nodes(e.storage, `G.V().Has('IPV4', '${IP}')`)[0]!;
    await e.snmp.poller.pollNow();
    expect(e.storage.graph.getNode(before.ID)!.Revision).toBe(before.Revision);
    // Another MAC the SG350X has learnt (behind its uplink, so not placed on a port).
    const other = '00:0c:29:ab:90:36';
    expect(fdbPortOf(SG, other).bridgePort).toBe(49);
    const port = e.sim.devices[0]!.port;
    await e.sim.close();
    const records = parseSnmprec(readFileSync(EDITED, 'latin1')).records.map((r) =>
      r.oid === `1.3.6.1.2.1.4.22.1.2.13600001.${IP}` ? rec.octets(r.oid, Buffer.from(other.replace(/:/g, ''), 'hex')) : r,
    );
    const sg = parseSnmprec(readFileSync(walk(SG), 'latin1')).records;
    // Router back on its port (BASE + 0); the switch on BASE + 1 is not polled again here.
    e.sim = await startSimulator({
      devices: [
        { community: 'aos6-arp-edited', records },
        { community: SG, records: sg },
      ],
      portPerDevice: port,
    });
    const movedAt = Date.now();
    await e.snmp.poller.pollNow([e.device('aos6-edited').target.id]);
    expect(nodes(e.storage, `G.V().Has('IPV4', '${IP}')`).map((n) => n.Metadata.MAC)).toEqual([other]);
    // The old binding's host is gone from the live graph, kept in history with the address it had.
    expect(e.storage.graph.getNode(before.ID)).toBeUndefined();
    const hist = e.storage.graph.historyOf(before.ID);
    expect(hist.at(-1)).toMatchObject({ Metadata: { IPV4: [IP], MAC: before.Metadata.MAC } });
    expect(hist.at(-1)!.DeletedAt).toBeGreaterThanOrEqual(movedAt);
    expect(
      e.storage.graph
        .at(movedAt - 1)
        .findNodes('IPV4', IP)
        .map((n) => n.Metadata.MAC),
    ).toEqual([before.Metadata.MAC]);
  }, 30_000);
});
