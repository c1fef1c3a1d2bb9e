// Conformance of the ARP/ND observation rows (SnmpObservationStore.recordArp / arpRows).
import { expect, it } from 'vitest';
import type { ArpEntry } from '../../../src/topology/store/snmp-rows.ts';
import type { Harness } from './conformance.ts';

const row = (ip: string, mac: string, o: Partial<ArpEntry> = {}): ArpEntry => ({
  ifIndex: 10,
  family: ip.includes(':') ? 'ipv6' : 'ipv4',
  ip,
  mac,
  kind: 'dynamic',
  mib: 'ipNetToPhysical',
  ...o,
});

export function arpConformance(h: () => Harness): void {
  it('ARP rows round-trip with the MAC and IP filters; a changed MAC restarts first seen', () => {
    const o = h().storage.snmpObservations;
    o.recordArp('r1', 'sw-r1', [row('10.0.0.5', '02:00:00:00:00:05'), row('2001:db8::5', '02:00:00:00:00:05', { ifIndex: 11 })], 100, 2);
    o.recordArp('r2', 'sw-r2', [row('10.0.0.5', '02:00:00:00:00:05', { mib: 'ipNetToMedia', kind: 'static' })], 150, 2);
    expect(o.arpRows({ device: 'r1' })).toEqual([
      { device: 'r1', switchId: 'sw-r1', ...row('10.0.0.5', '02:00:00:00:00:05'), firstSeen: 100, lastSeen: 100, missed: 0 },
      {
        device: 'r1',
        switchId: 'sw-r1',
        ...row('2001:db8::5', '02:00:00:00:00:05', { ifIndex: 11 }),
        firstSeen: 100,
        lastSeen: 100,
        missed: 0,
      },
    ]);
    expect(o.arpRows({ ip: '10.0.0.5' }).map((r) => [r.device, r.mib, r.kind])).toEqual([
      ['r1', 'ipNetToPhysical', 'dynamic'],
      ['r2', 'ipNetToMedia', 'static'],
    ]);
    expect(o.arpRows({ mac: '02:00:00:00:00:05', switchId: 'sw-r1' })).toHaveLength(2);
    expect(o.arpRows({ mac: '02:00:00:00:00:06' })).toEqual([]);
    // The address moved to another MAC: same row, new binding (first seen restarts); the IPv6 row
    // was not seen and counts a missed poll.
    o.recordArp('r1', 'sw-r1', [row('10.0.0.5', '02:00:00:00:00:06')], 200, 2);
    expect(o.arpRows({ device: 'r1', current: true })).toEqual([
      { device: 'r1', switchId: 'sw-r1', ...row('10.0.0.5', '02:00:00:00:00:06'), firstSeen: 200, lastSeen: 200, missed: 0 },
    ]);
    expect(o.arpRows({ device: 'r1', ip: '2001:db8::5' })).toMatchObject([{ missed: 1, lastSeen: 100 }]);
    // Seen again with the same MAC: first seen kept.
    o.recordArp('r1', 'sw-r1', [row('10.0.0.5', '02:00:00:00:00:06')], 300, 2);
    o.recordArp('r1', 'sw-r1', [row('10.0.0.5', '02:00:00:00:00:06')], 400, 2);
    expect(o.arpRows({ device: 'r1' })).toEqual([
      { device: 'r1', switchId: 'sw-r1', ...row('10.0.0.5', '02:00:00:00:00:06'), firstSeen: 200, lastSeen: 400, missed: 0 },
    ]);
    // Kept across a restart; gone with the device.
    expect(h().reopen().snmpObservations.arpRows()).toHaveLength(2);
    h().storage.snmpObservations.forgetDevice('r1');
    expect(
      h()
        .storage.snmpObservations.arpRows()
        .map((r) => r.device),
    ).toEqual(['r2']);
  });
}
