// SNMP counters → the port series, with a real walk's counters served by Canopy's simulator and
// polled by the real poller. Between two polls the test serves edited copies of the records (the
// next poll as the device would answer it): traffic on a 64-bit counter above 2^32, a 64-bit
// counter that went down without a reboot (a reset), a 32-bit ifTable counter that wraps (the walk
// with its ifXTable HC octets replaced by ifTable Counter32s — a device without HC counters, derived
// from the real walk), a reboot between two polls, and a device that stops answering.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnmprec } from '../../../src/collectors/snmp/sim/snmprec.ts';
import { rec, type WalkRecord } from '../../../src/collectors/snmp/sim/records.ts';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import type { GraphNode } from '../../../src/topology/types.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { portsOf, startHarness, type Harness } from './helpers.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';

const WALK = 'librenms__procurve';
const UPTIME = '1.3.6.1.2.1.1.3.0';
const HC_IN = '1.3.6.1.2.1.31.1.1.1.6';
const HC_OUT = '1.3.6.1.2.1.31.1.1.1.10';
const IN_OCTETS = '1.3.6.1.2.1.2.2.1.10';
const OUT_OCTETS = '1.3.6.1.2.1.2.2.1.16';

const base = (): WalkRecord[] => parseSnmprec(readFileSync(join(FIXTURE_DIR, `${WALK}.snmprec`), 'latin1')).records;

/** The records with some values replaced (or added). */
function edit(records: WalkRecord[], set: Record<string, WalkRecord | null>): WalkRecord[] {
  const out = records.filter((r) => !(r.oid in set));
  for (const r of Object.values(set)) if (r) out.push(r);
  return out;
}

const uptime = (ticks: number) => rec.timeTicks(UPTIME, ticks)!;
const c64 = (root: string, i: number, v: bigint | number) => rec.counter64(`${root}.${i}`, v)!;
const c32 = (root: string, i: number, v: number) => rec.counter32(`${root}.${i}`, v)!;

