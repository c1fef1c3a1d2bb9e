// The stitcher matches a neighbour's chassis and port IDs seen in frames (lldpd, captures) with the
// same IDs polled from LLDP-MIB: both paths must render identical bytes identically.
import { describe, expect, it } from 'vitest';
import { renderChassisId, renderPortId } from '../../src/collectors/snmp/parse-lldp.ts';
import { decodeLldpPdu } from '../../src/lldp/lldp.ts';
import { h, tlv, u16 } from './build.ts';

const cases: { what: string; subtype: number; bytes: Buffer; text: string }[] = [
  { what: 'MAC', subtype: 4, bytes: h('020000001101'), text: '02:00:00:00:11:01' },
  { what: 'MAC given as text', subtype: 4, bytes: Buffer.from('B869.F47F.4170'), text: 'b8:69:f4:7f:41:70' },
  { what: 'IPv4 address', subtype: 5, bytes: Buffer.from([1, 10, 99, 255, 11]), text: '10.99.255.11' },
  {
    what: 'IPv6 address',
    subtype: 5,
    bytes: Buffer.concat([Buffer.from([2]), h('20010db8000000000000000000000001')]),
    text: '2001:db8::1',
  },
  { what: 'name padded with NULs', subtype: 7, bytes: Buffer.from('leaf1\0\0'), text: 'leaf1' },
  { what: 'opaque local ID', subtype: 7, bytes: h('0001fe02ff'), text: '00:01:fe:02:ff' },
];

function viaFrame(chassis: { subtype: number; bytes: Buffer }, port: { subtype: number; bytes: Buffer }) {
  const pdu = Buffer.concat([
    tlv(1, Buffer.concat([Buffer.from([chassis.subtype]), chassis.bytes])),
    tlv(2, Buffer.concat([Buffer.from([port.subtype]), port.bytes])),
    tlv(3, u16(120)),
    tlv(0, Buffer.alloc(0)),
  ]);
  const r = decodeLldpPdu(pdu);
  return { chassisId: r.record!.chassisId, portId: r.record!.portId };
}

describe('LLDP IDs from frames and from LLDP-MIB rows', () => {
  for (const c of cases) {
    it(`chassis ID: ${c.what}`, () => {
      expect(renderChassisId(c.subtype, c.bytes)).toBe(c.text);
      expect(viaFrame(c, { subtype: 7, bytes: Buffer.from('p') }).chassisId).toBe(c.text);
    });
    // Port ID subtypes are one lower than chassis ones for MAC (3) and address (4); local is 7 in both.
    const portSubtype = c.subtype === 4 ? 3 : c.subtype === 5 ? 4 : c.subtype;
    it(`port ID: ${c.what}`, () => {
      expect(renderPortId(portSubtype, c.bytes)).toBe(c.text);
      expect(viaFrame({ subtype: 7, bytes: Buffer.from('c') }, { subtype: portSubtype, bytes: c.bytes }).portId).toBe(c.text);
    });
  }
});
