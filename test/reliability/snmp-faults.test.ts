// SNMP devices that fail slowly (docs/reliability.md#faults): five real net-snmp snmpd agents on
// loopback, three of them behind a UDP path that misbehaves the way networks do — silent (the path
// drops everything), slow (every response 2 s late) and flapping (2 s forwarding, 2 s dropping).
// The two healthy devices stay on schedule: their counter polls start every counterInterval (±
// the scheduler's 10 % jitter and a poll's own duration), whatever the others do, and the slow
// device is still read (2 s answers are within snmp.timeout).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../collectors/snmp/sim/helpers.ts';
import { startApiCollector, waitFor, type ApiCollector } from '../collectors/snmp/helpers.ts';

const skip = spawnSync('which', ['snmpd']).status !== 0 ? 'snmpd missing (Debian package snmpd)' : null;
const COUNTER_S = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Path = 'direct' | 'silent' | 'slow' | 'flapping';

/** A UDP path to an agent: each client gets its own upstream socket, responses come back to it. */
async function startPath(kind: Exclude<Path, 'direct'>, upstreamPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const front = dgram.createSocket('udp4');
  const ups = new Map<string, dgram.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const t0 = Date.now();
  const passing = () => kind === 'slow' || (kind === 'flapping' && Math.floor((Date.now() - t0) / 2000) % 2 === 0);
  front.on('message', (msg, from) => {
    if (!passing()) return;
    const key = `${from.address}:${from.port}`;
    let up = ups.get(key);
    if (!up) {
      const u = dgram.createSocket('udp4');
      u.on('message', (resp) => {
        if (kind === 'slow') {
          const t = setTimeout(() => {
            timers.delete(t);
            front.send(resp, from.port, from.address);
          }, 2000);
          timers.add(t);
        } else if (passing()) front.send(resp, from.port, from.address);
      });
      u.bind(0, '127.0.0.1');
      ups.set(key, u);
      up = u;
    }
    up.send(msg, upstreamPort, '127.0.0.1');
  });
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  return {
    port: front.address().port,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const u of ups.values()) u.close();
      await new Promise<void>((r) => front.close(() => r()));
    },
  };
}

describe.skipIf(skip !== null)(`SNMP devices silent, slow and flapping${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-snmpfaults-'));
  const agents: ChildProcess[] = [];
  const paths: { close(): Promise<void> }[] = [];
  const devices: { name: string; path: Path; port: number }[] = [];
  let c: ApiCollector;

  const startSnmpd = async (name: string): Promise<number> => {
    const port = await freeUdpPort();
    const d = join(dir, name);
    mkdirSync(join(d, 'persist'), { recursive: true });
    writeFileSync(
      join(d, 'snmpd.conf'),
      [
        `agentaddress udp:127.0.0.1:${port}`,
        'rocommunity faults 127.0.0.1',
        `sysName ${name}`,
        `sysDescr canopy fault test ${name}`,
        '',
      ].join('\n'),
    );
    const child = spawn('snmpd', ['-f', '-Lo', '-C', '-m', 'none', '-c', join(d, 'snmpd.conf')], {
      stdio: 'ignore',
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(d, 'persist'), MIBS: '' },
    });
    agents.push(child);
    await waitFor(
      () => spawnSync('snmpget', ['-v2c', '-c', 'faults', '-t', '0.5', '-r', '0', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0']).status === 0,
      10_000,
      `snmpd ${name} to answer`,
    );
    return port;
  };

  beforeAll(async () => {
    for (const [name, path] of [
      ['good-a', 'direct'],
      ['good-b', 'direct'],
      ['silent', 'silent'],
      ['slow', 'slow'],
      ['flapping', 'flapping'],
    ] as [string, Path][]) {
      const agentPort = await startSnmpd(name);
      if (path === 'direct') devices.push({ name, path, port: agentPort });
      else {
        const p = await startPath(path, agentPort);
        paths.push(p);
        devices.push({ name, path, port: p.port });
      }
    }
    c = await startApiCollector({
      'snmp.devices': devices.map((d) => ({ address: '127.0.0.1', port: d.port, version: '2c', community: 'faults', name: d.name })),
      'snmp.timeout': 3,
      'snmp.retries': 0,
      'snmp.counterInterval': COUNTER_S,
      'snmp.lldpInterval': COUNTER_S,
      'snmp.fdbInterval': COUNTER_S,
      'snmp.maxBackoff': 4,
    });
  }, 60_000);

  afterAll(async () => {
    await c?.stop();
    for (const p of paths) await p.close();
    for (const a of agents) {
      if (a.exitCode !== null || a.signalCode !== null) continue;
      const gone = new Promise((r) => a.once('exit', r));
      a.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('the healthy devices keep their counter interval while the others are silent, slow or flapping', async () => {
    const key = (name: string) => `127.0.0.1:${devices.find((d) => d.name === name)!.port}`;
    const starts = new Map<string, number[]>(devices.map((d) => [d.name, []]));
    const end = Date.now() + 24_000;
    let last: any;
    while (Date.now() < end) {
      last = await c.snmpStatus();
      for (const d of devices) {
        const at = last.devices[key(d.name)]?.tasks?.counters?.lastPoll as number | undefined;
        const seen = starts.get(d.name)!;
        if (at !== undefined && seen.at(-1) !== at) seen.push(at);
      }
      await sleep(100);
    }
    const gaps = (name: string) =>
      starts
        .get(name)!
        .slice(1)
        .map((t, i) => t - starts.get(name)![i]!);
    const report = Object.fromEntries(
      devices.map((d) => {
        const g = gaps(d.name);
        const st = last.devices[key(d.name)];
        return [
          d.name,
          {
            polls: starts.get(d.name)!.length,
            maxGapMs: g.length ? Math.max(...g) : null,
            state: st?.state,
            discoverMs: st?.tasks?.discover?.durationMs,
          },
        ];
      }),
    );
    process.stderr.write(`snmp faults: ${JSON.stringify(report)}\n`);
    for (const name of ['good-a', 'good-b']) {
      const g = gaps(name);
      // ~24 s at one poll per 2 s (+ the poll itself): at least 8 polls, no gap beyond 1.5 intervals.
      expect(g.length, name).toBeGreaterThanOrEqual(8);
      expect(Math.max(...g), name).toBeLessThanOrEqual(COUNTER_S * 1500);
      expect(last.devices[key(name)].state, name).toBe('ok');
    }
    // The slow device is read too (each of a walk's requests takes 2 s, so its polls take long).
    expect(starts.get('slow')!.length).toBeGreaterThanOrEqual(1);
    expect(last.devices[key('slow')].switchId).toBeTruthy();
    expect(last.devices[key('silent')].state).toBe('error');
  }, 60_000);
});
