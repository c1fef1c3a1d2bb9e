// Every real walk in fixtures/snmp/ served by Canopy's simulator (one UDP port per device) and
// polled by the real poller into a real store. Expected values come from the walk files, read
// by a separate minimal parser in helpers.ts (never from the poller), plus the manifest's examples.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basename, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ids } from '../../../src/topology/ids.ts';
import { listWalkFiles } from '../../../src/collectors/snmp/sim/load.ts';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import type { DevicePoller } from '../../../src/collectors/snmp/device-poller.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { column, portsOf, readSnmprec, startHarness, type Harness } from './helpers.ts';

const files = listWalkFiles(FIXTURE_DIR);
// Display strings as the poller keeps them: trailing blanks, CR/LF and NULs dropped.
const trim = (s: string | undefined) => (s ?? '').replace(/[\s\0]+$/, '');
const LLDP_SYSNAME = '1.0.8802.1.1.2.1.4.1.1.9';
const LLDP_PORTID = '1.0.8802.1.1.2.1.4.1.1.7';
const IFTYPE = '1.3.6.1.2.1.2.2.1.3';
const IFNAME = '1.3.6.1.2.1.31.1.1.1.1';
const IFDESCR = '1.3.6.1.2.1.2.2.1.2';
const LOC_PORTID = '1.0.8802.1.1.2.1.3.7.1.3';

