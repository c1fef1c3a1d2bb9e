// SNMP discovery against Canopy's simulator serving one device per loopback address (management
// addresses carry no port): discovery follows lldpRemManAddrTable and cdpCacheAddress rows from one
// seed, inside `cidrs` and up to `maxDevices`; candidates outside the prefixes or without a
// credentials entry are counted and never polled; a device polled at another address is not added
// twice; discovered devices survive a restart and are marked, not forgotten, when they stop answering.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../../../src/util/metrics.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { usableAddress } from '../../../src/collectors/snmp/discovery.ts';
import { addressPlus, startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { generateSwitchWalk, switchName } from '../../../src/collectors/snmp/sim/generate.ts';
import { rec } from '../../../src/collectors/snmp/sim/records.ts';
import { parseSnmprec } from '../../../src/collectors/snmp/sim/snmprec.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { readSnmprec, startApiCollector, startHarness, waitFor, type Harness } from './helpers.ts';

// A /24 of 127/8 of our own, so that parallel test files (and other work on this machine) do not meet.
const NET = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}`;
const at = (n: number) => `${NET}.${n}`;
const COMMUNITY = 'fabric-ro';

/** Drives an unscheduled harness: poll everything, let discovery finish, until no device is added. */
async function converge(h: Harness): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const before = h.snmp.poller.devices().length;
    await h.snmp.poller.pollNow();
    await h.snmp.discovery!.idle();
    if (h.snmp.poller.devices().length === before) return;
  }
  throw new Error('discovery did not converge in 20 rounds');
}

const polledAddresses = (h: Harness) =>
  h.snmp.poller
    .devices()
    .map((d) => d.target.address)
    .sort();

async function metric(reg: ReturnType<typeof createRegistry>, name: string): Promise<Record<string, number>> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels.reason ?? ''), v.value]));
}

describe('snmp.discovery config', () => {
  it('is off by default; bad prefixes and seeds are errors naming the key', () => {
    expect(loadConfig({ env: {} }).snmp.discovery).toEqual({ enabled: false, seeds: [], cidrs: [], maxDevices: 256, port: 161 });
    for (const [key, v] of [
      ['snmp.discovery.cidrs', ['10.0.0.0/33']],
      ['snmp.discovery.cidrs', ['10.0.0.0']],
      ['snmp.discovery.cidrs', ['sw1.example.org/24']],
      ['snmp.discovery.seeds', ['sw1.example.org']],
      ['snmp.discovery.maxDevices', 0],
    ] as const)
      expect(() => loadConfig({ env: {}, overrides: { [key]: v } }), `${key} ${JSON.stringify(v)}`).toThrow(/snmp\.discovery\./);
    expect(
      loadConfig({ env: {}, overrides: { 'snmp.discovery.cidrs': ['2001:db8::/64', '10.0.0.0/8'] } }).snmp.discovery.cidrs,
    ).toHaveLength(2);
  });

  it('skips addresses no agent answers at', () => {
    expect(['0.0.0.0', '224.0.0.5', '255.255.255.255', '::', 'fe80::1', 'ff02::1', 'ac10fb0300'].filter(usableAddress)).toEqual([]);
    expect(['10.0.0.1', '127.1.0.1', '2001:db8::1'].every(usableAddress)).toBe(true);
  });
});

describe('SNMP discovery over a simulated ring, one device per loopback address', () => {
  // Ring of 8 generated switches at .16–.23 (switch i at .16+i), answering COMMUNITY too.
  let sim: RunningSimulator;
  let h: Harness | undefined;
  beforeAll(async () => {
    sim = await startSimulator({
      switches: { count: 8, ports: 8, fdbEntries: 4 },
      addressPerDevice: at(16),
      listen: '127.0.0.1:0',
      sharedCommunity: COMMUNITY,
    });
  });
  afterAll(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const harness = async (discovery: Record<string, unknown>, credentials: string[], registry = createRegistry(false)) =>
    (h = await startHarness(
      {
        timeout: 0.5,
        retries: 0,
        credentials: credentials.map((subnet) => ({ subnet, community: COMMUNITY })),
        discovery: { enabled: true, seeds: [at(16)], port: sim.port, ...discovery },
      },
      { registry },
    ));

  it('the simulator serves each switch on its own address and names its neighbours by those addresses', () => {
    expect(sim.devices.map((d) => d.address)).toEqual([16, 17, 18, 19, 20, 21, 22, 23].map(at));
    expect(new Set(sim.devices.map((d) => d.port))).toEqual(new Set([sim.port]));
  });

  it('follows management addresses inside cidrs; out-of-cidr and no-credential candidates are counted, not polled', async () => {
    const reg = createRegistry(false);
    // .20/.21 outside the prefixes; .22/.23 inside but no credentials entry covers them.
    const s = await harness({ cidrs: [`${at(16)}/30`, `${at(22)}/31`] }, [`${at(16)}/30`, `${at(20)}/31`], reg);
    await converge(s);
    expect(polledAddresses(s)).toEqual([16, 17, 18, 19].map(at).sort());
    expect(s.snmp.poller.devices().every((d) => d.status.state === 'ok' && d.target.source === 'discovered')).toBe(true);
    const rejected = await metric(reg, 'canopy_snmp_discovery_rejected_total');
    // Switch 3's next neighbour (.20) is outside; switch 0's previous one (.23) has no credentials.
    expect(rejected).toMatchObject({ cidr: 1, 'no-credentials': 1, limit: 0, 'no-answer': 0, duplicate: 0 });
    expect((await metric(reg, 'canopy_snmp_discovery_added_total'))['']).toBe(4);
    // seed + .17 .18 .19 .20 .23 (.16 again is polled, not a new candidate)
    expect((await metric(reg, 'canopy_snmp_discovery_candidates_total'))['']).toBe(6);
    expect(s.snmp.status()).toMatchObject({ discovery: { discovered: 4, rejected: { cidr: 1, 'no-credentials': 1 } } });
    // The switches are the ones the simulator serves there, linked as the ring says.
    expect(s.snmp.poller.devices().map((d) => d.status.sysName)).toEqual(expect.arrayContaining([0, 1, 2, 3].map(switchName)));
  });

  it('stops at maxDevices and counts the rest as limit', async () => {
    const reg = createRegistry(false);
    const s = await harness({ cidrs: [`${at(16)}/29`], maxDevices: 3 }, [`${at(0)}/24`], reg);
    await converge(s);
    expect(s.snmp.poller.devices()).toHaveLength(3);
    expect(s.snmp.discovery!.targets()).toHaveLength(3);
    expect((await metric(reg, 'canopy_snmp_discovery_rejected_total')).limit).toBeGreaterThanOrEqual(1);
    expect(s.snmp.discovery!.status()).toMatchObject({ discovered: 3, maxDevices: 3 });
  });

  it('a candidate that does not answer is counted as no-answer', async () => {
    const reg = createRegistry(false);
    // .30 is inside the prefix and has credentials, but nothing listens there.
    const s = await harness({ seeds: [at(30)], cidrs: [`${at(0)}/24`] }, [`${at(0)}/24`], reg);
    await s.snmp.discovery!.idle();
    expect(s.snmp.poller.devices()).toHaveLength(0);
    expect((await metric(reg, 'canopy_snmp_discovery_rejected_total'))['no-answer']).toBe(1);
  });
});

describe('SNMP discovery: one device per identity, CDP addresses', () => {
  let sim: RunningSimulator;
  let h: Harness | undefined;
  // Device 0 (.40) is a copy of switch 1 (same chassis ID and sysName) reached at another address;
  // switches 0–2 are at .41–.43. Device 4 (.44) is known only from switch 2's CDP cache.
  beforeAll(async () => {
    const mgmt = (i: number) => addressPlus(at(41), i);
    const cdpRows = [
      rec.int(`1.3.6.1.4.1.9.9.23.1.2.1.1.3.7.1`, 1),
      rec.octets(`1.3.6.1.4.1.9.9.23.1.2.1.1.4.7.1`, Buffer.from(at(44).split('.').map(Number))),
      rec.text(`1.3.6.1.4.1.9.9.23.1.2.1.1.6.7.1`, 'cdp-only.example.org'),
      rec.text(`1.3.6.1.4.1.9.9.23.1.2.1.1.7.7.1`, 'GigabitEthernet0/1'),
    ].filter((r) => r !== null);
    // The simulator sorts records by OID.
    const sw = (i: number, extra: typeof cdpRows = []) => [
      ...generateSwitchWalk({ index: i, total: 3, ports: 8, fdbEntries: 2, mgmtAddress: mgmt }),
      ...extra,
    ];
    sim = await startSimulator({
      devices: [
        { community: 'copy-of-1', records: sw(1) },
        { community: 'sw0', records: sw(0) },
        { community: 'sw1', records: sw(1) },
        { community: 'sw2', records: sw(2, cdpRows) },
        { community: 'cdp-only', records: generateSwitchWalk({ index: 9, ports: 4, fdbEntries: 1 }) },
      ],
      addressPerDevice: at(40),
      listen: '127.0.0.1:0',
      sharedCommunity: COMMUNITY,
    });
  });
  afterAll(async () => {
    await h?.stop();
    await sim?.close();
  });

  it('does not add a device already polled at another address (same chassis ID); follows cdpCacheAddress', async () => {
    const reg = createRegistry(false);
    h = await startHarness(
      {
        timeout: 0.5,
        retries: 0,
        devices: [{ address: at(40), port: sim.port, community: COMMUNITY }],
        credentials: [{ subnet: `${at(0)}/24`, community: COMMUNITY }],
        discovery: { enabled: true, cidrs: [`${at(0)}/24`], port: sim.port },
      },
      { registry: reg },
    );
    await converge(h);
    // .42 answers as switch 1, which is polled at .40 already.
    expect(polledAddresses(h)).toEqual([at(40), at(41), at(43), at(44)].sort());
    expect((await metric(reg, 'canopy_snmp_discovery_rejected_total')).duplicate).toBe(1);
    const cdpOnly = h.snmp.poller.devices().find((d) => d.target.address === at(44))!;
    expect(cdpOnly.status).toMatchObject({ state: 'ok', sysName: switchName(9), source: 'discovered' });
  });
});

describe('SNMP discovery from real walks (LibreNMS fixtures), each served at its own address', () => {
  const WALKS = ['librenms__procurve', 'librenms__ios_2960x', 'librenms__iosxr_ncs55a2', 'librenms__voss_7432cq'];
  let sim: RunningSimulator;
  let h: Harness | undefined;
  beforeAll(async () => {
    // The walks are anonymised: every one answers sysName "<private>" and has no LLDP chassis ID, which
    // discovery takes for one device reached at several addresses. Each gets its own sysName here.
    sim = await startSimulator({
      devices: WALKS.map((w) => ({
        community: w,
        records: [
          rec.text('1.3.6.1.2.1.1.5.0', w),
          ...parseSnmprec(readFileSync(join(FIXTURE_DIR, `${w}.snmprec`), 'latin1')).records,
        ].filter((r) => r !== null),
      })),
      addressPerDevice: at(80),
      listen: '127.0.0.1:0',
      sharedCommunity: COMMUNITY,
    });
  });
  afterAll(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  /** The IPv4 management addresses the walks' neighbour rows give, read from the files (0.0.0.0 is no address). */
  const neighbourAddresses = (): Set<string> => {
    const out = new Set<string>();
    for (const w of WALKS) {
      for (const [oid, v] of readSnmprec(join(FIXTURE_DIR, `${w}.snmprec`))) {
        const m = /^1\.0\.8802\.1\.1\.2\.1\.4\.2\.1\.3\.\d+\.\d+\.\d+\.1\.4\.(\d+\.\d+\.\d+\.\d+)$/.exec(oid);
        if (m && m[1] !== '0.0.0.0') out.add(m[1]!);
        if (/^1\.3\.6\.1\.4\.1\.9\.9\.23\.1\.2\.1\.1\.4\./.test(oid) && v.raw.length === 4) out.add([...v.raw].join('.'));
      }
    }
    return out;
  };

  for (const mode of ['cidr', 'no-credentials'] as const) {
    it(`every LLDP/CDP management address of the walks is a candidate, rejected as ${mode}, never polled`, async () => {
      const expected = neighbourAddresses();
      expect(expected.size).toBeGreaterThanOrEqual(10);
      const reg = createRegistry(false);
      const seeds = WALKS.map((_, i) => addressPlus(at(80), i));
      h = await startHarness(
        {
          timeout: 0.5,
          retries: 0,
          credentials: [{ subnet: `${at(0)}/24`, community: COMMUNITY }],
          // no-credentials: every address is inside the prefixes, none has a credentials entry (so nothing leaves loopback).
          discovery: { enabled: true, seeds, cidrs: mode === 'cidr' ? [`${at(0)}/24`] : ['0.0.0.0/0'], port: sim.port },
        },
        { registry: reg },
      );
      await converge(h);
      expect(polledAddresses(h)).toEqual([...seeds].sort());
      const rejected = await metric(reg, 'canopy_snmp_discovery_rejected_total');
      expect(rejected[mode]).toBe(expected.size);
      expect((await metric(reg, 'canopy_snmp_discovery_candidates_total'))['']).toBe(seeds.length + expected.size);
    });
  }
});

describe('SNMP discovery time (bench/snmp-discovery.bench.ts, small)', () => {
  // The bench's goal is 1,000 switches (a ring: 500 hops) in 120 s; here 60 switches with the same
  // walks and polls (timers on, a discovered device polled at once) within 3× of that pro rata.
  const N = 60;
  const GOAL_S = (120 * N) / 1000;
  it(`a ring of ${N} 48-port switches from one seed within ${(3 * GOAL_S).toFixed(1)} s`, async () => {
    const sim = await startSimulator({
      switches: { count: N, fdbEntries: 500 },
      addressPerDevice: at(100),
      listen: '127.0.0.1:0',
      sharedCommunity: COMMUNITY,
    });
    let h: Harness | undefined;
    try {
      const t0 = performance.now();
      h = await startHarness(
        {
          credentials: [{ subnet: `${at(0)}/24`, community: COMMUNITY }],
          discovery: { enabled: true, seeds: [at(100)], cidrs: [`${at(0)}/24`], maxDevices: N, port: sim.port },
        },
        { schedule: true },
      );
      const poller = h.snmp.poller;
      await waitFor(
        () => poller.devices().length === N && poller.devices().every((d) => d.status.tasks.lldp?.ok),
        3 * GOAL_S * 1000 + 5000,
        `${N} switches discovered`,
      );
      const secs = (performance.now() - t0) / 1000;
      process.stderr.write(`[snmp discovery] ${N} switches from one seed in ${secs.toFixed(2)} s (goal pro rata ${GOAL_S.toFixed(1)} s)\n`);
      expect(secs).toBeLessThanOrEqual(3 * GOAL_S);
    } finally {
      await h?.stop();
      await sim.close();
    }
  }, 60_000);
});

describe('SNMP discovery through the collector: /api/devices, restart, a device that stops answering', () => {
  it('lists discovered devices with Source discovered, polls them after a restart without rediscovery, marks them unreachable', async () => {
    const sim = await startSimulator({
      switches: { count: 3, ports: 8, fdbEntries: 2 },
      addressPerDevice: at(60),
      listen: '127.0.0.1:0',
      sharedCommunity: COMMUNITY,
    });
    const dir = mkdtempSync(join(tmpdir(), 'canopy-discovery-'));
    const base = {
      // Generous for a loaded CI machine: a late answer must not read as a device that stopped answering.
      'snmp.timeout': 1,
      'snmp.retries': 1,
      'snmp.counterInterval': 1,
      'snmp.lldpInterval': 1,
      'snmp.credentials': [{ subnet: `${at(0)}/24`, community: COMMUNITY }],
    };
    let sim2: RunningSimulator | undefined = sim;
    try {
      const first = await startApiCollector(
        { ...base, 'snmp.discovery': { enabled: true, seeds: [at(60)], cidrs: [`${at(60)}/30`], port: sim.port } },
        dir,
      );
      try {
        const devs = await waitFor(async () => {
          const r = (await first.get('/api/devices')).body as Record<string, any>;
          const list = Object.values(r);
          return list.length === 3 && list.every((d) => d.Status?.state === 'ok') ? list : undefined;
        }, 30_000);
        expect(devs.map((d) => d.address).sort()).toEqual([at(60), at(61), at(62)].sort());
        for (const d of devs) {
          expect(d).toMatchObject({ Source: 'discovered', port: sim.port, Status: { state: 'ok', unreachableSince: null } });
          expect(d.Status.discoveredVia).toEqual(d.address === at(60) ? 'seed' : expect.stringContaining(NET));
        }
      } finally {
        await first.stop();
      }
      // Restart with no seed and no prefix: nothing can be discovered, the stored devices are polled.
      const second = await startApiCollector({ ...base, 'snmp.discovery': { enabled: true, port: sim.port } }, dir);
      try {
        await waitFor(async () => {
          const list = Object.values((await second.get('/api/devices')).body as Record<string, any>);
          return list.length === 3 && list.every((d) => d.Source === 'discovered' && d.Status?.state === 'ok' && d.Status.polls > 0)
            ? list
            : undefined;
        }, 30_000);
        expect((await second.snmpStatus()).discovery).toMatchObject({ discovered: 3, candidatesSeen: 0 });
        // Every agent goes away: the devices stay, marked.
        await sim.close();
        sim2 = undefined;
        const gone = await waitFor(async () => {
          const list = Object.values((await second.get('/api/devices')).body as Record<string, any>);
          return list.length === 3 && list.every((d) => d.Status?.state === 'error' && d.Status.unreachableSince > 0) ? list : undefined;
        }, 30_000);
        expect(gone.every((d) => d.Source === 'discovered')).toBe(true);
        expect((await second.snmpStatus()).discovery).toMatchObject({ discovered: 3, unreachable: 3 });
        // Deleting one through the API forgets it (nothing here can find it again: no seed, no prefix).
        const victim = gone.find((d) => d.address === at(62))!;
        expect((await second.send('DELETE', `/api/devices/${victim.ID}`, undefined)).status).toBe(200);
        expect(Object.keys((await second.get('/api/devices')).body as object)).toHaveLength(2);
        expect((await second.snmpStatus()).discovery).toMatchObject({ discovered: 2 });
      } finally {
        await second.stop();
      }
    } finally {
      await sim2?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
