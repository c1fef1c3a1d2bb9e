// `canopy replay` of the fixture pcaps: per conversation direction, the packets and frame bytes
// tshark reports for the same file.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayPcap } from '../../../src/collectors/mirror/replay.ts';
import { directionKey, HAVE_TSHARK, sumBy, tsharkDirections } from './tshark.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SHARED = '/work/shared/fixtures';

function pcaps(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(pcaps(p));
    else if (n.endsWith('.pcap')) out.push(p);
  }
  return out;
}

const FILES = [...pcaps(join(ROOT, 'fixtures/pcaps')), ...pcaps(SHARED)];

describe.skipIf(!HAVE_TSHARK)('canopy replay against tshark', () => {
  it('finds the fixture captures', () => {
    expect(FILES.length).toBeGreaterThan(30);
  });

  it.each(FILES.map((f) => [f.replace(`${ROOT}/`, ''), f]))(
    '%s: per-direction packets and frame bytes as tshark counts them',
    (_, file) => {
      const res = replayPcap(readFileSync(file));
      const ours = sumBy(res.rows, directionKey);
      const theirs = tsharkDirections(file);
      expect(res.stats.unreadable).toBe(0);
      expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
    },
  );

  it('the lab SPAN capture: TCP handshake round trip and flags, a refused connection, ICMP and ICMPv6 types', () => {
    const rows = replayPcap(readFileSync(join(ROOT, 'fixtures/pcaps/mirror-lab-span.pcap'))).rows;
    const get = (src: string, dst: string, proto: number, dport = 0) =>
      rows.find((r) => r.srcAddr === src && r.dstAddr === dst && r.proto === proto && (dport === 0 || r.dstPort === dport))!;
    const transfer = get('10.215.0.1', '10.215.0.2', 6, 5001);
    expect(transfer.bytes).toBeGreaterThan(200_000);
    expect(transfer.tcpFlags & 0x03).toBe(0x03); // SYN and FIN
    expect(transfer.rttMs).toBeGreaterThanOrEqual(0);
    expect(get('10.215.0.2', '10.215.0.1', 6).tcpFlags & 0x12).toBe(0x12); // SYN-ACK
    expect(get('fd00:215::2', 'fd00:215::1', 6).tcpFlags & 0x04).toBe(0x04); // RST from the closed port
    expect(get('10.215.0.1', '10.215.0.2', 1).icmpType).toBe(8);
    // Echo replies and the port unreachables for the UDP probes are two flows, each keeping its type.
    const back = rows.filter((r) => r.srcAddr === '10.215.0.2' && r.dstAddr === '10.215.0.1' && r.proto === 1);
    expect(back.map((r) => `${r.icmpType}/${r.icmpCode}`).sort()).toEqual(['0/0', '3/3']);
    expect(get('fd00:215::1', 'fd00:215::2', 58).icmpType).toBe(128);
    expect(rows.some((r) => r.etherTypeName === 'ARP')).toBe(true);
  });

  it('the CLI prints one JSON object per flow per direction with the /api/flows row fields', () => {
    const file = join(ROOT, 'fixtures/pcaps/tcpdump__3560_CDP.pcap');
    const out = execFileSync('npx', ['tsx', 'src/cli.ts', 'replay', '--json', file], { cwd: ROOT, encoding: 'utf8' });
    const rows = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const tshark = tsharkDirections(file);
    expect(rows.length).toBe(tshark.size);
    for (const k of [
      'srcAddr',
      'dstAddr',
      'proto',
      'srcPort',
      'dstPort',
      'packets',
      'bytes',
      'srcMac',
      'dstMac',
      'etherType',
      'vlan',
      'first',
      'last',
    ])
      expect(rows[0]).toHaveProperty(k);
    expect(rows[0]!.protocol).toBe('mirror');
    // Not a terminal: no progress bar on stderr, only JSON on stdout.
    expect(out).not.toContain('\r');
  });

  it.skipIf(spawnSync('script', ['--version']).status !== 0)('draws a progress bar on a terminal, not with --json', () => {
    const file = join(ROOT, 'fixtures/pcaps/mirror-lab-span.pcap');
    // `script` runs the command on a pseudo-terminal: stdout and stderr are both TTYs there.
    const onTty = (args: string) =>
      spawnSync('script', ['-qc', `${process.execPath} --import tsx src/cli.ts replay ${args}`, '/dev/null'], {
        cwd: ROOT,
        encoding: 'utf8',
      }).stdout;
    const table = onTty(file);
    expect(table).toContain('] 100%');
    expect(table).toMatch(/src +dst +proto/);
    const json = onTty(`--json ${file}`);
    expect(json).not.toContain('%');
    expect(json).toContain('"protocol":"mirror"');
  });

  it('exits 1 with a clear message for a file that is not a pcap, 2 without a file', () => {
    const bad = spawnSync('npx', ['tsx', 'src/cli.ts', 'replay', join(ROOT, 'package.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/not a pcap file/);
    const none = spawnSync('npx', ['tsx', 'src/cli.ts', 'replay'], { cwd: ROOT, encoding: 'utf8' });
    expect(none.status).toBe(2);
  });
});
