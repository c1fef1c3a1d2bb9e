// The same .snmprec files served by Canopy's simulator and by Debian's snmpsimd (the reference),
// each device polled into its own fresh store: the graphs and observation tables are identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { listWalkFiles } from '../../../src/collectors/snmp/sim/load.ts';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { FIXTURE_DIR, freeUdpPort, startSnmpsimd, type Snmpsimd } from './sim/helpers.ts';
import { startHarness } from './helpers.ts';

const communities = listWalkFiles(FIXTURE_DIR).map((f) => basename(f, '.snmprec'));

// Timestamps differ between two polls (BootTime too: poll time − sysUpTime); everything else must not.
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (
        [
          'CreatedAt',
          'UpdatedAt',
          'BootTime',
          'Revision',
          'Start',
          'Last',
          'FirstSeen',
          'LastSeen',
          'firstSeen',
          'lastSeen',
          'device',
          'Host',
        ].includes(k)
      )
        continue;
      out[k] = normalise(x);
    }
    return out;
  }
  return v;
}

async function snapshot(port: number, community: string) {
  const h = await startHarness({
    devices: [{ address: '127.0.0.1', port, version: '2c', community }],
    timeout: 5,
    retries: 1,
    maxRepetitions: 25,
  });
  try {
    await h.snmp.poller.pollNow();
    const d = h.snmp.poller.devices()[0]!;
    const byId = (a: { ID: string }, b: { ID: string }) => a.ID.localeCompare(b.ID);
    return {
      error: d.status.lastError?.code ?? null,
      nodes: normalise([...h.store.allNodes()].sort(byId)),
      edges: normalise([...h.store.allEdges()].sort(byId)),
      lldp: normalise(h.snmp.observations.lldpRows()),
      fdb: normalise(h.snmp.observations.fdbRows()),
      cdp: normalise(h.snmp.observations.cdpRows()),
    };
  } finally {
    await h.stop();
  }
}

describe('graphs from Canopy snmp-sim and Debian snmpsimd are identical', () => {
  let ours: RunningSimulator;
  let ref: Snmpsimd;
  beforeAll(async () => {
    ours = await startSimulator({ dir: FIXTURE_DIR });
    ref = await startSnmpsimd(FIXTURE_DIR, await freeUdpPort(), communities[0]!);
  }, 120_000);
  afterAll(async () => {
    await ours?.close();
    await ref?.stop();
  });

  for (const community of communities) {
    it(
      community,
      async () => {
        const a = await snapshot(ours.port, community);
        const b = await snapshot(ref.port, community);
        expect((a.nodes as unknown[]).length).toBeGreaterThan(1);
        expect(a).toEqual(b);
      },
      60_000,
    );
  }
});
