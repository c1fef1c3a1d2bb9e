// `canopy verify-cabling` usage and runtime errors through the real CLI (bin/canopy.js). Its answers
// against a collector polling real SNMP sets are in test/collectors/snmp/sets/verify-cabling.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = resolve('bin/canopy.js');
const dir = mkdtempSync(join(tmpdir(), 'canopy-cabling-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('canopy verify-cabling (CLI)', () => {
  it('--help: usage and the exit statuses, 3 for a mismatch; listed in canopy --help', async () => {
    const h = await cli('verify-cabling', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/--intent FILE/);
    expect(h.stdout).toMatch(/exit status: 0 .* 3 a mismatch found/s);
    const top = await cli('--help');
    expect(top.stdout).toMatch(/verify-cabling +compare a cabling plan/);
    expect(top.stdout).toMatch(/3 +verify-cabling only/);
  });

  it('usage errors exit 2, an unreadable plan or unreachable collector 1', async () => {
    const none = await cli('verify-cabling');
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/--intent FILE is required/);
    expect((await cli('verify-cabling', '--intent', 'x', '--bogus')).status).toBe(2);
    expect((await cli('verify-cabling', '--intent', 'x', '--token', 't', '--username', 'u')).status).toBe(2);
    const missing = await cli('verify-cabling', '--intent', join(dir, 'nope.csv'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
    const plan = join(dir, 'plan.csv');
    writeFileSync(plan, 'a_device,a_port,b_device,b_port\nsw1,Gi1/0/1,sw2,Gi1/0/1\n');
    const down = await cli('verify-cabling', '--intent', plan, '--collector', `http://127.0.0.1:${await closedPort()}`, '--json');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/cannot reach a collector/);
    expect(down.stdout).toBe('');
  });
});