describe('poller against the 17 real walks (Canopy snmp-sim)', () => {
  let sim: RunningSimulator;
  let h: Harness;
  const byCommunity = new Map<string, DevicePoller>();

  beforeAll(async () => {
    sim = await startSimulator({ dir: FIXTURE_DIR, portPerDevice: 0, maxMessageSize: 65507 });
    const devices = sim.devices.map((d) => ({
      address: '127.0.0.1',
      port: d.port,
      version: '2c',
      community: d.community,
      name: d.community,
    }));
    h = await startHarness({ devices, timeout: 3, retries: 1, maxRepetitions: 25 });
    await h.snmp.poller.pollNow();
    for (const d of h.snmp.poller.devices()) byCommunity.set(d.target.config.name!, d);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await sim?.close();
  });

  it('polls all 17 devices without errors', () => {
    expect(files).toHaveLength(17);
    for (const [name, d] of byCommunity) {
      expect(d.switchId, name).toBeTruthy();
      expect(d.status.consecutiveFailures, name).toBe(0);
      // Wrong SNMP types are the agent's error: expected exactly where the walk has a
      // non-OCTET STRING lldpRemSysCapSupported/Enabled (MikroTik answers INTEGER).
      const w = readSnmprec(join(FIXTURE_DIR, `${name}.snmprec`));
      const wrong = [...column(w, '1.0.8802.1.1.2.1.4.1.1.11'), ...column(w, '1.0.8802.1.1.2.1.4.1.1.12')].filter(
        ([, v]) => v.type !== '4',
      );
      if (wrong.length === 0) {
        expect(d.status.lastError, name).toBeUndefined();
        expect(d.status.state, name).toBe('ok');
      } else {
        expect(d.status.state, name).toBe('error');
        expect(d.status.lastError, name).toMatchObject({ code: 'wrong-type', task: 'lldp' });
        expect(d.status.lastError!.message).toMatch(
          /^wrong-type: 1\.0\.8802\.1\.1\.2\.1\.4\.1\.1\.1[12]\.\S+ is Integer, expected an OctetString$/,
        );
      }
    }
    expect([...byCommunity.values()].filter((d) => d.status.state === 'error').map((d) => d.target.config.name)).toEqual([
      'librenms__routeros',
    ]);
    // All walks are anonymised to sysName "<private>": one switch keeps the sysName identity, the
    // others fall back to their address instead of collapsing into one node.
    const ids = new Set([...byCommunity.values()].map((d) => d.switchId));
    expect(ids.size).toBe(17);
  });

  for (const f of files) {
    const community = basename(f, '.snmprec');
    it(`${community}: ports, LLDP neighbours, FDB, CDP as in the walk`, () => {
      const w = readSnmprec(f);
      const d = byCommunity.get(community)!;
      const sw = h.store.getNode(d.switchId!)!;
      expect(sw.Metadata.Type).toBe('switch');
      expect(sw.Metadata.SysObjectID).toBe(w.get('1.3.6.1.2.1.1.2.0')!.value);

      // ports = ifTable rows with ifType 6, 117 or 161
      const expectedPorts = [...column(w, IFTYPE)]
        .filter(([, v]) => ['6', '117', '161'].includes(v.value))
        .map(([k]) => Number(k))
        .sort((a, b) => a - b);
      const ports = portsOf(h.store, d.switchId!);
      expect(ports.map((p) => p.Metadata.IfIndex as number).sort((a, b) => a - b)).toEqual(expectedPorts);
      const names = column(w, IFNAME);
      const descrs = column(w, IFDESCR);
      for (const p of ports) {
        const i = String(p.Metadata.IfIndex);
        // ifName, else ifDescr, else "ifIndex N" (display strings lose trailing blanks/NULs)
        expect(p.Metadata.Name, `port ${i}`).toBe(trim(names.get(i)?.value) || trim(descrs.get(i)?.value) || `ifIndex ${i}`);
      }

      // LLDP neighbours: one observation per lldpRemSysName row, same remote sysName/port
      const remNames = column(w, LLDP_SYSNAME);
      const remPorts = column(w, LLDP_PORTID);
      const remPortSub = column(w, '1.0.8802.1.1.2.1.4.1.1.6');
      const rows = h.snmp.observations.lldpRows({ device: d.target.key });
      expect(rows).toHaveLength(remNames.size);
      for (const [idx, v] of remNames) {
        const row = rows.find((r) => r.rawIndex === idx);
        expect(row, idx).toBeDefined();
        expect(row!.sysName ?? '', idx).toBe(trim(v.value));
        const port = remPorts.get(idx);
        const subtype = remPortSub.get(idx)?.value;
        if (port && subtype === '3' && port.raw.length === 6)
          expect(row!.portId, idx).toBe([...port.raw].map((b) => b.toString(16).padStart(2, '0')).join(':'));
        else if (port && subtype === '3') expect(row!.portId, idx).toBe(port.value.toLowerCase());
        else if (port && /^[\x20-\x7e]*$/.test(port.value) && port.raw.length !== 6) expect(row!.portId, idx).toBe(trim(port.value));
      }

      // FDB: every dot1qTpFdbPort and dot1dTpFdbPort row
      const q = column(w, '1.3.6.1.2.1.17.7.1.2.2.1.2').size;
      const dd = column(w, '1.3.6.1.2.1.17.4.3.1.2').size;
      const fdb = h.snmp.observations.fdbRows({ device: d.target.key });
      expect(fdb.filter((r) => r.mib === 'qbridge')).toHaveLength(q);
      expect(fdb.filter((r) => r.mib === 'bridge')).toHaveLength(dd);
      expect(d.status.counts.fdb).toBe(q + dd);

      // CDP cache rows
      const cdp = h.snmp.observations.cdpRows({ device: d.target.key });
      expect(cdp).toHaveLength(column(w, '1.3.6.1.4.1.9.9.23.1.2.1.1.6').size);

      // Local port → ifIndex: where lldpLocPortId names exactly one interface (ifName, else
      // ifDescr), the row resolves to that ifIndex.
      const locIds = column(w, LOC_PORTID);
      for (const r of rows) {
        if (r.localPortNum === null) continue;
        const lid = locIds.get(String(r.localPortNum))?.value;
        if (!lid) continue;
        let hits = [...names].filter(([, v]) => v.value === lid).map(([k]) => Number(k));
        if (hits.length === 0) hits = [...descrs].filter(([, v]) => v.value === lid).map(([k]) => Number(k));
        if (hits.length === 1) expect(r.localIfIndex, `${community} local port ${r.localPortNum} (${lid})`).toBe(hits[0]);
      }
    });
  }

  const row = (community: string, idx: string) => {
    const d = byCommunity.get(community)!;
    return h.snmp.observations.lldpRows({ device: d.target.key }).find((r) => r.rawIndex === idx)!;
  };

  it('manifest examples: remote sysName / port', () => {
    // The manifest quotes the port ID cut short; the walk has "\\A 7050s-estudio Et47\\".
    expect(row('librenms__arista_eos', '0.47.2')).toMatchObject({ localPortNum: 47 });
    expect(row('librenms__arista_eos', '0.47.2').portId).toContain('7050s-estudio Et4');
    expect(row('librenms__arista_eos', '0.47.2').sysName).toMatch(/^3750E-Estudio1\.example\.ne/);
    expect(
      row('librenms__iosxe_ie32008t2s-ios17-12', rowIdx('librenms__iosxe_ie32008t2s-ios17-12', 'DE-XXX-XXX-FAC-MP-SW110')),
    ).toMatchObject({ localPortNum: 1, portId: 'Gi1/25' });
    expect(row('librenms__dell-os10', '4500.4.1')).toMatchObject({ sysName: '1007-mnt-1', portId: 'Gi1/0/6' });
    expect(row('librenms__dell-sonic', '2145.48.28')).toMatchObject({ sysName: 'xxxxx-xxx-xxx-sw-acc02', portId: 'Gi1/0/44' });
    expect(row('librenms__procurve', rowIdx('librenms__procurve', 'axis'))).toMatchObject({
      localPortNum: 27,
      portIdSubtype: 3,
      portId: 'b8:a4:4f:b9:3d:1a',
    });
    expect(row('librenms__voss_7432cq', '0.292.26')).toMatchObject({ sysName: '3002C OBM 4850GTS', portId: '1/49' });
    expect(row('librenms__routeros', '0.0.11')).toMatchObject({ sysName: 'Spoj Jizak-Kupeckeho-60G', portId: 'bridge/wlan60-1' });
    const cdp = h.snmp.observations.cdpRows({ device: byCommunity.get('librenms__ios_2960x')!.target.key });
    expect(cdp.find((r) => r.ifIndex === 10103 && r.deviceIndex === 1)).toMatchObject({
      remoteDeviceId: 'acme-fr-ap-011',
      remotePort: 'GigabitEthernet0',
    });
  });

  function rowIdx(community: string, sysName: string): string {
    const d = byCommunity.get(community)!;
    return h.snmp.observations.lldpRows({ device: d.target.key }).find((r) => r.sysName === sysName)!.rawIndex;
  }

  it('index quirks: Dell large local port numbers and MikroTik short index resolve as the walks say', () => {
    // DNOS: lldpLocPortNum 2103301 is the ifIndex-like number of fortyGigE 1/49.
    expect(row('librenms__dnos', '0.2103301.1')).toMatchObject({
      sysName: 'abc-cs2',
      portId: 'fortyGigE 1/50',
      localPortNum: 2103301,
      localIfIndex: 2103301,
      localPortVia: 'lldpLocPortId',
    });
    // OS10: local port 4 is mgmt1/1/1 = ifIndex 10 (bridge port 4 would wrongly give ifIndex 15).
    expect(row('librenms__dell-os10', '4500.4.1')).toMatchObject({ localPortNum: 4, localIfIndex: 10, localPortVia: 'lldpLocPortId' });
    // OS10: local port 612 is ethernet1/1/25 (no ifIndex 612 and no bridge port 612 exists).
    const w = readSnmprec(join(FIXTURE_DIR, 'librenms__dell-os10.snmprec'));
    const e25 = [...column(w, IFNAME)].find(([, v]) => v.value === 'ethernet1/1/25')![0];
    expect(row('librenms__dell-os10', '5700.612.2')).toMatchObject({ localPortNum: 612, localIfIndex: Number(e25) });
    // MikroTik: `0.0.N` rows have local port 0 and the short `N` rows none; neither names a port.
    expect(row('librenms__routeros', '0.0.11')).toMatchObject({ localPortNum: 0, localIfIndex: null });
    expect(row('librenms__routeros', '1')).toMatchObject({
      localPortNum: null,
      localIfIndex: null,
      sysName: 'S5120-Tech',
      portId: 'GigabitEthernet1/0/17',
    });
  });

  it('every LLDP and CDP row resolves to the local port fixtures/README.md names for it (per-walk table)', () => {
    const readme = readFileSync(join(FIXTURE_DIR, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**Port resolution per walk**'));
    const table = section.slice(0, section.indexOf('Per vendor ('));
    const parsed = [...table.matchAll(/^\| `([^`]+)` \| [^|]+ \| (\d+) \/ (\d+) \| ([^|]+) \| ([^|]+) \|$/gm)];
    expect(parsed.map((m) => `librenms__${m[1]}`).sort()).toEqual([...byCommunity.keys()].sort());
    const perVendor: string[] = [];
    for (const m of parsed) {
      const [, walk, resolved, total, lldp, cdp] = m as unknown as [string, string, string, string, string, string];
      const d = byCommunity.get(`librenms__${walk}`)!;
      const want = new Map<number, number | null>();
      for (const e of lldp.split(',').map((x) => x.trim())) {
        const mm = /^(\d+)→(\d+|—)/.exec(e);
        if (mm) want.set(Number(mm[1]), mm[2] === '—' ? null : Number(mm[2]));
      }
      const rows = h.snmp.observations.lldpRows({ device: d.target.key });
      expect(rows, walk).toHaveLength(Number(total));
      for (const r of rows) {
        const expected = r.localPortNum === null ? null : want.get(r.localPortNum);
        expect(expected, `${walk} ${r.rawIndex}: local port ${r.localPortNum} is in the table`).not.toBeUndefined();
        expect(r.localIfIndex, `${walk} ${r.rawIndex}`).toBe(expected);
      }
      expect(
        rows.filter((r) => r.localIfIndex !== null),
        walk,
      ).toHaveLength(Number(resolved));
      const cdpRows = h.snmp.observations.cdpRows({ device: d.target.key });
      const cdpWant = cdp.trim() === '—' ? [] : cdp.split(',').map((x) => Number(x.trim().split('→')[1]));
      expect(
        [...new Set(cdpRows.map((r) => r.ifIndex))].sort((a, b) => a - b),
        walk,
      ).toEqual(cdpWant.sort((a, b) => a - b));
      // A CDP row's local ifIndex is a port the poller made.
      for (const r of cdpRows) expect(h.store.getNode(ids.port(d.switchId!, r.ifIndex)), `${walk} CDP ${r.ifIndex}`).toBeDefined();
      perVendor.push(`${walk} ${rows.filter((r) => r.localIfIndex !== null).length + cdpRows.length}/${rows.length + cdpRows.length}`);
    }
    expect(perVendor.filter((v) => v.startsWith('routeros'))).toEqual(['routeros 0/14']);
  });
});
