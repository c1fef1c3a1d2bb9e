// contrib/ansible: the playbook passes `ansible-playbook --syntax-check` and ansible-lint (production
// profile), and the role's templates, rendered by Ansible with the example inventory's variables,
// are configs Canopy accepts. The real run into a Debian 12 root is `npm run install:e2e` (outside the
// suite: debootstrap and a native build take minutes).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';

const run = promisify(execFile);
const DIR = resolve(import.meta.dirname, '../../contrib/ansible');
const missing = ['ansible-playbook', 'ansible-lint'].find((c) => !['/usr/bin', '/usr/local/bin'].some((d) => existsSync(join(d, c))));
const env = { ...process.env, ANSIBLE_CONFIG: join(DIR, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: tmpdir(), NO_COLOR: '1' };
const work = mkdtempSync(join(tmpdir(), 'canopy-ansible-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(missing)('contrib/ansible', () => {
  it('passes ansible-playbook --syntax-check, and the check fails on a broken play', async () => {
    const r = await run('ansible-playbook', ['--syntax-check', 'site.yml'], { cwd: DIR, env });
    expect(r.stdout).toContain('playbook: site.yml');
    const copy = join(work, 'broken');
    cpSync(DIR, copy, { recursive: true });
    writeFileSync(join(copy, 'site.yml'), readFileSync(join(DIR, 'site.yml'), 'utf8').replace('roles:', 'rolez:'));
    await expect(
      run('ansible-playbook', ['--syntax-check', 'site.yml'], { cwd: copy, env: { ...env, ANSIBLE_CONFIG: join(copy, 'ansible.cfg') } }),
    ).rejects.toThrow();
  }, 120_000);

  it('passes ansible-lint with the production profile', async () => {
    const r = await run('ansible-lint', ['--offline', '--profile', 'production'], { cwd: DIR, env }).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    expect('code' in r ? `${r.stdout}\n${r.stderr}` : '').toBe('');
  }, 180_000);

  it('renders collector and agent configs Canopy accepts from the inventory and vault variables', async () => {
    // A role with the canopy role's defaults and vars (so inventory group_vars override the defaults
    // as they do in site.yml) whose only task renders the canopy role's templates.
    const role = join(work, 'roles/render');
    cpSync(join(DIR, 'roles/canopy/defaults'), join(role, 'defaults'), { recursive: true });
    cpSync(join(DIR, 'roles/canopy/vars'), join(role, 'vars'), { recursive: true });
    mkdirSync(join(role, 'tasks'));
    writeFileSync(
      join(role, 'tasks/main.yml'),
      [
        '- name: Render',
        '  ansible.builtin.template:',
        `    src: ${join(DIR, 'roles/canopy/templates')}/{{ canopy_role }}.yml.j2`,
        `    dest: ${work}/{{ inventory_hostname }}.yml`,
        '    mode: "0600"',
        '',
      ].join('\n'),
    );
    const play = join(work, 'render.yml');
    writeFileSync(
      play,
      [
        '- hosts: collectors',
        '  connection: local',
        '  gather_facts: false',
        '  roles: [{ role: render, canopy_role: collector }]',
        '- hosts: agents',
        '  connection: local',
        '  gather_facts: false',
        '  roles: [{ role: render, canopy_role: agent }]',
        '',
      ].join('\n'),
    );
    await run('ansible-playbook', ['-i', join(DIR, 'inventory/hosts.ini'), play], {
      cwd: work,
      env: { ...env, ANSIBLE_ROLES_PATH: join(work, 'roles') },
    });
    const collector = loadConfig({ file: join(work, 'collector1.yml'), env: {} });
    expect(collector.api.listen).toBe('0.0.0.0:8082');
    expect(collector.storage.dataDir).toBe('/var/lib/canopy');
    expect(collector.snmp.traps.listen).toBe('0.0.0.0:162');
    expect(collector.snmp.credentials.length).toBe(2);
    expect(collector.snmp.devices.map((d) => d.address)).toEqual(['192.0.2.21', '192.0.2.22']);
    expect(collector.agents.tokens).toEqual([
      { token: 'change-me-token-for-hv1', host: 'hv1' },
      { token: 'change-me-token-for-hv2', host: 'hv2' },
    ]);
    for (const host of ['hv1', 'hv2']) {
      const agent = loadConfig({ file: join(work, `${host}.yml`), env: {} }).agent;
      expect(agent).toMatchObject({ collector: 'ws://192.0.2.10:8082', token: `change-me-token-for-${host}`, hostname: host });
    }
  }, 120_000);
});
