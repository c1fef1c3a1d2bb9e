// `canopy snmp-sim` as a process: logs devices and the bound port, answers, exits 0 on SIGTERM.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { FIXTURE_DIR, execFileP } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');

describe('canopy snmp-sim CLI', () => {
  it('serves --dir on an ephemeral port and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'snmp-sim', '--dir', FIXTURE_DIR, '--listen', '127.0.0.1:0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const ready = await new Promise<{ port: number; devices: number }>((res, rej) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          for (const line of buf.split('\n'))
            if (line.includes('"snmp-sim ready"')) res(JSON.parse(line) as { port: number; devices: number });
        });
        child.once('exit', (code) => rej(new Error(`exited ${code}`)));
      });
      expect(ready.devices).toBe(17);
      const { stdout } = await execFileP('snmpget', [
        '-v2c',
        '-c',
        'librenms__iosxe_ie32008t2s-ios17-12',
        '-On',
        `127.0.0.1:${ready.port}`,
        '1.0.8802.1.1.2.1.4.1.1.9.0.1.3',
      ]);
      expect(stdout).toContain('= STRING: "DE-XXX-XXX-FAC-MP-SW110"');
    } finally {
      const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      process.kill(child.pid!, 'SIGTERM');
      expect(await exit).toBe(0);
    }
  }, 30_000);

  it('--address-per-device: switch i answers on BASE+i, and its neighbours name it by that address in lldpRemManAddrTable', async () => {
    const net = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}`;
    // --listen ADDR:0: an ephemeral port (the first device's) for every address; without --listen, 161.
    const sim = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'snmp-sim',
        '--switches',
        '3',
        '--fdb',
        '1',
        '--address-per-device',
        `${net}.10`,
        '--listen',
        '0.0.0.0:0',
        '--community',
        'fabric',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const lines = await new Promise<string[]>((res, rej) => {
        let buf = '';
        sim.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('"snmp-sim ready"')) res(buf.split('\n'));
        });
        sim.once('exit', (code) => rej(new Error(`exited ${code}`)));
      });
      const devices = lines.filter((l) => l.includes('"snmp-sim device"')).map((l) => JSON.parse(l) as { address: string; port: number });
      expect(devices.map((d) => d.address)).toEqual([`${net}.10`, `${net}.11`, `${net}.12`]);
      const port = devices[0]!.port;
      expect(devices.every((d) => d.port === port)).toBe(true);
      // Switch 1 by its own community at its own address; switch 0 does not answer there.
      const name = await execFileP('snmpget', ['-v2c', '-c', 'sim-sw-0001', '-On', `${net}.11:${port}`, '1.3.6.1.2.1.1.5.0']);
      expect(name.stdout).toContain('STRING: "sim-sw-0001"');
      await expect(
        execFileP('snmpget', ['-v2c', '-c', 'sim-sw-0000', '-On', '-t', '0.3', '-r', '0', `${net}.11:${port}`, '1.3.6.1.2.1.1.5.0']),
      ).rejects.toThrow();
      // The shared community reaches every switch; switch 1's neighbours are switches 0 and 2, at .10 and .12.
      const man = await execFileP('snmpwalk', ['-v2c', '-c', 'fabric', '-On', `${net}.11:${port}`, '1.0.8802.1.1.2.1.4.2.1.3']);
      const addrs = [...man.stdout.matchAll(/\.1\.4\.(\d+\.\d+\.\d+\.\d+) = /g)].map((m) => m[1]);
      expect(addrs.sort()).toEqual([`${net}.10`, `${net}.12`]);
    } finally {
      const exit = new Promise<number | null>((r) => sim.once('exit', (c) => r(c)));
      process.kill(sim.pid!, 'SIGTERM');
      expect(await exit).toBe(0);
    }
  }, 30_000);
});
