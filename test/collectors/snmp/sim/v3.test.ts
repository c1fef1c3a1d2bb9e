// SNMPv3 USM against real clients: npm net-snmp (authPriv SHA/AES-128, SHA-256/AES-256 Blumenthal and
// Reeder) and net-snmp's snmpget/snmpbulkwalk (SHA/AES). Wrong keys and users get no data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../../../src/collectors/snmp/sim/server.ts';
import { parseSnmprec } from '../../../../src/collectors/snmp/sim/snmprec.ts';
import { readFileSync } from 'node:fs';
import { FIXTURE_DIR, execFileP, getP, netSnmp, subtreeP } from './helpers.ts';

const FILES = ['librenms__arista_eos', 'librenms__dnos'].map((c) => join(FIXTURE_DIR, `${c}.snmprec`));
const sysName = (c: string) =>
  parseSnmprec(readFileSync(join(FIXTURE_DIR, `${c}.snmprec`), 'latin1'))
    .records.find((r) => r.oid === '1.3.6.1.2.1.1.5.0')!
    .value.toString('latin1');

describe('snmp-sim SNMPv3 (USM authPriv)', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({
      files: FILES,
      v3: {
        users: [
          { name: 'canopy', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass123' },
          { name: 'canopy256b', authProtocol: 'sha256', authKey: 'authpass123', privProtocol: 'aes256b', privKey: 'privpass123' },
          { name: 'canopy256r', authProtocol: 'sha512', authKey: 'authpass123', privProtocol: 'aes256r', privKey: 'privpass123' },
        ],
      },
    });
  });
  afterAll(async () => sim?.close());

  const session = (name: string, auth: string, priv: string, authKey = 'authpass123', context = 'librenms__dnos') =>
    netSnmp.createV3Session(
      '127.0.0.1',
      {
        name,
        level: netSnmp.SecurityLevel.authPriv,
        authProtocol: netSnmp.AuthProtocols[auth],
        authKey,
        privProtocol: netSnmp.PrivProtocols[priv],
        privKey: 'privpass123',
      },
      { port: sim.port, timeout: 1500, retries: 0, context },
    );

  for (const [name, auth, priv] of [
    ['canopy', 'sha', 'aes'],
    ['canopy256b', 'sha256', 'aes256b'],
    ['canopy256r', 'sha512', 'aes256r'],
  ] as const) {
    it(`net-snmp client ${auth}/${priv}: GET and GETBULK walk select the device by context name`, async () => {
      const s = session(name, auth, priv);
      try {
        const [vb] = await getP(s, ['1.3.6.1.2.1.1.5.0']);
        expect(String(vb!.value)).toBe(sysName('librenms__dnos'));
        const lldp = await subtreeP(s, '1.0.8802.1.1.2.1.4.1.1.9', 10);
        expect(lldp.map((v) => String(v.value))).toContain('abc-cs2');
      } finally {
        s.close();
      }
    });
  }

  it('wrong auth key: no data, counted as wrong digest', async () => {
    const before = sim.stats().v3.wrongDigests;
    const s = session('canopy', 'sha', 'aes', 'wrongpass999');
    try {
      await expect(getP(s, ['1.3.6.1.2.1.1.5.0'])).rejects.toThrow();
    } finally {
      s.close();
    }
    expect(sim.stats().v3.wrongDigests).toBeGreaterThan(before);
  });

  it('net-snmp snmpget / snmpbulkwalk -v3 -l authPriv -a SHA -x AES', async () => {
    const base = ['-v3', '-l', 'authPriv', '-u', 'canopy', '-a', 'SHA', '-A', 'authpass123', '-x', 'AES', '-X', 'privpass123', '-On'];
    const { stdout } = await execFileP('snmpget', [...base, '-n', 'librenms__arista_eos', `127.0.0.1:${sim.port}`, '1.3.6.1.2.1.1.5.0']);
    expect(stdout.trim()).toBe(`.1.3.6.1.2.1.1.5.0 = STRING: "${sysName('librenms__arista_eos')}"`);
    const walk = await execFileP('snmpbulkwalk', [...base, '-n', 'librenms__arista_eos', `127.0.0.1:${sim.port}`, '1.3.6.1.2.1.2.2.1.2']);
    const expected = parseSnmprec(readFileSync(FILES[0]!, 'latin1')).records.filter((r) => r.oid.startsWith('1.3.6.1.2.1.2.2.1.2.'));
    expect(walk.stdout.trim().split('\n')).toHaveLength(expected.length);
    const before = sim.stats().v3.unknownContexts;
    const unknown = await execFileP('snmpget', [
      ...base,
      '-n',
      'no-such-device',
      '-r',
      '0',
      `127.0.0.1:${sim.port}`,
      '1.3.6.1.2.1.1.5.0',
    ]).catch((e: { stdout: string; stderr: string }) => e);
    // net-snmp turns the snmpUnknownContexts report into this message.
    expect(unknown.stdout + unknown.stderr).toContain('Bad context specified');
    expect(sim.stats().v3.unknownContexts).toBe(before + 1);
  });
});
