// Loader details: snmprec tags/suffixes and skips, snmpwalk -On value forms, OID ordering.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareOid, encodeOidArcs, formatOid } from '../../../../src/collectors/snmp/sim/oid.ts';
import { decodeValue } from '../../../../src/collectors/snmp/sim/records.ts';
import { parseSnmprec } from '../../../../src/collectors/snmp/sim/snmprec.ts';
import { parseSnmpwalk } from '../../../../src/collectors/snmp/sim/walk-text.ts';
import { listWalkFiles, loadWalkFile } from '../../../../src/collectors/snmp/sim/load.ts';
import { FIXTURE_DIR } from './helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

describe('OID order on encoded bytes', () => {
  it('compareOid agrees with arc-wise comparison', () => {
    const arcs = fc
      .tuple(
        fc.constantFrom(0, 1, 2),
        fc.integer({ min: 0, max: 39 }),
        fc.array(fc.oneof(fc.nat(200), fc.nat(0xffffffff)), { maxLength: 8 }),
      )
      .map(([a, b, rest]) => [a, b, ...rest]);
    fc.assert(
      fc.property(arcs, arcs, (a, b) => {
        let want = 0;
        for (let i = 0; i < Math.min(a.length, b.length) && want === 0; i++) want = Math.sign(a[i]! - b[i]!);
        if (want === 0) want = Math.sign(a.length - b.length);
        const ea = encodeOidArcs(a);
        const eb = encodeOidArcs(b);
        expect(Math.sign(compareOid(ea, 0, ea.length, eb, 0, eb.length))).toBe(want);
        expect(formatOid(ea)).toBe(a.join('.'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('snmprec', () => {
  it('types, hex/escaped values, variation lines and invalid lines', () => {
    const { records, skips } = parseSnmprec(
      [
        '# comment',
        '1.3.6.1.2.1.1.1.0|4x|4869',
        '1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.30065',
        '1.3.6.1.2.1.1.3.0|67|4294967295',
        '1.3.6.1.2.1.1.4.0|4e|a\\x00b\\n',
        '1.3.6.1.2.1.1.5.0|4|V2.40 | 11/14/2017  \r',
        '1.3.6.1.2.1.1.6.0|2:numeric|min=0,max=10',
        '1.3.6.1.2.1.1.7.0|2|-2147483649',
        '1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1',
        '1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615',
        '1.3.6.1.2.1.1.8.0|2|-5',
      ].join('\n'),
    );
    expect(skips).toEqual({ variation: 1, invalid: 1, duplicate: 0, message: 0 });
    expect(records.map((r) => [r.oid, r.tag, decodeValue(r)])).toEqual([
      ['1.3.6.1.2.1.1.1.0', 4, Buffer.from('Hi')],
      ['1.3.6.1.2.1.1.2.0', 6, '1.3.6.1.4.1.30065'],
      ['1.3.6.1.2.1.1.3.0', 0x43, 4294967295],
      ['1.3.6.1.2.1.1.4.0', 4, Buffer.from([0x61, 0, 0x62, 0x0a])],
      ['1.3.6.1.2.1.1.5.0', 4, Buffer.from('V2.40 | 11/14/2017')],
      ['1.3.6.1.2.1.4.20.1.1.10.0.0.1', 0x40, '10.0.0.1'],
      ['1.3.6.1.2.1.31.1.1.1.6.1', 0x46, 18446744073709551615n],
      ['1.3.6.1.2.1.1.8.0', 2, -5],
    ]);
  });

  it('fixtures: every line loads; procurve has 12 duplicate OIDs (first kept, as a walk of snmpsim shows)', () => {
    const d = loadWalkFile(join(FIXTURE_DIR, 'librenms__procurve.snmprec'));
    expect(d.skips).toEqual({ variation: 0, invalid: 0, duplicate: 12, message: 0 });
    const lines = readFileSync(join(FIXTURE_DIR, 'librenms__procurve.snmprec'), 'latin1')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(d.size).toBe(lines.length - 12);
    for (const f of listWalkFiles(FIXTURE_DIR)) {
      const dev = loadWalkFile(f);
      expect([f, dev.skips.invalid, dev.skips.variation]).toEqual([f, 0, 0]);
    }
    const sonic = loadWalkFile(join(FIXTURE_DIR, 'librenms__dell-sonic.snmprec'));
    const sysDescr = encodeOidArcs([1, 3, 6, 1, 2, 1, 1, 1, 0]);
    // The 4x-encoded value itself starts with a quote character.
    expect(sonic.record(sonic.find(sysDescr, 0, sysDescr.length)).value.toString('latin1')).toMatch(
      /^"SONiC Software Version: SONiC\.4\.4\.1-Lite/,
    );
  });
});

describe('snmpwalk -On text', () => {
  it('value forms, wrapped hex, multi-line strings, tool messages', () => {
    const text = [
      '.1.3.6.1.2.1.1.1.0 = STRING: "Linux box 6.1',
      'second line with \\"quotes\\""',
      '.1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10',
      '.1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45',
      '.1.3.6.1.2.1.2.2.1.3.1 = INTEGER: ethernetCsmacd(6)',
      '.1.3.6.1.2.1.2.2.1.5.1 = Gauge32: 1000000000',
      '.1.3.6.1.2.1.2.2.1.6.1 = Hex-STRING: 00 1C 73 65 8E 3A 00 1C 73 65 8E 3A 00 1C 73 65 ',
      '8E 3A ',
      '.1.3.6.1.2.1.2.2.1.10.1 = Counter32: 4294967295',
      '.1.3.6.1.2.1.4.20.1.1.10.0.0.1 = IpAddress: 10.0.0.1',
      '.1.3.6.1.2.1.25.1.1.0 = ""',
      '.1.3.6.1.2.1.31.1.1.1.6.1 = Counter64: 18446744073709551615',
      '.1.3.6.1.2.1.99.1.0 = No Such Object available on this agent at this OID',
      '.1.3.6.1.2.1.99.2.0 = Wrong Type (should be INTEGER): Gauge32: 7',
      'garbage line',
    ].join('\n');
    const { records, skips } = parseSnmpwalk(text);
    expect(skips).toEqual({ variation: 0, invalid: 1, duplicate: 0, message: 1 });
    expect(records.map((r) => [r.oid, r.tag, decodeValue(r)])).toEqual([
      ['1.3.6.1.2.1.1.1.0', 4, Buffer.from('Linux box 6.1\nsecond line with "quotes"')],
      ['1.3.6.1.2.1.1.2.0', 6, '1.3.6.1.4.1.8072.3.2.10'],
      ['1.3.6.1.2.1.1.3.0', 0x43, 12345],
      ['1.3.6.1.2.1.2.2.1.3.1', 2, 6],
      ['1.3.6.1.2.1.2.2.1.5.1', 0x42, 1000000000],
      ['1.3.6.1.2.1.2.2.1.6.1', 4, Buffer.from('001C73658E3A001C73658E3A001C73658E3A', 'hex')],
      ['1.3.6.1.2.1.2.2.1.10.1', 0x41, 4294967295],
      ['1.3.6.1.2.1.4.20.1.1.10.0.0.1', 0x40, '10.0.0.1'],
      ['1.3.6.1.2.1.25.1.1.0', 4, Buffer.alloc(0)],
      ['1.3.6.1.2.1.31.1.1.1.6.1', 0x46, 18446744073709551615n],
      ['1.3.6.1.2.1.99.2.0', 0x42, 7],
    ]);
  });
});
