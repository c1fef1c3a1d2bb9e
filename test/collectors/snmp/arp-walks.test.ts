// ipNetToPhysicalTable / ipNetToMediaTable of every real walk that has them, polled through Canopy's
// simulator: the recorded ARP/ND rows equal what the walk file holds, read by a separate reader here.
// Covers the IPv6 ND row of Dell OS10, agents without the InetAddress length arc, and the fallback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { listWalkFiles } from '../../../src/collectors/snmp/sim/load.ts';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { column, readSnmprec, startHarness, type Harness } from './helpers.ts';

const PHYS = '1.3.6.1.2.1.4.35.1.4';
const MEDIA = '1.3.6.1.2.1.4.22.1.2';
const files = listWalkFiles(FIXTURE_DIR).filter((f) => {
  const w = readSnmprec(f);
  return column(w, PHYS).size + column(w, MEDIA).size > 0;
});

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const usable = (b: Buffer) => b.length === 6 && b.some((x) => x !== 0) && (b[0]! & 1) === 0;

function v6(bytes: number[]): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Longest run of zero groups (≥ 2) becomes "::" (RFC 5952).
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > len && j - i >= 2) [best, len] = [i, j - i];
  }
  return best < 0 ? g.join(':') : `${g.slice(0, best).join(':')}::${g.slice(best + len).join(':')}`;
}

function expected(file: string): string[] {
  const w = readSnmprec(file);
  const out: string[] = [];
  for (const [idx, v] of column(w, PHYS)) {
    const a = idx.split('.').map(Number);
    const size = a[1] === 1 ? 4 : 16;
    const addr = a.slice(2).length === size + 1 ? a.slice(3) : a.slice(2);
    if (!usable(v.raw) || addr.every((x) => x === 0)) continue;
    out.push(`${a[0]} ${size === 4 ? addr.join('.') : v6(addr)} ${hex(v.raw)} ipNetToPhysical`);
  }
  if (!out.some((r) => !r.split(' ')[1]!.includes(':')))
    for (const [idx, v] of column(w, MEDIA)) {
      const [ifIndex, ...ip] = idx.split('.');
      if (!usable(v.raw) || ip.every((x) => x === '0')) continue;
      if (!out.some((r) => r.startsWith(`${ifIndex} ${ip.join('.')} `))) out.push(`${ifIndex} ${ip.join('.')} ${hex(v.raw)} ipNetToMedia`);
    }
  return out.sort();
}

describe('ARP/ND rows of the real walks (Canopy snmp-sim)', () => {
  let sim: RunningSimulator;
  let h: Harness;
  beforeAll(async () => {
    sim = await startSimulator({ files, portPerDevice: 0, maxMessageSize: 65507 });
    const devices = sim.devices.map((d) => ({ address: '127.0.0.1', port: d.port, community: d.community, name: d.community }));
    h = await startHarness({ devices, timeout: 3, retries: 1 });
    await h.snmp.poller.pollNow();
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await sim?.close();
  });

  it('covers the walks with neighbour tables, IPv6 included', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    expect(expected(files.find((f) => f.includes('dell-os10'))!)).toContain('48 fda5:74c8:b79e:1::2 4c:d9:8f:fb:1f:c7 ipNetToPhysical');
  });

  for (const f of files) {
    const name = basename(f, '.snmprec');
    it(`${name}: recorded rows equal the walk's`, () => {
      const d = h.snmp.poller.devices().find((x) => x.target.config.name === name)!;
      const got = h.snmp.observations
        .arpRows({ device: d.target.key })
        .map((r) => `${r.ifIndex} ${r.ip} ${r.mac} ${r.mib}`)
        .sort();
      expect(got).toEqual(expected(f));
      expect(d.status.counts.arp).toBe(got.length);
    });
  }
});
