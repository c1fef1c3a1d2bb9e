// Wireshark's LLDP dissection (tshark -T fields) as an independent oracle for the decoder.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export const HAVE_TSHARK = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

const FIELDS = [
  'eth.src',
  'lldp.chassis.subtype',
  'lldp.chassis.id.mac',
  'lldp.chassis.id.ip4',
  'lldp.port.subtype',
  'lldp.port.id',
  'lldp.port.id.mac',
  'lldp.time_to_live',
  'lldp.tlv.system.name',
  'lldp.port.desc',
  'lldp.tlv.system_cap',
  'lldp.tlv.enable_system_cap',
  'lldp.mgn.addr.ip4',
  'lldp.mgn.addr.ip6',
  'lldp.mgn.interface.number',
  'lldp.ieee.802_3.pmd_mau_type',
  'lldp.ieee.802_3.max_frame_size',
  'lldp.ieee.802_1.port_vlan.id',
] as const;

export type TsharkRow = Record<(typeof FIELDS)[number], string>;

export function tsharkLldp(pcap: string): TsharkRow[] {
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-Y', 'lldp', '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const parts = l.split('|');
      return Object.fromEntries(FIELDS.map((f, i) => [f, parts[i] ?? ''])) as TsharkRow;
    });
}

/** Minimal classic pcap (Ethernet) so raw `.bin` frames can be handed to tshark. */
export function writePcap(path: string, frames: Buffer[]): void {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20);
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(i, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  writeFileSync(path, Buffer.concat([hdr, ...recs]));
}
