// Pure parsers: exact results on hand-checked inputs, and never a throw on arbitrary varbinds
// (random OIDs under each table, random SNMP types and values).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { O } from '../../../src/collectors/snmp/oids.ts';
import { T, type Varbind } from '../../../src/collectors/snmp/net-snmp.ts';
import type { WalkResult } from '../../../src/collectors/snmp/client.ts';
import { compareOids } from '../../../src/collectors/snmp/client.ts';
import { IF_COUNTER_COLUMNS, IF_INVENTORY_COLUMNS, parseInventory, parseState } from '../../../src/collectors/snmp/parse-if.ts';
import {
  capabilities,
  parseLocPorts,
  parseManAddrs,
  parseRemotes,
  renderChassisId,
  splitRemIndex,
} from '../../../src/collectors/snmp/parse-lldp.ts';
import { parseBasePorts, parseCdp, parseFdb, parseFdbIds } from '../../../src/collectors/snmp/parse-l2.ts';
import { resolveLocalPort } from '../../../src/collectors/snmp/resolve-port.ts';
import { interpret } from '../../../src/collectors/snmp/traps.ts';
import { Problems } from '../../../src/collectors/snmp/values.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const w = (varbinds: Varbind[]): WalkResult => ({ varbinds, end: 'subtree' });
const str = (oid: string, s: string): Varbind => ({ oid, type: T.OctetString, value: Buffer.from(s) });
const int = (oid: string, v: number): Varbind => ({ oid, type: T.Integer, value: v });

