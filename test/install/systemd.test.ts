// contrib/systemd: both units pass `systemd-analyze verify` without a warning (verify exits 0 on a
// misspelt value and only warns, so stderr must be empty too), keep the hardening the docs promise,
// and `systemd-analyze security` rates their exposure. Verified inside a scratch root holding the
// system's unit files and an executable at ExecStart's path, so nothing is installed on this machine.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const DIR = resolve(import.meta.dirname, '../../contrib/systemd');
const UNITS = ['canopy-collector.service', 'canopy-agent.service'];
const missing = ['/usr/bin/systemd-analyze', '/usr/lib/systemd/system/sysinit.target'].find((p) => !existsSync(p));

let root: string;
beforeAll(() => {
  if (missing) return;
  root = mkdtempSync(join(tmpdir(), 'canopy-systemd-'));
  mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'));
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'opt/canopy/bin'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  symlinkSync('usr/lib', join(root, 'lib'));
  cpSync('/usr/bin/kill', join(root, 'usr/bin/kill'));
  writeFileSync(join(root, 'opt/canopy/bin/canopy'), '#!/bin/sh\n');
  chmodSync(join(root, 'opt/canopy/bin/canopy'), 0o755);
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

async function verify(unit: string, text: string): Promise<{ code: number; stderr: string }> {
  writeFileSync(join(root, 'etc/systemd/system', unit), text);
  try {
    const r = await run('systemd-analyze', ['verify', `--root=${root}`, `/etc/systemd/system/${unit}`]);
    return { code: 0, stderr: r.stderr.trim() };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr.trim() };
  }
}

const directive = (text: string, key: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe.skipIf(missing)('contrib/systemd units', () => {
  it.each(UNITS)('%s passes systemd-analyze verify with no warning', async (unit) => {
    expect(await verify(unit, readFileSync(join(DIR, unit), 'utf8'))).toEqual({ code: 0, stderr: '' });
  });

  it('the check catches a bad value and a missing ExecStart binary', async () => {
    const text = readFileSync(join(DIR, UNITS[0]!), 'utf8');
    expect((await verify('bad.service', text.replace('NoNewPrivileges=yes', 'NoNewPrivileges=maybe'))).stderr).toMatch(
      /NoNewPrivileges|boolean/,
    );
    const r = await verify('bad.service', text.replace('/opt/canopy/bin/canopy', '/opt/canopy/bin/nope'));
    expect(r.code).not.toBe(0);
  });

  it('the collector keeps only CAP_NET_BIND_SERVICE (port 162); the agent adds CAP_NET_RAW for capture', () => {
    const c = readFileSync(join(DIR, 'canopy-collector.service'), 'utf8');
    const a = readFileSync(join(DIR, 'canopy-agent.service'), 'utf8');
    expect(directive(c, 'CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(directive(c, 'AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(directive(a, 'AmbientCapabilities')[0]?.split(' ')).toContain('CAP_NET_RAW');
    expect(directive(a, 'AmbientCapabilities')).toEqual(directive(a, 'CapabilityBoundingSet'));
    for (const t of [c, a]) {
      expect(directive(t, 'User')).toEqual(['canopy']);
      expect(directive(t, 'NoNewPrivileges')).toEqual(['yes']);
      expect(directive(t, 'ProtectSystem')).toEqual(['strict']);
      expect(directive(t, 'ProtectHome')).toEqual(['yes']);
    }
    expect(directive(c, 'StateDirectory')).toEqual(['canopy']);
  });

  it.each([
    ['canopy-collector.service', 2.5],
    ['canopy-agent.service', 6.0],
  ])('systemd-analyze security rates %s at most %s', async (unit, max) => {
    await verify(unit, readFileSync(join(DIR, unit), 'utf8'));
    const r = await run('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, `/etc/systemd/system/${unit}`]).catch(
      (e: { stdout: string }) => e,
    );
    const m = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout);
    expect(m, r.stdout.slice(-500)).not.toBeNull();
    console.log(`${unit}: exposure ${m![1]}`);
    expect(Number(m![1])).toBeLessThanOrEqual(max);
  });
});
