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
});
