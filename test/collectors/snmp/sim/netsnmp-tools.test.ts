// The simulator walked by net-snmp's own command-line tools (Debian `snmp`): snmpbulkwalk / snmpwalk
// output, parsed back, must hold exactly the walk file's records (OID, type and value bytes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TAG } from '../../../../src/collectors/snmp/sim/ber.ts';
import { listWalkFiles } from '../../../../src/collectors/snmp/sim/load.ts';
import { parseSnmprec } from '../../../../src/collectors/snmp/sim/snmprec.ts';
import { parseSnmpwalk } from '../../../../src/collectors/snmp/sim/walk-text.ts';
import { startSimulator, type RunningSimulator } from '../../../../src/collectors/snmp/sim/server.ts';
import type { WalkRecord } from '../../../../src/collectors/snmp/sim/records.ts';
import { FIXTURE_DIR, execFileP } from './helpers.ts';

const files = listWalkFiles(FIXTURE_DIR);

/** Records of the file as snmpsim would serve them: sorted input, first of duplicate OIDs. */
function fileRecords(path: string): WalkRecord[] {
  const { records } = parseSnmprec(readFileSync(path, 'latin1'));
  const seen = new Set<string>();
  return records.filter((r) => (seen.has(r.oid) ? false : (seen.add(r.oid), true)));
}

const show = (r: WalkRecord) => `${r.oid} ${r.tag} ${r.value.toString('hex')}`;

async function tool(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, MIBS: '' } });
  return stdout;
}

describe('snmp-sim walked by net-snmp tools', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ dir: FIXTURE_DIR });
  });
  afterAll(async () => sim?.close());

  for (const file of files) {
    const community = basename(file, '.snmprec');
    it(`${community}: snmpbulkwalk -v2c returns exactly the file's records`, async () => {
      const expected = fileRecords(file);
      const out = await tool('snmpbulkwalk', ['-v2c', '-c', community, '-On', '-Cr25', '-t', '3', `127.0.0.1:${sim.port}`, '.1']);
      const got = parseSnmpwalk(out);
      expect(got.skips.invalid).toBe(0);
      expect(got.records.length).toBe(expected.length);
      expect(got.records.map(show)).toEqual(expected.map(show));
    }, 60_000);
  }

  it('snmpwalk (GETNEXT) v2c and v1: v1 skips Counter64 (RFC 2576), v2c returns everything', async () => {
    const file = join(FIXTURE_DIR, 'librenms__arista_eos.snmprec');
    const expected = fileRecords(file);
    const v2 = parseSnmpwalk(await tool('snmpwalk', ['-v2c', '-c', 'librenms__arista_eos', '-On', `127.0.0.1:${sim.port}`, '.1']));
    expect(v2.records.map(show)).toEqual(expected.map(show));
    const v1 = parseSnmpwalk(await tool('snmpwalk', ['-v1', '-c', 'librenms__arista_eos', '-On', `127.0.0.1:${sim.port}`, '.1']));
    const no64 = expected.filter((r) => r.tag !== TAG.counter64);
    expect(no64.length).toBeLessThan(expected.length);
    expect(v1.records.map(show)).toEqual(no64.map(show));
  }, 60_000);

  it('snmpget: values, noSuchInstance / noSuchObject, and the hex-encoded SONiC sysDescr', async () => {
    const out = await tool('snmpget', [
      '-v2c',
      '-c',
      'librenms__dell-sonic',
      '-On',
      `127.0.0.1:${sim.port}`,
      '1.3.6.1.2.1.1.1.0',
      '1.3.6.1.2.1.2.2.1.2.999999',
      '1.3.6.1.4.1.99999.1.0',
    ]);
    const lines = out.trim().split('\n');
    const rec = fileRecords(join(FIXTURE_DIR, 'librenms__dell-sonic.snmprec')).find((r) => r.oid === '1.3.6.1.2.1.1.1.0')!;
    const parsed = parseSnmpwalk(lines[0]!);
    // The line may wrap (multi-line STRING); compare the whole output's first record.
    expect(parseSnmpwalk(out).records[0]!.value.equals(rec.value)).toBe(true);
    expect(parsed.records.length + parsed.skips.invalid).toBeGreaterThanOrEqual(1);
    expect(out).toContain('.1.3.6.1.2.1.2.2.1.2.999999 = No Such Instance currently exists at this OID');
    expect(out).toContain('.1.3.6.1.4.1.99999.1.0 = No Such Object available on this agent at this OID');
  });

  it('walk files in snmpwalk -On form load back to the same device (round trip through the real tool)', async () => {
    const out = await tool('snmpbulkwalk', ['-v2c', '-c', 'librenms__ciscosb_sg350x-24p', '-On', `127.0.0.1:${sim.port}`, '.1']);
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'snmpsim-walk-'));
    try {
      writeFileSync(join(dir, 'sg350x.snmpwalk'), out, 'latin1');
      const sim2 = await startSimulator({ dir });
      try {
        expect(sim2.devices[0]!.community).toBe('sg350x');
        const again = await tool('snmpbulkwalk', ['-v2c', '-c', 'sg350x', '-On', `127.0.0.1:${sim2.port}`, '.1']);
        expect(again).toBe(out);
        expect(sim2.devices[0]!.records).toBe(fileRecords(join(FIXTURE_DIR, 'librenms__ciscosb_sg350x-24p.snmprec')).length);
      } finally {
        await sim2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
