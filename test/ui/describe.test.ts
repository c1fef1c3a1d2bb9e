// What the side panel says, without a browser: a host's MACs and addresses gathered from its
// interfaces, a switch's SysDescr and uptime, flow rows with protocol names and, for non-IP
// traffic, MACs and the EtherType.
import { describe, expect, it } from 'vitest';
import { GraphModel } from '../../src/ui/web/model/graph-model.ts';
import { describeFlow, describeNode, flowSource, formatDuration } from '../../src/ui/web/ui/describe.ts';
import type { GEdge } from '../../src/ui/web/model/types.ts';

const own = (p: string, c: string): GEdge => ({ ID: `o:${c}`, Parent: p, Child: c, Metadata: { RelationType: 'ownership' } });

describe('panel rows', () => {
  it('shows a host with the MACs and addresses of its interfaces, and its OS', () => {
    const g = new GraphModel();
    g.reset(
      [
        { ID: 'h', Metadata: { Type: 'host', Name: 'web1', OS: 'linux' } },
        {
          ID: 'h.eth0',
          Metadata: { Type: 'device', Name: 'eth0', MAC: '02:42:00:00:00:0b', IPV4: ['10.0.1.10/24'], IPV6: ['fd00::10/64'] },
        },
        { ID: 'h.eth1', Metadata: { Type: 'device', Name: 'eth1', MAC: '02:42:00:00:00:0c' } },
        { ID: 'h.c0', Metadata: { Type: 'container', Name: 'app', MAC: '02:42:ac:11:00:02' } },
      ],
      [own('h', 'h.eth0'), own('h', 'h.eth1'), own('h', 'h.c0')],
    );
    const rows = Object.fromEntries(describeNode(g, 'h'));
    expect(rows.MAC).toBe('02:42:00:00:00:0b (eth0), 02:42:00:00:00:0c (eth1)');
    expect(rows.IPv4).toBe('10.0.1.10/24 (eth0)');
    expect(rows.IPv6).toBe('fd00::10/64 (eth0)');
    expect(rows.OS).toBe('linux');
  });

  it('shows a polled switch with its SysDescr and uptime', () => {
    const g = new GraphModel();
    const now = Date.UTC(2026, 0, 10, 12, 0);
    g.reset(
      [
        {
          ID: 's',
          Metadata: {
            Type: 'switch',
            Name: 'leaf1',
            MgmtAddress: '172.20.0.3',
            SysDescr: 'Linux leaf1 6.1.0 x86_64',
            BootTime: now - (3 * 86400 + 4 * 3600) * 1000,
          },
        },
      ],
      [],
    );
    const rows = Object.fromEntries(describeNode(g, 's', now));
    expect(rows.SysDescr).toBe('Linux leaf1 6.1.0 x86_64');
    expect(rows.Uptime).toBe('3 d 4 h (since 2026-01-07 08:00 UTC)');
    expect(rows['Mgmt address']).toBe('172.20.0.3');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(3_720_000)).toBe('1 h 2 min');
  });

  it('names protocols and shows MACs and the EtherType of non-IP flows', () => {
    expect(describeFlow({ srcAddr: '10.0.0.1', dstAddr: '10.0.0.2', srcPort: 40000, dstPort: 443, proto: 6, bytes: 1 })).toEqual({
      src: '10.0.0.1:40000',
      dst: '10.0.0.2:443',
      proto: 'TCP',
    });
    expect(describeFlow({ srcAddr: 'fd00::1', dstAddr: 'fd00::2', srcPort: 5353, dstPort: 5353, proto: 17, bytes: 1 }).src).toBe(
      '[fd00::1]:5353',
    );
    expect(describeFlow({ srcAddr: '10.0.0.1', dstAddr: '10.0.0.2', proto: 1, bytes: 1 }).proto).toBe('ICMP');
    // The source column names the path that counted the flow: port-mirror rows say mirror.
    expect(flowSource({ protocol: 'mirror', bytes: 1 })).toBe('mirror');
    expect(flowSource({ protocol: 'sflow', bytes: 1 })).toBe('sflow');
    expect(describeFlow({ srcAddr: '10.0.0.1', dstAddr: '10.0.0.2', proto: 253, bytes: 1 }).proto).toBe('253');
    expect(describeFlow({ srcAddr: '10.0.0.1', dstAddr: '10.0.0.2', proto: 17, protoName: 'udp', bytes: 1 }).proto).toBe('udp');
    expect(
      describeFlow({
        srcAddr: '',
        dstAddr: '',
        proto: 0,
        srcMac: '02:00:00:00:00:01',
        dstMac: 'ff:ff:ff:ff:ff:ff',
        etherType: 0x0806,
        bytes: 1,
      }),
    ).toEqual({
      src: '02:00:00:00:00:01',
      dst: 'ff:ff:ff:ff:ff:ff',
      proto: 'ARP (0x0806)',
    });
    expect(describeFlow({ srcAddr: '', dstAddr: '', bytes: 1 })).toEqual({ src: '—', dst: '—', proto: 'non-IP' });
  });
});
