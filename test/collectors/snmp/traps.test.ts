// Traps from Net-SNMP's own `snmptrap` (Debian package snmp) to the collector's listener:
// linkDown/linkUp change port State within 1 s, coldStart re-polls, lldpRemTablesChange triggers
// an early LLDP poll, v3 authPriv traps are accepted, unknown sources are counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ids } from '../../../src/topology/ids.ts';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { startHarness, waitFor, type Harness } from './helpers.ts';

const run = promisify(execFile);
const IF = (col: number, i: number) => `1.3.6.1.2.1.2.2.1.${col}.${i}`;

describe('SNMP traps', () => {
  let sim: RunningSimulator;
  let h: Harness;
  let trapPort: number;

  beforeAll(async () => {
    sim = await startSimulator({ switches: { count: 1, ports: 6, fdbEntries: 2 } });
    h = await startHarness(
      {
        devices: [{ address: '127.0.0.1', port: sim.port, version: '2c', community: sim.devices[0]!.community }],
        counterInterval: 3600,
        lldpInterval: 3600,
        fdbInterval: 3600,
        rediscoverInterval: 3600,
        'traps.users': [
          { user: 'trapuser', authProtocol: 'sha256', authKey: 'trap-auth-key-1', privProtocol: 'aes', privKey: 'trap-priv-key-1' },
        ],
      },
      { schedule: true },
    );
    trapPort = Number(h.snmp.trapAddresses()[0]!.split(':').pop());
    await waitFor(() => h.snmp.poller.devices()[0]!.status.tasks.fdb?.ok, 10_000, 'first poll');
  }, 30_000);
  afterAll(async () => {
    await h?.stop();
    await sim?.close();
  });

  const dev = () => h.snmp.poller.devices()[0]!;
  const port = (i: number) => h.store.getNode(ids.port(dev().switchId!, i))!;
  const trap = (args: string[]) => run('snmptrap', ['-On', '-m', '', ...args], { timeout: 5000 });
  const v2 = (oid: string, vbs: string[] = [], extra: string[] = []) =>
    trap(['-v', '2c', '-c', 'public', ...extra, `127.0.0.1:${trapPort}`, '', oid, ...vbs]);
  const linkVbs = (i: number, admin: number, oper: number) => [
    IF(1, i),
    'i',
    String(i),
    IF(7, i),
    'i',
    String(admin),
    IF(8, i),
    'i',
    String(oper),
  ];

  it('binds an ephemeral port and shows it in status', () => {
    expect(trapPort).toBeGreaterThan(0);
    expect(h.snmp.status()).toMatchObject({ traps: { listen: [`127.0.0.1:${trapPort}`] } });
    expect(port(3).Metadata.State).toBe('UP');
  });

  it('linkDown / linkUp change the port State within 1 s', async () => {
    const t0 = Date.now();
    await v2('1.3.6.1.6.3.1.1.5.3', linkVbs(3, 1, 2));
    await waitFor(() => port(3).Metadata.State === 'DOWN', 1000, 'DOWN');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(port(3).Metadata.AdminState).toBe('UP');
    await v2('1.3.6.1.6.3.1.1.5.4', linkVbs(3, 1, 1));
    await waitFor(() => port(3).Metadata.State === 'UP', 1000, 'UP');
    expect(h.snmp.status()).toMatchObject({ traps: { byKind: { linkDown: 1, linkUp: 1 } } });
  });

  it('an SNMPv3 authPriv linkDown from a configured user is accepted', async () => {
    await trap([
      '-v',
      '3',
      '-l',
      'authPriv',
      '-u',
      'trapuser',
      '-a',
      'SHA-256',
      '-A',
      'trap-auth-key-1',
      '-x',
      'AES',
      '-X',
      'trap-priv-key-1',
      '-e',
      '0x8000000001020304',
      `127.0.0.1:${trapPort}`,
      '',
      '1.3.6.1.6.3.1.1.5.3',
      ...linkVbs(4, 2, 2),
    ]);
    await waitFor(() => port(4).Metadata.State === 'DOWN', 1000, 'v3 DOWN');
    expect(port(4).Metadata.AdminState).toBe('DOWN');
    // a wrong key is rejected and counted, the port does not change back
    const errors = (h.snmp.status().traps as { errors: number }).errors;
    await trap([
      '-v',
      '3',
      '-l',
      'authPriv',
      '-u',
      'trapuser',
      '-a',
      'SHA-256',
      '-A',
      'wrong-auth-key',
      '-x',
      'AES',
      '-X',
      'trap-priv-key-1',
      '-e',
      '0x8000000001020304',
      `127.0.0.1:${trapPort}`,
      '',
      '1.3.6.1.6.3.1.1.5.4',
      ...linkVbs(4, 1, 1),
    ]);
    await waitFor(() => (h.snmp.status().traps as { errors: number }).errors > errors, 1000, 'auth error counted');
    expect(port(4).Metadata.State).toBe('DOWN');
  });

  it('coldStart re-polls the device; lldpRemTablesChange polls LLDP early', async () => {
    const polls = dev().status.polls;
    await v2('1.3.6.1.6.3.1.1.5.1');
    await waitFor(() => dev().status.polls > polls, 3000, 're-poll');
    await waitFor(() => port(4).Metadata.State === 'UP', 3000, 'state from the re-poll');
    const lldpAt = dev().status.tasks.lldp!.lastPoll;
    const discoverAt = dev().status.tasks.discover!.lastPoll;
    await v2('1.0.8802.1.1.2.0.0.1');
    await waitFor(() => dev().status.tasks.lldp!.lastPoll > lldpAt, 3000, 'early LLDP poll');
    expect(dev().status.tasks.discover!.lastPoll).toBe(discoverAt);
  });

  it('counts traps from unknown sources', async () => {
    await v2('1.3.6.1.6.3.1.1.5.3', linkVbs(2, 1, 2), ['--clientaddr=127.0.0.2']);
    await waitFor(() => (h.snmp.status().traps as { unknownSources: number }).unknownSources === 1, 1000, 'unknown source');
    expect(h.snmp.status()).toMatchObject({ traps: { unknownSourceAddresses: ['127.0.0.2'] } });
    expect(port(2).Metadata.State).toBe('UP');
  });
});
