// A device whose LLDP-MIB goes missing for a while (snmpd restarted, lldpd's AgentX subagent not
// yet back) keeps the neighbours it last listed: the real poller and stitcher against a simulated
// switch whose walk loses every LLDP-MIB row between polls. Its links stay UP; the change timeline
// shows nothing. (test/lab/timeline.test.ts shows the same with a real snmpd restart.)
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { changesBetween } from '../../../src/topology/query/changes.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { startStitched, type StitchedEnv } from './helpers.ts';

const WALK = join(FIXTURE_DIR, 'librenms__arista_eos.snmprec');

describe('LLDP-MIB briefly absent', () => {
  let env: StitchedEnv;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-lldp-absent-'));
    for (const d of ['full', 'bare']) mkdirSync(join(dir, d));
    copyFileSync(WALK, join(dir, 'full', 'sw.snmprec'));
    // The same switch without LLDP-MIB: no local port rows, no remote rows.
    const lines = readFileSync(WALK, 'utf8').split('\n');
    writeFileSync(join(dir, 'bare', 'sw.snmprec'), lines.filter((l) => !l.startsWith('1.0.8802.')).join('\n'));
    env = await startStitched([{ name: 'sw', file: join(dir, 'full', 'sw.snmprec') }]);
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lldpLinks = () =>
    env.storage.graph
      .findEdges('RelationType', 'layer2')
      .filter((e) => Object.keys((e.Metadata.Evidence as object | undefined) ?? {}).includes('lldp-snmp'))
      .map((e) => `${e.ID} ${String(e.Metadata.State)}`)
      .sort();

  it('keeps the neighbours and their links UP while the MIB is gone, then reads it again', async () => {
    const before = lldpLinks();
    const rows = env.device('sw').status.counts.lldp;
    expect(rows).toBeGreaterThan(0);
    expect(before.length).toBeGreaterThan(0);
    expect(before.some((l) => l.endsWith(' UP'))).toBe(true);
    const t0 = Date.now();
    // snmpd comes back without the subagent: same address, no LLDP-MIB.
    const port = env.sim.devices[0]!.port;
    await env.sim.close();
    env.sim = await startSimulator({ files: [join(dir, 'bare', 'sw.snmprec')], listen: `127.0.0.1:${port}` });
    for (let i = 0; i < 3; i++) {
      await env.snmp.poller.pollNow();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(env.device('sw').status.consecutiveFailures).toBe(0);
    expect(env.device('sw').status.counts.lldp).toBe(rows);
    expect(lldpLinks()).toEqual(before);
    expect(changesBetween(env.storage.graph, { from: t0, to: Date.now() }).filter((c) => c.Element === 'edge')).toEqual([]);
    // The subagent is back: the same rows, read as they are.
    await env.sim.close();
    env.sim = await startSimulator({ files: [join(dir, 'full', 'sw.snmprec')], listen: `127.0.0.1:${port}` });
    await env.snmp.poller.pollNow();
    await new Promise((r) => setTimeout(r, 20));
    expect(env.device('sw').status.counts.lldp).toBe(rows);
    expect(lldpLinks()).toEqual(before);
  });

  it('a device that never served LLDP-MIB has no neighbours (nothing to keep)', async () => {
    const bare = await startStitched([{ name: 'sw', file: join(dir, 'bare', 'sw.snmprec') }]);
    try {
      expect(bare.device('sw').status.counts.lldp).toBe(0);
      const lldp = bare.storage.graph
        .findEdges('RelationType', 'layer2')
        .filter((e) => Object.keys((e.Metadata.Evidence as object | undefined) ?? {}).includes('lldp-snmp'));
      expect(lldp).toEqual([]);
    } finally {
      await bare.stop();
    }
  });
});
