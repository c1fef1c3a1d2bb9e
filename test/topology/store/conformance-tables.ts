// Conformance of the smaller stores: NetFlow templates, SNMP devices and observations, stitch
// inputs and port counter series.
import { expect, it } from 'vitest';
import type { LldpInput } from '../../../src/topology/store/snmp-rows.ts';
import type { PortSeriesRow } from '../../../src/topology/store/port-series.ts';
import type { Template } from '../../../src/topology/store/templates.ts';
import type { Harness } from './conformance.ts';

const tpl = (id: number, o: Partial<Template> = {}): Template => ({
  version: 10,
  id,
  options: false,
  scopeCount: 0,
  fields: [
    { id: 8, length: 4, pen: 0 },
    { id: 12, length: 4, pen: 0 },
    { id: 100, length: 2, pen: 9 },
  ],
  ...o,
});

const lldp = (portId: string, o: Partial<LldpInput> = {}): LldpInput => ({
  rawIndex: `0.1.${portId.length}`,
  timeMark: 0,
  localPortNum: 1,
  remIndex: 1,
  chassisIdSubtype: 4,
  chassisId: '02:00:00:00:0b:01',
  portIdSubtype: 5,
  portId,
  portDesc: `${portId} desc`,
  sysName: 'leaf2',
  sysDesc: null,
  capSupported: ['bridge', 'router'],
  capEnabled: ['bridge'],
  managementAddresses: ['10.0.0.2'],
  mib: 'lldp',
  localIfIndex: 1,
  localPortVia: 'ifIndex',
  ...o,
});

const series = (nodeId: string, last: number, rxBytes: number): PortSeriesRow => ({
  nodeId,
  source: 'snmp',
  start: last - 30_000,
  last,
  rxBytes,
  txBytes: 2 * rxBytes,
  rxPackets: 1,
  txPackets: 2,
  rxErrors: 0,
  txErrors: 0,
  rxDropped: 3,
  txDropped: 4,
});

