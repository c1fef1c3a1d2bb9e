// Vendor spellings of one interface name map to one key; different ports never do.
import { describe, expect, it } from 'vitest';
import { canonicalPortName, matchPortName } from '../../src/topology/port-names.ts';

const SAME: [string, string][] = [
  ['Gi1/0/1', 'GigabitEthernet1/0/1'],
  ['gi1/0/1', 'GigabitEthernet1/0/1'], // Cisco SB lower case
  ['Fa0/1', 'FastEthernet0/1'],
  ['Te1/1/1', 'TenGigabitEthernet1/1/1'],
  ['Te 1/1', 'TenGigabitEthernet 1/1'], // Dell OS9
  ['TenGigE0/0/0/0', 'TenGigabitEthernet0/0/0/0'], // IOS-XR
  ['Hu0/0/0/1', 'HundredGigE0/0/0/1'],
  ['Fo1/50', 'fortyGigE 1/50'], // Dell OS9 as LLDP names it
  ['Twe1/0/1', 'TwentyFiveGigE1/0/1'],
  ['Tw1/0/1', 'TwoGigabitEthernet1/0/1'],
  ['Eth1/1', 'Ethernet1/1'], // NX-OS
  ['Et1', 'Ethernet1'], // Arista
  ['Et1/1', 'Ethernet1/1'],
  ['Po1', 'Port-channel1'],
  ['Po10', 'Port-Channel10'],
  ['xe-0/0/1', 'xe-0/0/1.0'], // Junos unit
  ['ge-0/0/47', 'ge-0/0/47.0'],
  ['et-0/0/1:2', 'et-0/0/1:2.0'],
  ['ae0', 'ae0.0'],
  ['GE1/0/1', 'GigabitEthernet1/0/1'], // Huawei
  ['XGE1/0/1', 'XGigabitEthernet1/0/1'],
  ['40GE1/0/1', 'FortyGigE1/0/1'],
  ['100GE1/0/1', 'HundredGigE1/0/1'],
  ['Eth-Trunk1', 'Po1'],
  ['Vl1', 'Vlan1'],
  ['Ma1', 'Management1'],
  ['mgmt1/1/1', 'Management1/1/1'],
];
const DIFFERENT: [string, string][] = [
  ['Gi1/0/1', 'Gi1/0/10'],
  ['Gi1/0/1', 'Te1/0/1'],
  ['Tw1/0/1', 'Twe1/0/1'], // 2.5G vs 25G
  ['Gi1/0/1', 'Gi1/0/1.100'], // a Cisco subinterface is its own interface
  ['xe-0/0/1', 'ge-0/0/1'],
  ['xe-0/0/1', 'xe-0/0/1:1'],
  ['ether1', 'ether10'], // MikroTik
  ['sfp-sfpplus1', 'sfp1'],
  ['1/1/1', '1/1/10'], // Aruba CX
  ['Eth1/10', 'Ethernet10'], // SONiC alias vs native name: not the same port
];

describe('canonicalPortName', () => {
  for (const [a, b] of SAME) it(`${a} = ${b}`, () => expect(canonicalPortName(a)).toBe(canonicalPortName(b)));
  for (const [a, b] of DIFFERENT) it(`${a} ≠ ${b}`, () => expect(canonicalPortName(a)).not.toBe(canonicalPortName(b)));
  it('keeps names it does not know, lower-cased, and returns null for blanks', () => {
    expect(canonicalPortName('bridge/wlan60-1')).toBe('bridge/wlan60-1');
    expect(canonicalPortName('  ')).toBeNull();
  });
});

describe('matchPortName', () => {
  const ports = [
    { port: 1, names: ['Gi1/0/1', 'GigabitEthernet1/0/1', 'uplink'] },
    { port: 2, names: ['Gi1/0/2', 'GigabitEthernet1/0/2', null] },
    { port: 3, names: ['Po1', 'Port-channel1'] },
  ];
  it('matches exactly, then by vendor spelling', () => {
    expect(matchPortName(ports, 'uplink')).toBe(1);
    expect(matchPortName(ports, 'GigabitEthernet1/0/2')).toBe(2);
    expect(matchPortName(ports, 'Gi 1/0/2')).toBe(2);
    expect(matchPortName(ports, 'Port-Channel1')).toBe(3);
  });
  it('never guesses: no match or an ambiguous one is null', () => {
    expect(matchPortName(ports, 'Gi1/0/3')).toBeNull();
    expect(matchPortName(ports, null)).toBeNull();
    const twice = [...ports, { port: 4, names: ['GigabitEthernet1/0/1'] }];
    expect(matchPortName(twice, 'Gi1/0/1')).toBe(1); // exact on port 1 wins
    expect(matchPortName(twice, 'gigabitethernet1/0/1')).toBeNull(); // two canonical matches
  });
});
