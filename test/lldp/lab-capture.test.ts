// Real lldpd peers: the saved capture (fixtures/pcaps/lldpd-lab.pcap, made by lab/capture-lldpd.sh), a fresh
// capture from two throw-away namespaces, and the shared lab's capture when present; each checked against the
// configured facts and against tshark's LLDP dissection of the same file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPcap } from '../../src/collectors/common/pcap.ts';
import { decodeDiscoveryFrame } from '../../src/lldp/frame.ts';
import type { LldpRecord } from '../../src/lldp/types.ts';
import { FIXTURES, frames } from './helpers.ts';
import { HAVE_TSHARK, tsharkLldp, writePcap, type TsharkRow } from './tshark.ts';

interface Facts {
  switch: { mac: string; ifname: string; sysName: string; mgmt: string; enabledCaps: string[] };
  host: { mac: string; ifname: string; sysName: string; mgmt: string };
}

function decodeAll(bufs: Buffer[], allowErrors = false): LldpRecord[] {
  return bufs.map((f) => {
    const r = decodeDiscoveryFrame(f);
    if (!allowErrors) expect(r.errors).toEqual([]);
    expect(r.record?.type).toBe('lldp');
    return r.record as LldpRecord;
  });
}

/** Checks the decoded frames of one capture against what the capture script configured. */
function checkFacts(recs: LldpRecord[], facts: Facts): void {
  const last = (mac: string) => recs.filter((r) => r.srcMac === mac).at(-1);
  const sw = last(facts.switch.mac);
  const host = last(facts.host.mac);
  expect(sw).toBeDefined();
  expect(host).toBeDefined();
  expect(sw).toMatchObject({ chassisIdSubtype: 4, chassisIdSubtypeName: 'mac-address', chassisId: facts.switch.mac });
  expect(sw).toMatchObject({ portIdSubtype: 5, portIdSubtypeName: 'interface-name', portId: facts.switch.ifname });
  expect(sw!.sysName).toBe(facts.switch.sysName);
  expect(sw!.enabledCapabilities).toEqual(facts.switch.enabledCaps);
  expect(sw!.mgmtAddresses.map((a) => a.address)).toEqual([facts.switch.mgmt]);
  expect(sw!.ttl).toBeGreaterThan(0);
  // lldpd's defaults on the host side: port ID subtype MAC (LAB.md).
  expect(host).toMatchObject({
    chassisId: facts.host.mac,
    portIdSubtype: 3,
    portId: facts.host.mac,
    sysName: facts.host.sysName,
    portDescr: facts.host.ifname,
  });
  expect(host!.mgmtAddresses.map((a) => a.address)).toEqual([facts.host.mgmt]);
}

const num = (s: string) => (s === '' ? undefined : Number(s));

/** Field-by-field comparison with tshark for every frame; returns how many values were compared. */
function compareWithTshark(recs: LldpRecord[], rows: TsharkRow[]): number {
  expect(rows).toHaveLength(recs.length);
  let n = 0;
  const eq = (a: unknown, b: unknown) => {
    expect(a).toEqual(b);
    n++;
  };
  recs.forEach((r, i) => {
    const t = rows[i]!;
    eq(r.srcMac, t['eth.src']);
    if (t['lldp.chassis.subtype']) eq(r.chassisIdSubtype, num(t['lldp.chassis.subtype']));
    if (t['lldp.chassis.id.mac']) eq(r.chassisId, t['lldp.chassis.id.mac']);
    if (t['lldp.chassis.id.ip4']) eq(r.chassisId, t['lldp.chassis.id.ip4']);
    if (t['lldp.port.subtype']) eq(r.portIdSubtype, num(t['lldp.port.subtype']));
    if (t['lldp.port.id.mac']) eq(r.portId, t['lldp.port.id.mac']);
    else if (t['lldp.port.id']) eq(r.portId, t['lldp.port.id']);
    if (t['lldp.time_to_live']) eq(r.ttl, num(t['lldp.time_to_live']));
    if (t['lldp.tlv.system.name']) eq(r.sysName, t['lldp.tlv.system.name']);
    if (t['lldp.port.desc']) eq(r.portDescr, t['lldp.port.desc']);
    if (t['lldp.tlv.system_cap']) eq(r.capabilitiesMask, num(t['lldp.tlv.system_cap']));
    if (t['lldp.tlv.enable_system_cap']) eq(r.enabledCapabilitiesMask, num(t['lldp.tlv.enable_system_cap']));
    const addrs = [t['lldp.mgn.addr.ip4'], t['lldp.mgn.addr.ip6']].filter(Boolean).join(',');
    if (addrs) eq(r.mgmtAddresses.map((a) => a.address).sort(), addrs.split(',').sort());
    if (t['lldp.mgn.interface.number'])
      eq(
        r.mgmtAddresses.map((a) => a.ifNumber),
        t['lldp.mgn.interface.number'].split(',').map(Number),
      );
    if (t['lldp.ieee.802_3.pmd_mau_type']) eq(r.macPhy?.mauType, num(t['lldp.ieee.802_3.pmd_mau_type']));
    if (t['lldp.ieee.802_3.max_frame_size']) eq(r.maxFrameSize, num(t['lldp.ieee.802_3.max_frame_size']));
    if (t['lldp.ieee.802_1.port_vlan.id']) eq(r.vlan?.pvid, num(t['lldp.ieee.802_1.port_vlan.id']));
  });
  return n;
}

