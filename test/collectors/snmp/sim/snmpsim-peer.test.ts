// Reference check: Debian's snmpsimd serves the same .snmprec files; full GETNEXT and GETBULK walks
// of the topology subtrees must give byte-identical varbinds from both simulators, for every device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listWalkFiles } from '../../../../src/collectors/snmp/sim/load.ts';
import { startSimulator, type RunningSimulator } from '../../../../src/collectors/snmp/sim/server.ts';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FIXTURE_DIR, SUBTREES, freeUdpPort, getP, netSnmp, rawWalk, startSnmpsimd, subtreeP, type Snmpsimd } from './helpers.ts';

const communities = listWalkFiles(FIXTURE_DIR).map((f) => basename(f, '.snmprec'));

describe('snmp-sim vs snmpsimd (reference)', () => {
  let ours: RunningSimulator;
  let ref: Snmpsimd;
  beforeAll(async () => {
    ours = await startSimulator({ dir: FIXTURE_DIR, maxMessageSize: 65507 });
    ref = await startSnmpsimd(FIXTURE_DIR, await freeUdpPort(), communities[0]!);
  }, 120_000);
  afterAll(async () => {
    await ours?.close();
    await ref?.stop();
  });

  it('serves all 17 fixture walks', () => {
    expect(communities).toHaveLength(17);
    expect(ours.devices.map((d) => d.community)).toEqual(communities);
  });

  for (const community of communities) {
    it(`${community}: GETNEXT and GETBULK walks are byte-identical`, async () => {
      let total = 0;
      for (const [name, root] of Object.entries(SUBTREES)) {
        for (const bulk of [0, 10]) {
          const [mine, theirs] = await Promise.all([
            rawWalk({ port: ours.port, community, root, bulk }),
            rawWalk({ port: ref.port, community, root, bulk }),
          ]);
          expect(mine.length, `${name} bulk=${bulk} count`).toBe(theirs.length);
          expect(
            mine.map((v) => v.raw),
            `${name} bulk=${bulk}`,
          ).toEqual(theirs.map((v) => v.raw));
          total += mine.length;
        }
      }
      // Every fixture has at least a system group and an ifTable.
      expect(total).toBeGreaterThan(50);
    }, 120_000);
  }

  it('net-snmp client: same decoded ifTable/LLDP walks and GETs from both', async () => {
    for (const community of ['librenms__arista_eos', 'librenms__dnos', 'librenms__routeros']) {
      const a = netSnmp.createSession(`127.0.0.1`, community, { port: ours.port, version: netSnmp.Version2c, timeout: 3000 });
      const b = netSnmp.createSession(`127.0.0.1`, community, { port: ref.port, version: netSnmp.Version2c, timeout: 3000 });
      try {
        for (const root of [SUBTREES.ifTable, SUBTREES.lldp]) {
          const [va, vb] = await Promise.all([subtreeP(a, root, 20), subtreeP(b, root, 20)]);
          expect(va.length).toBeGreaterThan(0);
          expect(va).toEqual(vb);
        }
        const oids = ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.2.2.1.2.1'];
        expect(await getP(a, oids)).toEqual(await getP(b, oids));
      } finally {
        a.close();
        b.close();
      }
    }
  }, 60_000);
});

// A checkout in a 0700 home directory is unreadable to snmpsimd once it drops to nobody: served in
// place, it must fail within seconds and show its own log, not wait out the start-up deadline.
describe.runIf(process.getuid?.() === 0)('snmpsimd that cannot read its data', () => {
  it('fails within seconds with its log in the message', async () => {
    const home = mkdtempSync(join(tmpdir(), 'canopy-0700-'));
    try {
      chmodSync(home, 0o700);
      const dir = join(home, 'walks');
      mkdirSync(dir);
      copyFileSync(join(FIXTURE_DIR, `${communities[0]!}.snmprec`), join(dir, `${communities[0]!}.snmprec`));
      const t0 = Date.now();
      const err = await startSnmpsimd(dir, await freeUdpPort(), communities[0]!, [], { copy: false }).then(
        async (s) => {
          await s.stop();
          return null;
        },
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/cannot read its data directory/);
      expect(err?.message).toMatch(/Scanning ".*walks" directory/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 20_000);
});
