// Cisco per-VLAN FDB (snmp.vlanCommunities): the poller walks CISCO-VTP-MIB vtpVlanState and reads
// each operational VLAN's BRIDGE-MIB with community `community@vlan`. Served from fixtures/snmp-vlan/
// (the IOS 2960X walk with VLAN 99 made operational, plus one walk per VLAN context, see
// fixtures/README.md) by Canopy's simulator — one port per device, the `@vlan` files served as that
// device's contexts — and on one shared port by Canopy's simulator and by Debian's snmpsimd, whose
// data-dir convention (community = file name) the simulator follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { FIXTURE_DIR, buildRequest, exchange, freeUdpPort, rawWalk, startSnmpsimd, type Snmpsimd } from './sim/helpers.ts';
import { column, readSnmprec, startHarness } from './helpers.ts';

const DIR = resolve(FIXTURE_DIR, '../snmp-vlan');
const COMMUNITY = 'ios2960x';
const FDB_PORT = '1.3.6.1.2.1.17.4.3.1.2';
const BASE = '1.3.6.1.2.1.17.1.4.1.2';
const mac = (idx: string) =>
  idx
    .split('.')
    .map((x) => Number(x).toString(16).padStart(2, '0'))
    .join(':');

/** vlan/mac/bridgePort/ifIndex rows of a context file (null vlan: the plain community's file). */
function rowsOf(file: string, vlan: number | null): string[] {
  const w = readSnmprec(join(DIR, file));
  const base = column(w, BASE);
  return [...column(w, FDB_PORT)].map(([idx, v]) => `${vlan}/${mac(idx)}/${v.value}/${base.get(v.value)?.value ?? null}`).sort();
}

async function poll(port: number, vlanCommunities: boolean): Promise<string[]> {
  const h = await startHarness({
    devices: [{ address: '127.0.0.1', port, community: COMMUNITY }],
    vlanCommunities,
    timeout: 2,
    retries: 1,
  });
  try {
    await h.snmp.poller.pollNow();
    const d = h.snmp.poller.devices()[0]!;
    expect(d.status.state).toBe('ok');
    expect(d.status.sysObjectID).toBe('1.3.6.1.4.1.9.1.1208');
    return h.snmp.observations
      .fdbRows({ device: d.target.key })
      .map((r) => `${r.vlan}/${r.mac}/${r.bridgePort}/${r.ifIndex}`)
      .sort();
  } finally {
    await h.stop();
  }
}

describe('Cisco per-VLAN FDB (community@vlan)', () => {
  let perDevice: RunningSimulator;
  let shared: RunningSimulator;
  let ref: Snmpsimd;
  const perVlan = [...rowsOf(`${COMMUNITY}@1.snmprec`, 1), ...rowsOf(`${COMMUNITY}@99.snmprec`, 99)].sort();

  beforeAll(async () => {
    perDevice = await startSimulator({ dir: DIR, portPerDevice: 0 });
    shared = await startSimulator({ dir: DIR });
    ref = await startSnmpsimd(DIR, await freeUdpPort(), COMMUNITY);
  }, 60_000);
  afterAll(async () => {
    await perDevice?.close();
    await shared?.close();
    await ref?.stop();
  });

  it('the simulator serves `X@vlan` files as contexts of device X, on its port', async () => {
    expect(perDevice.devices.map((d) => d.community)).toEqual([COMMUNITY]);
    const port = perDevice.devices[0]!.port;
    for (const [vlan, file] of [
      [1, `${COMMUNITY}@1.snmprec`],
      [99, `${COMMUNITY}@99.snmprec`],
    ] as const) {
      const got = await rawWalk({ port, community: `${COMMUNITY}@${vlan}`, root: FDB_PORT, bulk: 10 });
      expect(got.map((v) => v.oid).sort()).toEqual(
        [...column(readSnmprec(join(DIR, file)), FDB_PORT).keys()].map((i) => `${FDB_PORT}.${i}`).sort(),
      );
    }
    // A VLAN with no file is an unknown community: no answer, as from a real agent.
    const probe = (community: string) => buildRequest({ version: 1, community, pdu: 0xa1, requestId: 9, oids: [FDB_PORT] });
    expect(await exchange(port, probe(`${COMMUNITY}@7`), 300)).toBeNull();
    expect(await exchange(port, probe(`${COMMUNITY}@99`), 2000)).not.toBeNull();
  });

  it('off (the default): one table from the plain community, no VLAN', async () => {
    const rows = await poll(perDevice.devices[0]!.port, false);
    expect(rows).toEqual(rowsOf(`${COMMUNITY}.snmprec`, null));
    expect(rows).toHaveLength(29);
  });

  it('on: the rows of each operational VLAN (1 and 99; 1002–1005 skipped), tagged with it', async () => {
    expect(perVlan.filter((r) => r.startsWith('99/'))).toHaveLength(14);
    expect(await poll(perDevice.devices[0]!.port, true)).toEqual(perVlan);
  });

  it('on, one shared port: Canopy snmp-sim and snmpsimd give the same rows', async () => {
    expect(await poll(shared.port, true)).toEqual(perVlan);
    expect(await poll(ref.port, true)).toEqual(perVlan);
  }, 60_000);
});