export function tableConformance(h: () => Harness): void {
  it('templates: saved, replaced, deleted, and loaded again after a restart', () => {
    const t = h().storage.templates;
    t.save('192.0.2.1#v9', 0, tpl(256, { version: 9 }));
    t.save('192.0.2.1#v9', 0, tpl(257, { options: true, scopeCount: 1 }));
    t.save('192.0.2.2#ipfix', 7, tpl(256));
    t.save('192.0.2.1#v9', 0, tpl(256, { version: 9, fields: [{ id: 1, length: 8, pen: 0 }] })); // refreshed
    t.delete('192.0.2.2#ipfix', 7, 256);
    const loaded = h()
      .reopen()
      .templates.loadAll()
      .sort((a, b) => a.template.id - b.template.id);
    expect(loaded).toEqual([
      { exporter: '192.0.2.1#v9', domain: 0, template: tpl(256, { version: 9, fields: [{ id: 1, length: 8, pen: 0 }] }) },
      { exporter: '192.0.2.1#v9', domain: 0, template: tpl(257, { options: true, scopeCount: 1 }) },
    ]);
  });

  it('SNMP devices: put, update in place, list oldest first, delete', () => {
    const d = h().storage.snmpDevices;
    d.put('b', { address: '192.0.2.2', port: 161 }, 1);
    d.put('a', { address: '192.0.2.1', port: 161 }, 2);
    d.put('b', { address: '192.0.2.2', port: 1161 }, 3);
    expect(d.all()).toEqual([
      { id: 'b', body: { address: '192.0.2.2', port: 1161 } },
      { id: 'a', body: { address: '192.0.2.1', port: 161 } },
    ]);
    expect(d.delete('a')).toBe(true);
    expect(d.delete('a')).toBe(false);
    expect(
      h()
        .reopen()
        .snmpDevices.all()
        .map((x) => x.id),
    ).toEqual(['b']);
  });

  it('SNMP discovered devices: kept apart from API devices, marked unreachable in place, survive a reopen, deleted', () => {
    const d = h().storage.snmpDevices;
    const a = { id: 'a', address: '192.0.2.1', port: 161, via: 'seed', firstSeen: 5, unreachableSince: null };
    const b = { id: 'b', address: '2001:db8::2', port: 1161, via: '192.0.2.1:161', firstSeen: 3, unreachableSince: null };
    d.putDiscovered(a);
    d.putDiscovered(b);
    d.putDiscovered({ ...a, unreachableSince: 9 });
    expect(d.all()).toEqual([]);
    expect(d.discovered()).toEqual([b, { ...a, unreachableSince: 9 }]);
    const r = h().reopen().snmpDevices;
    expect(r.discovered()).toEqual([b, { ...a, unreachableSince: 9 }]);
    expect(r.deleteDiscovered('b')).toBe(true);
    expect(r.deleteDiscovered('b')).toBe(false);
    expect(r.discovered().map((x) => x.id)).toEqual(['a']);
  });

  it('captures: put, update in place, list oldest first, delete, persist', () => {
    const c = h().storage.captures;
    c.put('c2', { GremlinQuery: "G.V().Has('Name', 'br0')" }, 1);
    c.put('c1', { GremlinQuery: "G.V().Has('Name', 'p1')" }, 2);
    c.put('c2', { GremlinQuery: "G.V().Has('Name', 'br0')", Applied: [{ kind: 'sflow' }] }, 3);
    expect(c.all()).toEqual([
      { id: 'c2', body: { GremlinQuery: "G.V().Has('Name', 'br0')", Applied: [{ kind: 'sflow' }] } },
      { id: 'c1', body: { GremlinQuery: "G.V().Has('Name', 'p1')" } },
    ]);
    expect(c.delete('c1')).toBe(true);
    expect(c.delete('c1')).toBe(false);
    expect(
      h()
        .reopen()
        .captures.all()
        .map((x) => x.id),
    ).toEqual(['c2']);
  });

  it('alert rules: put, update in place, list oldest first, delete, persist', () => {
    const a = h().storage.alertRules;
    a.put('u2', { Expression: "G.V().Has('State', 'DOWN')", Trigger: 'graph' }, 1);
    a.put('u1', { Expression: 'G.E()', Action: 'http://127.0.0.1:9/hook' }, 2);
    a.put('u2', { Expression: "G.V().Has('State', 'DOWN')", Trigger: 'duration:10s' }, 3);
    expect(a.all()).toEqual([
      { id: 'u2', body: { Expression: "G.V().Has('State', 'DOWN')", Trigger: 'duration:10s' } },
      { id: 'u1', body: { Expression: 'G.E()', Action: 'http://127.0.0.1:9/hook' } },
    ]);
    expect(a.delete('u1')).toBe(true);
    expect(a.delete('u1')).toBe(false);
    // Captures share the shape, not the table.
    expect(h().storage.captures.all()).toEqual([]);
    expect(
      h()
        .reopen()
        .alertRules.all()
        .map((x) => x.id),
    ).toEqual(['u2']);
  });

  it('LLDP observations: first seen kept, missed polls counted, rows gone after keepMissed', () => {
    const o = h().storage.snmpObservations;
    o.recordLldp('dev1', 'sw1', [lldp('swp1'), lldp('swp2', { localPortNum: 2, localIfIndex: 2, localPortVia: null })], 100, 2);
    o.recordLldp('dev2', 'sw2', [lldp('swp9')], 100, 2);
    o.recordLldp('dev1', 'sw1', [lldp('swp1', { sysName: 'leaf2-renamed' })], 200, 2);
    const rows = o.lldpRows({ device: 'dev1' });
    expect(rows).toHaveLength(2);
    const swp1 = rows.find((r) => r.portId === 'swp1')!;
    expect(swp1).toMatchObject({
      device: 'dev1',
      switchId: 'sw1',
      sysName: 'leaf2-renamed',
      firstSeen: 100,
      lastSeen: 200,
      missed: 0,
      capSupported: ['bridge', 'router'],
      managementAddresses: ['10.0.0.2'],
      localIfIndex: 1,
      localPortVia: 'ifIndex',
      mib: 'lldp',
    });
    expect(swp1).not.toHaveProperty('timeMark');
    expect(rows.find((r) => r.portId === 'swp2')).toMatchObject({ missed: 1, localPortVia: null, lastSeen: 100 });
    expect(o.lldpRows({ device: 'dev1', current: true }).map((r) => r.portId)).toEqual(['swp1']);
    expect(o.lldpRows({ switchId: 'sw2' }).map((r) => r.portId)).toEqual(['swp9']);
    o.recordLldp('dev1', 'sw1', [lldp('swp1')], 300, 2);
    o.recordLldp('dev1', 'sw1', [lldp('swp1')], 400, 2);
    expect(o.lldpRows({ device: 'dev1' }).map((r) => r.portId)).toEqual(['swp1']);
  });

  it('FDB and CDP observations round-trip; the MAC filter; forgetting a device', () => {
    const o = h().storage.snmpObservations;
    o.recordFdb(
      'dev1',
      'sw1',
      [
        { vlan: 10, mac: '02:00:00:00:00:0c', bridgePort: 1, mib: 'qbridge', ifIndex: 1 },
        { vlan: null, mac: '02:00:00:00:00:0d', bridgePort: 2, mib: 'bridge', ifIndex: null },
      ],
      100,
      3,
    );
    o.recordCdp(
      'dev1',
      'sw1',
      [{ ifIndex: 1, deviceIndex: 4, deviceId: 'leaf3', devicePort: 'Gi0/1', platform: 'cisco', address: '10.0.0.3', capabilities: 8 }],
      100,
      3,
    );
    expect(o.fdbRows({ switchId: 'sw1' })).toEqual([
      {
        device: 'dev1',
        switchId: 'sw1',
        vlan: null,
        mac: '02:00:00:00:00:0d',
        bridgePort: 2,
        ifIndex: null,
        mib: 'bridge',
        firstSeen: 100,
        lastSeen: 100,
        missed: 0,
      },
      {
        device: 'dev1',
        switchId: 'sw1',
        vlan: 10,
        mac: '02:00:00:00:00:0c',
        bridgePort: 1,
        ifIndex: 1,
        mib: 'qbridge',
        firstSeen: 100,
        lastSeen: 100,
        missed: 0,
      },
    ]);
    expect(o.fdbRows({ mac: '02:00:00:00:00:0C' }).map((r) => r.bridgePort)).toEqual([1]);
    expect(o.cdpRows()).toEqual([
      {
        device: 'dev1',
        switchId: 'sw1',
        ifIndex: 1,
        deviceIndex: 4,
        remoteDeviceId: 'leaf3',
        remotePort: 'Gi0/1',
        platform: 'cisco',
        address: '10.0.0.3',
        capabilities: 8,
        firstSeen: 100,
        lastSeen: 100,
        missed: 0,
      },
    ]);
    o.forgetDevice('dev1');
    expect([...o.fdbRows(), ...o.cdpRows(), ...o.lldpRows()]).toEqual([]);
  });

  it('stitch inputs: saved per (source, reporter), replaced, removed when empty, kept across restarts', () => {
    const s = h().storage.stitchInputs;
    s.save('lldp-snmp', 'sw1', [{ a: 1 }], 10);
    s.save('fdb', 'sw1', [{ mac: 'x' }], 10);
    s.save('lldp-snmp', 'sw1', [{ a: 2 }, { a: 3 }], 20);
    s.save('fdb', 'sw1', [], 30);
    expect(h().reopen().stitchInputs.all()).toEqual([{ source: 'lldp-snmp', reporter: 'sw1', rows: [{ a: 2 }, { a: 3 }], updatedAt: 20 }]);
  });

  it('port series: appended rows per port, oldest first, following merges', () => {
    const p = h().storage.portSeries;
    p.append([series('p1', 60_000, 10), series('p2', 60_000, 5)]);
    p.append([series('p1', 90_000, 20)]);
    p.append([]);
    expect(p.rows('p1')).toEqual([series('p1', 60_000, 10), series('p1', 90_000, 20)]);
    p.repoint(new Map([['p2', 'p1']]));
    expect(p.rows('p2')).toEqual([]);
    expect(p.rows('p1').map((r) => r.rxBytes)).toEqual([10, 5, 20]);
    expect(h().reopen().portSeries.rows('p1')).toHaveLength(3);
  });
}
