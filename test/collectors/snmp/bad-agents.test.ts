// Misbehaving agents next to a good one: each broken device shows its error in /api/status,
// the poller keeps polling (the good device twice over), nothing crashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { startBadAgent, type BadAgent, type Misbehaviour } from './bad-agent.ts';
import { startApiCollector, waitFor, type ApiCollector } from './helpers.ts';

const MODES: Misbehaviour[] = ['timeout', 'end-of-mib', 'no-such-object', 'loop', 'garbage', 'wrong-type'];

describe('bad agents', () => {
  let sim: RunningSimulator;
  const agents = new Map<Misbehaviour, BadAgent>();
  let c: ApiCollector;

  beforeAll(async () => {
    sim = await startSimulator({ switches: { count: 1, ports: 8, fdbEntries: 20 } });
    for (const m of MODES) agents.set(m, await startBadAgent(m));
    const devices = [
      { address: '127.0.0.1', port: sim.port, version: '2c', community: sim.devices[0]!.community, name: 'good' },
      ...MODES.map((m) => ({ address: '127.0.0.1', port: agents.get(m)!.port, version: '2c', community: 'public', name: m })),
    ];
    c = await startApiCollector({
      'snmp.devices': devices,
      'snmp.timeout': 0.3,
      'snmp.retries': 0,
      'snmp.counterInterval': 1,
      'snmp.lldpInterval': 1,
      'snmp.fdbInterval': 1,
      'snmp.maxBackoff': 2,
    });
  }, 30_000);
  afterAll(async () => {
    await c?.stop();
    for (const a of agents.values()) await a.close();
    await sim?.close();
  });

  const dev = (st: any, port: number) => st.devices[`127.0.0.1:${port}`];

  it('marks each bad device with its error and keeps polling the good one', async () => {
    const goodKey = sim.port;
    // Wait until the good device completed at least two polls and every bad one was tried.
    const st = await waitFor(
      async () => {
        const s = await c.snmpStatus();
        const good = dev(s, goodKey);
        const allTried = MODES.every((m) => dev(s, agents.get(m)!.port)?.lastPoll);
        return good?.polls >= 2 && allTried ? s : undefined;
      },
      20_000,
      'polls',
    );

    const good = dev(st, goodKey);
    expect(good.state).toBe('ok');
    expect(good.lastError).toBeUndefined();
    expect(good.counts).toMatchObject({ ports: 8, fdb: 20 });

    const err = (m: Misbehaviour) => dev(st, agents.get(m)!.port).lastError;
    expect(err('timeout')).toMatchObject({ code: 'timeout', task: 'discover' });
    expect(err('end-of-mib')).toMatchObject({ code: 'end-of-mib', task: 'discover' });
    expect(err('end-of-mib').message).toMatch(/ifTable: the agent answered endOfMibView/);
    expect(err('no-such-object')).toMatchObject({ code: 'no-such-object', task: 'discover' });
    expect(err('loop')).toMatchObject({ code: 'oid-not-increasing', task: 'discover' });
    expect(err('loop').message).toContain('1.3.6.1.2.1.2.2.1.2.1 after 1.3.6.1.2.1.2.2.1.2.1');
    expect(err('garbage')).toMatchObject({ code: 'malformed', task: 'discover' });
    expect(err('wrong-type').code).toBe('wrong-type');
    expect(err('wrong-type').message).toMatch(/1\.3\.6\.1\.2\.1\.1\.3\.0 is OctetString, expected an integer/);
    for (const m of MODES) expect(dev(st, agents.get(m)!.port).state, m).toBe('error');
    // wrong types are not fatal: the device got an identity, its interfaces were read
    expect(dev(st, agents.get('wrong-type')!.port).switchId).toBeTruthy();
    expect(dev(st, agents.get('wrong-type')!.port).counts.interfaces).toBe(2);
    // the unreachable ones back off instead of being hammered
    expect(dev(st, agents.get('timeout')!.port).consecutiveFailures).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('is still polling afterwards and the metrics count both outcomes', async () => {
    const before = dev(await c.snmpStatus(), sim.port).polls;
    await waitFor(async () => dev(await c.snmpStatus(), sim.port).polls > before, 10_000, 'another good poll');
    const metrics = await (await fetch(`${c.base}/metrics`)).text();
    expect(metrics).toMatch(/canopy_snmp_polls_total\{result="ok"\} [1-9]/);
    expect(metrics).toMatch(/canopy_snmp_polls_total\{result="timeout"\} [1-9]/);
    expect(metrics).toMatch(/canopy_snmp_polls_total\{result="error"\} [1-9]/);
  }, 15_000);
});