describe('SNMP port series from a real walk (Canopy snmp-sim)', () => {
  let sim: RunningSimulator | undefined;
  let h: Harness | undefined;
  let port = 0;

  afterEach(async () => {
    await h?.stop();
    await sim?.close();
    h = sim = undefined;
    port = 0;
  });

  /** Serves `records` (on the same UDP port as before, so the poller's target stays). */
  async function serve(records: WalkRecord[]): Promise<void> {
    await sim?.close();
    sim = await startSimulator({ devices: [{ community: WALK, records }], listen: `127.0.0.1:${port}` });
    port = sim.port;
  }

  async function start(records: WalkRecord[], counterInterval = 60): Promise<void> {
    await serve(records);
    h = await startHarness({
      devices: [{ address: '127.0.0.1', port, version: '2c', community: WALK, name: WALK }],
      timeout: 1,
      retries: 0,
      counterInterval,
    });
    await h.snmp.poller.pollNow();
  }

  const poll = () => h!.snmp.poller.pollNow(undefined, ['counters']);
  const device = () => h!.snmp.poller.devices()[0]!;
  /** A gigabit-or-faster port the walk has HC counters for. */
  function fastPort(records: WalkRecord[]): { node: GraphNode; ifIndex: number } {
    const hc = new Set(records.filter((r) => r.oid.startsWith(`${HC_IN}.`)).map((r) => Number(r.oid.slice(HC_IN.length + 1))));
    const node = portsOf(h!.store, device().switchId!).find(
      (n) => hc.has(n.Metadata.IfIndex as number) && ((n.Metadata.Speed as number) ?? 0) >= 1e9,
    )!;
    expect(node).toBeDefined();
    return { node, ifIndex: node.Metadata.IfIndex as number };
  }
  /** The raw series rows of a port, read back from the database file (a second connection). */
  function rows(nodeId: string) {
    const s = openSqliteStorage({ path: join(h!.dir, 'canopy.db') });
    try {
      return s.portSeries.rows(nodeId);
    } finally {
      s.close();
    }
  }

  it('64-bit HC counters above 2^32: the exact delta; a 64-bit counter that goes down without a reboot is a reset, not a wrap', async () => {
    const walk = base();
    const t0 = 1_000_000;
    await start(edit(walk, { [UPTIME]: uptime(t0) }));
    const { node, ifIndex } = fastPort(walk);
    const big = 3n * 2n ** 32n + 12_345n;
    await serve(edit(walk, { [UPTIME]: uptime(t0 + 100), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, big) }));
    await poll();
    await serve(
      edit(walk, {
        [UPTIME]: uptime(t0 + 200),
        [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, big + 250_000n),
      }),
    );
    await poll();
    // Down from 3·2^32 to 1000 with the uptime still rising: a reset (cleared counters). The old
    // rule took it for a 32-bit wrap only below 2^32; here a 32-bit wrap would be ~4 GB in a second.
    await serve(edit(walk, { [UPTIME]: uptime(t0 + 300), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 1000) }));
    await poll();
    await serve(edit(walk, { [UPTIME]: uptime(t0 + 400), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 91_000) }));
    await poll();
    const rx = rows(node.ID).map((r) => r.rxBytes);
    // Poll 2 (from the walk's value to 3·2^32 + …) is a jump no gigabit port makes in a second: dropped too.
    expect(rx).toEqual([250_000, 90_000]);
    expect(rows(node.ID).every((r) => r.source === 'snmp' && r.last > r.start)).toBe(true);
    expect(Math.max(...rx)).toBeLessThan(2 ** 32);
  });

  it('a 32-bit ifTable counter that wraps between two polls: the wrapped delta, no spike', async () => {
    // The same device without ifXTable octets: ifTable's Counter32 ifInOctets/ifOutOctets only.
    const walk = base().filter((r) => !r.oid.startsWith(`${HC_IN}.`) && !r.oid.startsWith(`${HC_OUT}.`));
    const hcWalk = base();
    const t0 = 5_000_000;
    await start(edit(walk, { [UPTIME]: uptime(t0) }));
    const { node, ifIndex } = fastPort(hcWalk);
    const near = 2 ** 32 - 40_000;
    await serve(
      edit(walk, {
        [UPTIME]: uptime(t0 + 100),
        [`${IN_OCTETS}.${ifIndex}`]: c32(IN_OCTETS, ifIndex, near),
        [`${OUT_OCTETS}.${ifIndex}`]: c32(OUT_OCTETS, ifIndex, 10),
      }),
    );
    await poll();
    await serve(
      edit(walk, {
        [UPTIME]: uptime(t0 + 200),
        [`${IN_OCTETS}.${ifIndex}`]: c32(IN_OCTETS, ifIndex, 60_000),
        [`${OUT_OCTETS}.${ifIndex}`]: c32(OUT_OCTETS, ifIndex, 510),
      }),
    );
    await poll();
    const r = rows(node.ID);
    expect(r.at(-1)).toMatchObject({ source: 'snmp', rxBytes: 100_000, txBytes: 500 });
    expect(r.every((x) => x.rxBytes >= 0 && x.rxBytes < 2 ** 31)).toBe(true);
  });

  it('a reboot between two polls (sysUpTime back, counters restarted): no row across it, then deltas again', async () => {
    const walk = base();
    const t0 = 9_000_000;
    await start(edit(walk, { [UPTIME]: uptime(t0) }));
    const { node, ifIndex } = fastPort(walk);
    await serve(edit(walk, { [UPTIME]: uptime(t0 + 100), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 5_000_000) }));
    await poll();
    const before = rows(node.ID).length;
    // Rebooted: uptime 3 s, counters restarted near zero (the old rule read the fall as a 32-bit wrap).
    await serve(edit(walk, { [UPTIME]: uptime(300), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 2_000) }));
    await poll();
    expect(device().status.reboots).toBe(1);
    expect(rows(node.ID)).toHaveLength(before);
    await serve(edit(walk, { [UPTIME]: uptime(400), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 7_000) }));
    await poll();
    const r = rows(node.ID);
    expect(r.slice(before).map((x) => x.rxBytes)).toEqual([5_000]);
    expect(Math.max(...r.map((x) => x.rxBytes))).toBeLessThanOrEqual(5_000_000);
  });

  it('a device that stops answering is a gap: no row while it is silent, none across a silence of several intervals', async () => {
    const walk = base();
    const t0 = 20_000_000;
    await start(edit(walk, { [UPTIME]: uptime(t0) }), 1);
    const { node, ifIndex } = fastPort(walk);
    await serve(edit(walk, { [UPTIME]: uptime(t0 + 100), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 1_000_000) }));
    await poll();
    const before = rows(node.ID).length;
    await sim!.close();
    sim = undefined;
    await poll();
    expect(device().status.lastError).toBeDefined();
    expect(rows(node.ID)).toHaveLength(before);
    // Back after more than three intervals (and the 5 s floor): a new baseline, not one long row.
    await new Promise((r) => setTimeout(r, 5_200));
    await serve(edit(walk, { [UPTIME]: uptime(t0 + 700), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 3_000_000) }));
    await poll();
    expect(rows(node.ID)).toHaveLength(before);
    await serve(edit(walk, { [UPTIME]: uptime(t0 + 800), [`${HC_IN}.${ifIndex}`]: c64(HC_IN, ifIndex, 3_100_000) }));
    await poll();
    expect(
      rows(node.ID)
        .slice(before)
        .map((x) => x.rxBytes),
    ).toEqual([100_000]);
  }, 20_000);
});