describe('saved lldpd capture (fixtures/pcaps/lldpd-lab.pcap)', () => {
  const facts = JSON.parse(readFileSync(join(FIXTURES, 'lldpd-lab.json'), 'utf8')) as Facts;
  const recs = decodeAll(frames('lldpd-lab.pcap'));

  it('decodes the configured chassis MAC, ifname port ID, SysName, Bridge capability and mgmt address', () => {
    expect(recs.length).toBeGreaterThanOrEqual(4);
    checkFacts(recs, facts);
  });

  it.skipIf(!HAVE_TSHARK)('agrees with tshark field by field (skipped: tshark missing)', () => {
    expect(compareWithTshark(recs, tsharkLldp(join(FIXTURES, 'lldpd-lab.pcap')))).toBeGreaterThan(recs.length * 10);
  });
});

describe.skipIf(!HAVE_TSHARK)('every shared LLDP fixture agrees with tshark (skipped: tshark missing)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'llx-tshark-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it.each([
    'tcpdump__lldp_mudurl.pcap',
    'tcpdump__lldp-app-priority.pcap',
    'lldpd__8023bt.pcap',
    'lldpd__med-loc-malformed.pcap',
    'lldpd__check_lldp-recv_min-nortel.bin',
    'lldpd__check_lldp-recv_lldpd-linux.bin',
    'gopacket__lldp_test-siemens-scalance-x212.bin',
    'scapy__lldp_uts-cisco3560-chassis-netaddr.bin',
  ])('%s', (name) => {
    const fs = frames(name);
    const path = join(tmp, `${name}.pcap`);
    writePcap(path, fs);
    // The malformed MED frame has one TLV error by design (asserted in lldp-fixtures.test.ts).
    expect(compareWithTshark(decodeAll(fs, name.includes('malformed')), tsharkLldp(path))).toBeGreaterThanOrEqual(5);
  });
});

const canRunPeers =
  process.getuid?.() === 0 && ['lldpd', 'tcpdump'].every((c) => spawnSync('which', [c], { stdio: 'ignore' }).status === 0);

describe.skipIf(!canRunPeers)('fresh capture from lldpd in two namespaces (skipped: needs root, lldpd, tcpdump)', () => {
  it('captures and decodes lldpd frames with the configured values', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'llx-cap-'));
    try {
      const pcap = join(tmp, 'cap.pcap');
      const res = spawnSync('bash', [join(import.meta.dirname, 'lab/capture-lldpd.sh'), pcap, join(tmp, 'facts.json')], {
        encoding: 'utf8',
        timeout: 25_000,
      });
      expect(res.status, res.stderr).toBe(0);
      const recs = decodeAll([...readPcap(readFileSync(pcap))].map((f) => Buffer.from(f.data)));
      checkFacts(recs, JSON.parse(readFileSync(join(tmp, 'facts.json'), 'utf8')) as Facts);
      if (HAVE_TSHARK) expect(compareWithTshark(recs, tsharkLldp(pcap))).toBeGreaterThan(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);
});
