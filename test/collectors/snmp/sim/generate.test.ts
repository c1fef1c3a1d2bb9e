// Generated switches: served and walked with the npm net-snmp client (GETBULK, max-repetitions 25)
// over one port per device; ports, LLDP ring neighbours and FDB match the generator's parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSwitchWalk, portName, ringNeighbours, switchName } from '../../../../src/collectors/snmp/sim/generate.ts';
import { startSimulator, type RunningSimulator } from '../../../../src/collectors/snmp/sim/server.ts';
import { netSnmp, subtreeP } from './helpers.ts';

describe('generateSwitchWalk', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ switches: { count: 3, fdbEntries: 500 }, portPerDevice: 0 });
  });
  afterAll(async () => sim?.close());

  it('records are unique OIDs, deterministic per index', () => {
    const a = generateSwitchWalk({ index: 7, total: 10 });
    expect(new Set(a.map((r) => r.oid)).size).toBe(a.length);
    expect(generateSwitchWalk({ index: 7, total: 10 })).toEqual(a);
    expect(ringNeighbours(0, 3, 48)).toEqual([
      { localPort: 47, remoteIndex: 2, remotePort: 48 },
      { localPort: 48, remoteIndex: 1, remotePort: 47 },
    ]);
  });

  it('one port per device; each walks to 48 ethernet ports, 2 LLDP neighbours and 500 FDB entries', async () => {
    expect(new Set(sim.devices.map((d) => d.port)).size).toBe(3);
    for (const [i, d] of sim.devices.entries()) {
      expect(d.community).toBe(switchName(i));
      const s = netSnmp.createSession('127.0.0.1', d.community, { port: d.port, version: netSnmp.Version2c, timeout: 2000 });
      try {
        const types = await subtreeP(s, '1.3.6.1.2.1.2.2.1.3', 25);
        expect(types.filter((v) => v.value === 6)).toHaveLength(48);
        const names = await subtreeP(s, '1.0.8802.1.1.2.1.4.1.1.9', 25);
        expect(names.map((v) => String(v.value)).sort()).toEqual([switchName((i + 2) % 3), switchName((i + 1) % 3)].sort());
        const ports = await subtreeP(s, '1.0.8802.1.1.2.1.4.1.1.7', 25);
        expect(ports.map((v) => String(v.value)).sort()).toEqual([portName(47), portName(48)].sort());
        const fdb = await subtreeP(s, '1.3.6.1.2.1.17.7.1.2.2.1.2', 25);
        expect(fdb).toHaveLength(500);
        expect(new Set(fdb.map((v) => v.value)).size).toBe(46);
      } finally {
        s.close();
      }
    }
  });
});