describe('SNMP table parsers', () => {
  it('orders OIDs arc by arc', () => {
    expect(compareOids('1.3.6.1.2', '1.3.6.1.10')).toBeLessThan(0);
    expect(compareOids('1.3.6.1', '1.3.6.1.0')).toBeLessThan(0);
    expect(compareOids('1.3.6.2', '1.3.6.1.9')).toBeGreaterThan(0);
  });

  it('renders LLDP IDs and capabilities by subtype', () => {
    expect(renderChassisId(4, Buffer.from('020000001101', 'hex'))).toBe('02:00:00:00:11:01');
    expect(renderChassisId(4, Buffer.from('B8:69:F4:7F:41:70'))).toBe('b8:69:f4:7f:41:70');
    expect(renderChassisId(5, Buffer.from([1, 10, 99, 255, 11]))).toBe('10.99.255.11');
    expect(renderChassisId(7, Buffer.from('sw1'))).toBe('sw1');
    expect(capabilities(Buffer.from([0x28, 0x00]))).toEqual(['bridge', 'router']);
    expect(splitRemIndex('0.47.2', false)).toEqual({ timeMark: 0, localPortNum: 47, remIndex: 2 });
    expect(splitRemIndex('7', false)).toEqual({ timeMark: null, localPortNum: null, remIndex: 7 });
  });

  it('reads lldpRemManAddrTable indexes with and without the length prefix', () => {
    const col = `${O.lldpRemManAddrEntry}.3`;
    const m = parseManAddrs(w([int(`${col}.0.5.1.1.4.10.0.0.1`, 2), int(`${col}.0.5.1.1.192.168.1.2`, 2)]), false);
    expect(m.get('0.5.1')).toEqual(['10.0.0.1', '192.168.1.2']);
  });

  it('resolves local ports: lldpLocPortId by name, then bridge port, then ifIndex', () => {
    const ifs = new Map([
      [10, { ifIndex: 10, descr: 'mgmt1/1/1', name: 'mgmt1/1/1', alias: null, type: 6, mtu: null, speed: null, mac: null }],
      [15, { ifIndex: 15, descr: 'ethernet1/1/3', name: 'ethernet1/1/3', alias: null, type: 6, mtu: null, speed: null, mac: null }],
      [7, { ifIndex: 7, descr: 'x', name: 'x', alias: null, type: 6, mtu: null, speed: null, mac: null }],
    ]);
    const loc = parseLocPorts(new Map([[O.lldpLocPortId, w([str(`${O.lldpLocPortId}.4`, 'mgmt1/1/1')])]]), new Problems());
    const base = parseBasePorts(w([int(`${O.dot1dBasePortIfIndex}.4`, 15), int(`${O.dot1dBasePortIfIndex}.5`, 15)]), new Problems());
    expect(resolveLocalPort(4, loc, ifs, base)).toEqual({ ifIndex: 10, via: 'lldpLocPortId' });
    expect(resolveLocalPort(5, loc, ifs, base)).toEqual({ ifIndex: 15, via: 'dot1dBasePort' });
    expect(resolveLocalPort(7, loc, ifs, base)).toEqual({ ifIndex: 7, via: 'ifIndex' });
    expect(resolveLocalPort(99, loc, ifs, base)).toEqual({ ifIndex: null, via: null });
    expect(resolveLocalPort(null, loc, ifs, base)).toEqual({ ifIndex: null, via: null });
  });

  it('maps Q-BRIDGE FDB IDs to VLANs and notes wrong types', () => {
    const p = new Problems();
    const fids = parseFdbIds(w([{ oid: `${O.dot1qVlanFdbId}.0.100`, type: T.Gauge32, value: 5 }]), p);
    const rows = parseFdb(
      w([int(`${O.dot1qTpFdbPort}.5.2.0.0.0.0.1`, 3), str(`${O.dot1qTpFdbPort}.5.2.0.0.0.0.2`, 'x')]),
      undefined,
      fids,
      p,
    );
    expect(rows).toEqual([{ vlan: 100, mac: '02:00:00:00:00:01', bridgePort: 3, mib: 'qbridge' }]);
    expect(p.list).toEqual([`wrong-type: ${O.dot1qTpFdbPort}.5.2.0.0.0.0.2 is OctetString, expected an integer`]);
  });

  it('interprets SNMPv1 generic traps', () => {
    const t = interpret(
      {
        pdu: { type: 164, generic: 2, specific: 0, enterprise: '1.3.6.1.4.1.8072', varbinds: [int('1.3.6.1.2.1.2.2.1.1.3', 3)] },
        rinfo: { address: '10.0.0.1', port: 1, family: 'IPv4', size: 1 },
      },
      5,
    );
    expect(t).toEqual({
      kind: 'linkDown',
      trapOid: '1.3.6.1.6.3.1.1.5.3',
      source: '10.0.0.1',
      ifIndex: 3,
      adminStatus: null,
      operStatus: null,
      receivedAt: 5,
      version: 'v1',
    });
  });

  it('never throws on arbitrary varbinds', () => {
    const roots = [
      ...IF_INVENTORY_COLUMNS,
      ...IF_COUNTER_COLUMNS,
      O.lldpRemEntry,
      O.lldpLocPortId,
      O.lldpLocPortIdSubtype,
      `${O.lldpRemManAddrEntry}.3`,
      O.dot1dBasePortIfIndex,
      O.dot1qTpFdbPort,
      O.dot1dTpFdbPort,
      O.dot1qVlanFdbId,
      O.cdpCacheEntry,
    ];
    const types = [
      T.Integer,
      T.OctetString,
      T.Null,
      T.OID,
      T.IpAddress,
      T.Counter32,
      T.Gauge32,
      T.TimeTicks,
      T.Counter64,
      T.NoSuchObject,
      T.EndOfMibView,
    ];
    const value = fc.oneof(
      fc.integer(),
      fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
      fc.string(),
      fc.constant(null),
    );
    const vb = fc.record({
      root: fc.constantFrom(...roots),
      arcs: fc.array(fc.nat(300), { maxLength: 12 }),
      type: fc.constantFrom(...types),
      value,
    });
    fc.assert(
      fc.property(fc.array(vb, { maxLength: 40 }), (list) => {
        const vbs: Varbind[] = list.map((v) => ({ oid: [v.root, ...v.arcs].join('.'), type: v.type, value: v.value }));
        const cols = new Map(roots.map((r) => [r, w(vbs.filter((x) => x.oid.startsWith(r + '.')))]));
        const p = new Problems();
        const inv = parseInventory(cols, p);
        parseState(cols, p);
        const loc = parseLocPorts(cols, p);
        const rem = parseRemotes(w(vbs.filter((x) => x.oid.startsWith(O.lldpRemEntry + '.'))), cols.get(`${O.lldpRemManAddrEntry}.3`)!, p);
        const base = parseBasePorts(cols.get(O.dot1dBasePortIfIndex), p);
        parseFdb(cols.get(O.dot1qTpFdbPort), cols.get(O.dot1dTpFdbPort), parseFdbIds(cols.get(O.dot1qVlanFdbId), p), p);
        parseCdp(cols.get(O.cdpCacheEntry), p);
        for (const r of rem) resolveLocalPort(r.localPortNum, loc, inv, base);
      }),
      { numRuns: RUNS },
    );
  });
});
