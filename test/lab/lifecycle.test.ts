// `canopy lab up/down` through the real CLI: up twice (the second replaces the first), down after
// a deliberately failed up (--fail-after … --keep-on-error), and a topology that fails half-way
// (the error names namespace and command; nothing is left). Uses ovs.clab.yml, which also proves
// the OVS patch ports + userspace VXLAN tunnel carry traffic.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { labDown } from '../../src/lab/down.ts';
import { isAlive } from '../../src/lab/procs.ts';
import { readState } from '../../src/lab/state.ts';
import { labSkipReason } from './lab-fixture.ts';

const reason = labSkipReason();
if (reason) console.warn(`[lab] lifecycle.test.ts skipped: ${reason}`);

const id = `l${process.pid.toString(36)}`;
const prefix = `${id}-`;
const stateDir = `/tmp/canopy-lab/test-${id}`;
const common = ['--prefix', prefix, '--state-dir', stateDir, '--subnet-base', '10.250', '--quiet'];

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/canopy.js', 'lab', ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const ourNamespaces = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith(prefix));

describe.skipIf(reason !== null)(`canopy lab up/down lifecycle${reason ? ` — SKIPPED: ${reason}` : ''}`, () => {
  afterAll(async () => {
    const st = readState(stateDir);
    await labDown(stateDir, st?.namespaces ?? []);
  });

  it('up twice replaces the first instance; VXLAN between the hypervisors works; down leaves nothing', async () => {
    const first = await cli('up', 'containerlab/ovs.clab.yml', ...common);
    expect(first.code, first.stderr).toBe(0);
    const pids1 = readState(stateDir)!.procs.map((p) => p.pid);
    expect(pids1.every(isAlive)).toBe(true);
    const second = await cli('up', 'containerlab/ovs.clab.yml', ...common);
    expect(second.code, second.stderr).toBe(0);
    const st = readState(stateDir)!;
    expect(pids1.filter(isAlive)).toEqual([]);
    expect(st.procs.map((p) => p.pid).every(isAlive)).toBe(true);
    expect(ourNamespaces().length).toBe(6);
    // vm1 → vm2 crosses br-int → patch → br-tun → vxlan0 → br-phy on both hypervisors.
    const ping = execFileSync('ip', ['netns', 'exec', `${prefix}vm1`, 'ping', '-c2', '-W1', '10.250.200.2'], { encoding: 'utf8' });
    expect(ping).toMatch(/2 received/);
    // Live port counters of the tunnel port (the OVSDB statistics column only refreshes every 5 s).
    const stats = execFileSync('ovs-ofctl', ['dump-ports', 'br-tun', 'vxlan0'], {
      encoding: 'utf8',
      env: { ...process.env, OVS_RUNDIR: st.nodes.hv1!.ovsRun },
    });
    expect(Number(/tx pkts=(\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(2);
    const t0 = Date.now();
    const down = await cli('down', 'containerlab/ovs.clab.yml', ...common);
    console.log(`[lab] ovs lab tear-down via CLI ${Date.now() - t0} ms (incl. node start-up): ${down.stderr.trim()}`);
    expect(down.code, down.stderr).toBe(0);
    expect(ourNamespaces()).toEqual([]);
    expect(st.procs.map((p) => p.pid).filter(isAlive)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect((await cli('down', 'containerlab/ovs.clab.yml', ...common)).code).toBe(0); // down twice is fine
  });

  it('down after a deliberately failed up (kept for inspection) removes every process and namespace', async () => {
    const r = await cli('up', 'containerlab/ovs.clab.yml', ...common, '--fail-after', 'lldpd', '--keep-on-error');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failing on purpose after step "lldpd"/);
    const st = readState(stateDir)!;
    expect(st.status).toBe('failed');
    expect(st.procs.length).toBeGreaterThan(5);
    expect(st.procs.some((p) => isAlive(p.pid))).toBe(true);
    expect(ourNamespaces().length).toBe(6);
    const down = await cli('down', 'containerlab/ovs.clab.yml', ...common);
    expect(down.code, down.stderr).toBe(0);
    expect(ourNamespaces()).toEqual([]);
    expect(st.procs.map((p) => p.pid).filter(isAlive)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('a step failing half-way names the namespace and command, and cleans up after itself', async () => {
    const r = await cli('up', 'test/lab/fixtures/broken-ifname.clab.yml', ...common);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('`ip link add name this-name-is-too-long netns');
    expect(r.stderr).toContain(`netns ${prefix}sw`);
    expect(ourNamespaces()).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  });
});
