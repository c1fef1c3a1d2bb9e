// Metadata.BootTime of a polled switch (the wall shows it as uptime): poll time − sysUpTime, against
// a real net-snmp snmpd on loopback whose sysUpTime counts from its start. Written at discovery,
// left alone by the polls after it (each metadata change is a history revision), and moved when
// the agent starts again (a restart of snmpd is a reboot as far as sysUpTime tells).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootTimeUpdate, UPTIME_WRAP_MS } from '../../../src/collectors/snmp/graph-writer.ts';
import { freeUdpPort } from './sim/helpers.ts';
import { startHarness, waitFor, type Harness } from './helpers.ts';

const skip = spawnSync('which', ['snmpd']).status !== 0 ? 'snmpd missing (Debian package snmpd)' : null;
const DAY = 86_400_000;

describe('bootTimeUpdate', () => {
  const at = Date.UTC(2026, 5, 1);
  it('gives poll time − sysUpTime when nothing is stored', () => {
    expect(bootTimeUpdate(undefined, 12_345, at)).toBe(at - 123_450);
  });
  it('keeps the stored boot for a reading a few seconds off (response delay, clock drift)', () => {
    const stored = at - 10 * DAY;
    expect(bootTimeUpdate(stored, (10 * DAY + 3000) / 10, at)).toBeUndefined();
    expect(bootTimeUpdate(stored, (10 * DAY - 3000) / 10, at)).toBeUndefined();
    // 0.01 % of 10 days is 86 s.
    expect(bootTimeUpdate(stored, (10 * DAY - 60_000) / 10, at)).toBeUndefined();
  });
  it('keeps the stored boot across 497-day wraps of sysUpTime', () => {
    const stored = at - 600 * DAY;
    const ticks = ((600 * DAY) % UPTIME_WRAP_MS) / 10;
    expect(bootTimeUpdate(stored, ticks, at)).toBeUndefined();
    const stored2 = at - 1200 * DAY;
    expect(bootTimeUpdate(stored2, ((1200 * DAY) % UPTIME_WRAP_MS) / 10, at)).toBeUndefined();
  });
  it('moves to the new boot after a reboot, even one a minute after the last', () => {
    expect(bootTimeUpdate(at - 10 * DAY, 4200, at)).toBe(at - 42_000);
    expect(bootTimeUpdate(at - 70_000, 1000, at)).toBe(at - 10_000);
    // Right after a wrap would have been due, but the counter says something else: a reboot.
    expect(bootTimeUpdate(at - 600 * DAY, 360_000, at)).toBe(at - 3_600_000);
  });
});

describe.skipIf(skip !== null)(`BootTime from a real snmpd's sysUpTime${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let port: number;
  let agent: ChildProcess | undefined;
  let h: Harness;

  const startAgent = async (): Promise<number> => {
    const t0 = Date.now();
    const child = spawn('snmpd', ['-f', '-Lo', '-C', '-m', 'none', '-c', join(dir, 'snmpd.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist'), MIBS: '' },
    });
    agent = child;
    // Answering: snmpget of sysUpTime succeeds.
    await waitFor(
      () => spawnSync('snmpget', ['-v2c', '-c', 'boottest', '-t', '0.5', '-r', '0', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0']).status === 0,
      10_000,
      'snmpd to answer',
    );
    return t0;
  };
  const stopAgent = async () => {
    const c = agent;
    agent = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  const switchNode = () => {
    const sw = h.store.database.prepare("SELECT id FROM nodes WHERE type = 'switch'").pluck().all() as string[];
    expect(sw).toHaveLength(1);
    return h.store.getNode(sw[0]!)!;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-boottime-'));
    port = await freeUdpPort();
    writeFileSync(
      join(dir, 'snmpd.conf'),
      [
        `agentaddress udp:127.0.0.1:${port}`,
        'rocommunity boottest 127.0.0.1',
        'sysName boottest-sw',
        'sysDescr canopy boot-time test agent',
        '',
      ].join('\n'),
    );
    h = await startHarness({ devices: [{ address: '127.0.0.1', port, version: '2c', community: 'boottest' }], timeout: 2, retries: 1 });
  }, 30_000);

  afterAll(async () => {
    await stopAgent();
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('is set at discovery, unchanged (no new revision) on the next polls, moved when the agent starts again', async () => {
    const t0 = await startAgent();
    await h.snmp.poller.pollNow();
    const first = switchNode();
    const boot = first.Metadata.BootTime as number;
    expect(typeof boot).toBe('number');
    // snmpd counts from its own start: between our spawn and its first answer (+ slack for the 1/100 s ticks).
    expect(boot).toBeGreaterThanOrEqual(t0 - 50);
    expect(boot).toBeLessThanOrEqual(Date.now());

    // Later polls read a larger sysUpTime, the same boot: nothing is written.
    await new Promise((r) => setTimeout(r, 1500));
    await h.snmp.poller.pollNow();
    await h.snmp.poller.pollNow(undefined, ['discover']);
    const again = switchNode();
    expect(again.Metadata.BootTime).toBe(boot);
    expect(again.Revision).toBe(first.Revision);
    expect(again.UpdatedAt).toBe(first.UpdatedAt);
    expect(h.store.historyOf(again.ID)).toHaveLength(h.store.historyOf(first.ID).length);

    // The agent starts again more than the slack (5 s) after the first start: a new boot.
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 7000 - Date.now())));
    await stopAgent();
    const t1 = await startAgent();
    await h.snmp.poller.pollNow();
    const after = switchNode();
    expect(h.snmp.poller.devices()[0]!.status.reboots).toBe(1);
    const boot2 = after.Metadata.BootTime as number;
    expect(boot2).toBeGreaterThanOrEqual(t1 - 50);
    expect(boot2).toBeLessThanOrEqual(Date.now());
    expect(after.Revision).toBeGreaterThan(first.Revision);
  }, 60_000);
});
