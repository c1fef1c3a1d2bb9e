// Traps that never arrive: a simulated switch (canopy snmp-sim) polled every second changes a
// port's ifOperStatus. Without a trap the collector says so — components.snmp.trapsNotReceived,
// canopy_snmp_traps_not_received_total and one `snmpTrapsNotReceived` warning per device (not
// one per change); with the linkUp/linkDown trap that a switch sends (Net-SNMP's snmptrap),
// nothing is counted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { ids } from '../../../src/topology/ids.ts';
import { counter, createRegistry } from '../../../src/util/metrics.ts';
import { TrapWatch } from '../../../src/collectors/snmp/trap-watch.ts';
import { startHarness, waitFor, type Harness } from './helpers.ts';

const run = promisify(execFile);
const IF = (col: number, i: number) => `1.3.6.1.2.1.2.2.1.${col}.${i}`;

describe('SNMP traps not received', () => {
  let sim: RunningSimulator;
  let h: Harness;
  let trapPort: number;
  const registry = createRegistry(false);
  const lines: { level: number; msg: string; device?: string }[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as never) });

  beforeAll(async () => {
    sim = await startSimulator({ switches: { count: 1, ports: 6, fdbEntries: 2 } });
    h = await startHarness(
      {
        devices: [{ address: '127.0.0.1', port: sim.port, version: '2c', community: sim.devices[0]!.community }],
        counterInterval: 1,
        lldpInterval: 3600,
        fdbInterval: 3600,
        rediscoverInterval: 3600,
        'traps.expectWithin': 1,
      },
      { schedule: true, log, registry },
    );
    trapPort = Number(h.snmp.trapAddresses()[0]!.split(':').pop());
    // Two counter polls: the second has a previous reading to compare with.
    await waitFor(() => (dev().status.polls >= 2 ? true : undefined), 10_000, 'two polls');
  }, 30_000);
  afterAll(async () => {
    await h?.stop();
    await sim?.close();
  });

  const dev = () => h.snmp.poller.devices()[0]!;
  const key = () => dev().target.key;
  const port = (i: number) => h.store.getNode(ids.port(dev().switchId!, i))!;
  const missed = () =>
    ((h.snmp.status() as { trapsNotReceived?: Record<string, { count: number; last: { ifIndex: number; state: string } }> })
      .trapsNotReceived ?? {})[key()];
  const metric = async () =>
    (await registry.getSingleMetric('canopy_snmp_traps_not_received_total')!.get()).values.find((v) => v.labels.device === key())?.value;
  const warnings = () => lines.filter((l) => l.msg.startsWith('snmpTrapsNotReceived'));
  const setOper = (i: number, v: number) => expect(sim.agent.devices[0]!.setInteger(IF(8, i), v)).toBe(true);
  const linkTrap = (i: number, up: boolean) =>
    run(
      'snmptrap',
      [
        '-On',
        '-m',
        '',
        '-v',
        '2c',
        '-c',
        'public',
        `127.0.0.1:${trapPort}`,
        '',
        `1.3.6.1.6.3.1.1.5.${up ? 4 : 3}`,
        IF(1, i),
        'i',
        String(i),
        IF(7, i),
        'i',
        '1',
        IF(8, i),
        'i',
        up ? '1' : '2',
      ],
      { timeout: 5000 },
    );

  it('the device has a series at 0 before anything is missed', async () => {
    expect(await metric()).toBe(0);
    expect(missed()).toBeUndefined();
  });

  it('a port that goes down with no trap is reported once the grace time passes', async () => {
    expect(port(3).Metadata.State).toBe('UP');
    setOper(3, 2);
    const m = await waitFor(() => missed(), 6000, 'trapsNotReceived');
    expect(m).toMatchObject({ count: 1, last: { ifIndex: 3, state: 'DOWN' } });
    expect(port(3).Metadata.State).toBe('DOWN'); // polling did see it
    expect(await metric()).toBe(1);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ level: 40, device: key() });
    expect(warnings()[0]!.msg).toContain(`127.0.0.1:${trapPort}`);
  });

  it('a change that comes with its trap is not counted', async () => {
    setOper(3, 1);
    await linkTrap(3, true);
    await waitFor(() => (port(3).Metadata.State === 'UP' ? true : undefined), 3000, 'UP');
    const polls = dev().status.polls;
    // Two more polls and the grace time: the watch had every chance to count it.
    await waitFor(() => (dev().status.polls >= polls + 2 ? true : undefined), 5000, 'two more polls');
    await new Promise((r) => setTimeout(r, 1200));
    expect(missed()!.count).toBe(1);
    expect(await metric()).toBe(1);
  });

  it('later misses are counted but not logged again (once an hour per device)', async () => {
    setOper(4, 2);
    await waitFor(() => (missed()!.count === 2 ? true : undefined), 6000, 'second miss');
    expect(missed()!.last).toMatchObject({ ifIndex: 4, state: 'DOWN' });
    expect(await metric()).toBe(2);
    expect(warnings()).toHaveLength(1);
    setOper(4, 1);
  });
});

describe('TrapWatch bookkeeping', () => {
  it("keeps a series per configured device and drops a removed device's series and count", async () => {
    const registry = createRegistry(false);
    const metric = counter(registry, 'canopy_snmp_traps_not_received_total', 'test', ['device']);
    const w = new TrapWatch({
      log: pino({ level: 'silent' }),
      metric,
      expectWithinMs: 20,
      listener: () => ({ listen: ['0.0.0.0:9162'], unknownSourceAddresses: [] }),
    });
    const series = async () => Object.fromEntries((await metric.get()).values.map((v) => [v.labels.device, v.value]));
    w.known(['a:161', 'b:161']);
    expect(await series()).toEqual({ 'a:161': 0, 'b:161': 0 });
    w.polledChange('b:161', 3, 'DOWN', Date.now() - 1000);
    w.trap('a:161', 3, 'DOWN');
    w.polledChange('a:161', 3, 'DOWN', Date.now() - 1000);
    await new Promise((r) => setTimeout(r, 60));
    expect(await series()).toEqual({ 'a:161': 0, 'b:161': 1 });
    expect([...w.missed.keys()]).toEqual(['b:161']);
    w.known(['a:161']);
    expect(await series()).toEqual({ 'a:161': 0 });
    expect(w.missed.size).toBe(0);
    w.stop();
  });
});
