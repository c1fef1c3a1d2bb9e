import { afterAll, describe, it, expect } from 'vitest';
import { spawnSync, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const bin = resolve('bin/canopy.js');
const dir = mkdtempSync(join(tmpdir(), 'canopy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function canopy(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: { ...clean, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('canopy collector CLI', () => {
  it('--check accepts the defaults and a valid file', () => {
    const r = canopy(['collector', '--check']);
    expect(r.stdout).toContain('(defaults): config OK');
    expect(r.status).toBe(0);
  });

  it('--print-config shows the effective config with env and flags applied', () => {
    const f = join(dir, 'ok.yml');
    writeFileSync(f, 'snmp:\n  retries: 4\n');
    const r = canopy(['collector', '--config', f, '--data-dir', '/var/tmp/canopy-x', '--print-config'], {
      CANOPY_API_LISTEN: '127.0.0.1:9999',
    });
    expect(r.status).toBe(0);
    const c = parse(r.stdout) as { snmp: { retries: number }; storage: { dataDir: string }; api: { listen: string } };
    expect(c.snmp.retries).toBe(4);
    expect(c.storage.dataDir).toBe('/var/tmp/canopy-x');
    expect(c.api.listen).toBe('127.0.0.1:9999');
  });

  it('a bad config exits non-zero naming file, key and reason', () => {
    const f = join(dir, 'bad.yml');
    writeFileSync(f, 'sflow:\n  listen: "nope"\n  bogus: 1\n');
    const r = canopy(['collector', '--config', f, '--check']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}: sflow.listen:`);
    expect(r.stderr).toContain(`${f}: sflow.bogus: unknown key`);
  });

  it('refuses a non-loopback API without users, naming the fix', () => {
    const r = canopy(['collector', '--check'], { CANOPY_API_LISTEN: '0.0.0.0:8082' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/api\.listen: .*not loopback-only and no auth\.users or auth\.tokens.*add a user/);
  });

  it('unknown flags and commands are usage errors', () => {
    expect(canopy(['collector', '--nope']).status).toBe(2);
    const r = canopy(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });
});

/** Async variant: the in-process collector must keep serving while the CLI runs. */
function canopyAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: clean, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('canopy query CLI', () => {
  it('queries a data dir read-only and a running collector, and reports bad queries', async () => {
    const { startTestCollector } = await import('../api/helpers.ts');
    const t = await startTestCollector();
    try {
      await fetch(t.base + '/api/node', { method: 'POST', body: JSON.stringify({ Metadata: { Name: 'q-host', Type: 'host' } }) });
      const viaApi = await canopyAsync(['query', '--collector', t.base, "G.V().Has('Type','host').Values('Name')"]);
      expect(viaApi.status).toBe(0);
      expect(JSON.parse(viaApi.stdout)).toEqual(['q-host']);
      const viaDir = canopy(['query', '--data-dir', t.dir, "G.V().Has('Name','q-host').Count()"]);
      expect(viaDir.stdout.trim()).toBe('1');
      const dot = canopy(['query', '--data-dir', t.dir, '--dot', 'G.V()']);
      expect(dot.stdout).toContain('q-host');
      const bad = await canopyAsync(['query', '--collector', t.base, 'G.V().Has(']);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/400: at \d+: expected/);
    } finally {
      await t.stop();
    }
  });
});

describe('canopy collector process', () => {
  it('starts with no config, serves the API, applies the fabric again on SIGHUP and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const cfg = join(dir, 'hup.yml');
    const listen = [
      'api: { listen: "127.0.0.1:0" }',
      'sflow: { listen: "127.0.0.1:0" }',
      'netflow: { listen: "127.0.0.1:0" }',
      'ipfix: { listen: "127.0.0.1:0" }',
      'snmp: { traps: { listen: "127.0.0.1:0" } }',
      `storage: { dataDir: "${join(dir, 'hup-data')}" }`,
    ];
    writeFileSync(cfg, [...listen, 'topology:', '  fabric:', '    - "SW1[Name=sw1] -> P1[Name=p1]"'].join('\n'));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
    const child = spawn(process.execPath, [bin, 'collector', '--config', cfg], { cwd: dir, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += String(d)));
    try {
      const api = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /"api":\["([^"]+)"\]/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const names = async () =>
        (await (
          await fetch(`http://${api}/api/topology`, {
            method: 'POST',
            body: JSON.stringify({ GremlinQuery: "G.V().Has('Probe','fabric').Values('Name')" }),
          })
        ).json()) as string[];
      expect((await names()).sort()).toEqual(['p1', 'sw1']);
      writeFileSync(cfg, [...listen, 'topology:', '  fabric:', '    - "SW1[Name=sw1] -> P2[Name=p2]"'].join('\n'));
      child.kill('SIGHUP');
      await expect.poll(async () => (await names()).sort(), { timeout: 10_000 }).toEqual(['p2', 'sw1']);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(0);
      expect(out).toContain('"msg":"config reloaded"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('canopy collector start-up failure', () => {
  it('a component that cannot start: the ones before it stop in reverse, the later ones never start, the exit is non-zero naming it', async () => {
    const { createSocket } = await import('node:dgram');
    // The trap port is taken, so the SNMP component's start throws.
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', r));
    try {
      const cfg = join(dir, 'taken.yml');
      writeFileSync(
        cfg,
        [
          'api: { listen: "127.0.0.1:0" }',
          'sflow: { listen: "127.0.0.1:0" }',
          'netflow: { listen: "127.0.0.1:0" }',
          'ipfix: { listen: "127.0.0.1:0" }',
          `snmp: { traps: { listen: "127.0.0.1:${taken.address().port}" } }`,
          `storage: { dataDir: "${join(dir, 'taken-data')}" }`,
        ].join('\n'),
      );
      const r = await canopyAsync(['collector', '--config', cfg]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^canopy: component snmp failed to start: .*EADDRINUSE/m);
      const events = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; component?: string })
        .filter((l) => l.msg === 'component started' || l.msg === 'component stopped')
        .map((l) => `${l.msg.split(' ')[1]} ${l.component}`);
      expect(events).toEqual([
        'started flows',
        'started sflow',
        'started netflow',
        'started reconcile',
        'started stitch',
        'stopped stitch',
        'stopped reconcile',
        'stopped netflow',
        'stopped sflow',
        'stopped flows',
      ]);
      expect(r.stdout).toContain('"component":"snmp","msg":"collector failed to start"');
    } finally {
      taken.close();
    }
  });
});
