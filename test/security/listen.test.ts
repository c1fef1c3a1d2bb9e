// With no users, tokens or agent tokens the API is open, so it may only listen on loopback: any
// other api.listen stops the collector before it binds anything, and no key or flag switches the
// rule off.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { loadConfig } from '../../src/config/load.ts';
import { Collector } from '../../src/collector.ts';
import { AuthConfigError } from '../../src/api/auth.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { defaultComponents } from '../../src/components.ts';
import { isLoopback } from '../../src/util/listen.ts';

const dir = mkdtempSync(join(tmpdir(), 'canopy-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
const canBind = (port: number, host: string) =>
  new Promise<boolean>((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });

describe('an open API only on loopback', () => {
  it('loopback means localhost or a loopback literal, never a name', () => {
    for (const h of ['localhost', '127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '', '10.0.0.1', '::ffff:10.0.0.1', '127.attacker.example', '127.0.0.1.nip.io', 'my-host'])
      expect(isLoopback(h), h).toBe(false);
  });

  it.each([['0.0.0.0:PORT'], ['[::]:PORT'], [':PORT'], ['127.attacker.example:PORT'], [['127.0.0.1:0', '0.0.0.0:PORT']]])(
    'the collector refuses api.listen %j without auth and binds nothing',
    async (listen) => {
      const port = await freePort();
      const value = Array.isArray(listen) ? listen.map((l) => l.replace('PORT', String(port))) : listen.replace('PORT', String(port));
      const config = loadConfig({
        env: {},
        overrides: {
          'api.listen': value,
          'sflow.listen': '127.0.0.1:0',
          'netflow.listen': '127.0.0.1:0',
          'ipfix.listen': '127.0.0.1:0',
          'snmp.traps.listen': '127.0.0.1:0',
          'storage.dataDir': dir,
        },
      });
      const c = new Collector({ config, log: silentLogger(), registry: createRegistry(false), components: defaultComponents() });
      await expect(c.start()).rejects.toThrow(AuthConfigError);
      expect(await canBind(port, '0.0.0.0')).toBe(true);
    },
  );

  it('no config key, env variable or flag turns the rule off; canopy collector exits 2 naming the fix', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
    const run = (args: string[], extra: Record<string, string> = {}) =>
      spawnSync(process.execPath, [resolve('bin/canopy.js'), 'collector', '--data-dir', dir, ...args], {
        encoding: 'utf8',
        env: { ...env, CANOPY_API_LISTEN: '0.0.0.0:0', ...extra },
        timeout: 60_000,
      });
    const started = run([]);
    expect(started.status).toBe(2);
    expect(started.stderr).toMatch(/api\.listen: .*not loopback-only.*add a user/);
    // Would-be switches are unknown keys: the config is strict, so they are errors, not overrides.
    for (const yaml of ['auth:\n  enabled: false\n', 'api:\n  insecure: true\n', 'api:\n  allowOpen: true\n']) {
      const f = join(dir, 'override.yml');
      writeFileSync(f, yaml);
      const r = run(['--config', f]);
      expect(r.status, yaml).toBe(2);
      expect(r.stderr).toMatch(/unknown key|not loopback-only/i);
    }
    expect(run([], { CANOPY_AUTH_ENABLED: 'false' }).status).toBe(2);
    expect(run(['--insecure']).status).toBe(2);
  });
});
