import { afterAll, describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowWorkers } from '../../src/collectors/flows/listener-config.ts';
import { ConfigError, defaultConfig, envPath, loadConfig } from '../../src/config/load.ts';
import { flowStoreKind } from '../../src/collectors/flows/flows-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'canopy-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(text: string): string {
  const p = join(dir, `c${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(p, text);
  return p;
}
function problems(fn: () => unknown): { path: string; reason: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('has the documented defaults (docs/architecture.md#configuration-and-metrics) with no file at all', () => {
    const c = defaultConfig();
    expect(c.api.listen).toBe('127.0.0.1:8082');
    expect(c.storage.dataDir).toBe('./data');
    expect(c.sflow.listen).toBe('0.0.0.0:6343');
    expect(c.netflow.listen).toBe('0.0.0.0:2055');
    expect(c.ipfix.listen).toBe('0.0.0.0:4739');
    expect(c.snmp.traps.listen).toBe('0.0.0.0:9162');
    expect(c.snmp.counterInterval).toBe(60);
    expect(c.snmp.lldpInterval).toBe(300);
    expect(c.snmp.rediscoverInterval).toBe(3600);
    expect(c.snmp.timeout).toBe(2);
    expect(c.snmp.retries).toBe(2);
    expect(c.storage.retention).toBe(7 * 86400);
    expect(c.auth.users).toEqual([]);
  });

  it('reads a file, parses durations and keeps unspecified keys at defaults', () => {
    const c = loadConfig({
      env: {},
      file: file(
        'storage:\n  retention: 2d\nsnmp:\n  counterInterval: 30s\n  devices:\n    - address: 10.0.0.1\n      community: [private, public]\n',
      ),
    });
    expect(c.storage.retention).toBe(172800);
    expect(c.snmp.counterInterval).toBe(30);
    expect(c.snmp.devices[0]).toMatchObject({ address: '10.0.0.1', port: 161, version: '2c', community: ['private', 'public'] });
    expect(c.api.listen).toBe('127.0.0.1:8082');
  });

  it('reports unknown keys with their path', () => {
    const p = problems(() => loadConfig({ env: {}, file: file('api:\n  listn: 1\nbogus: {}\nsnmp:\n  traps:\n    lisen: x\n') }));
    expect(p.map((x) => x.path).sort()).toEqual(['api.listn', 'bogus', 'snmp.traps.lisen']);
    expect(p.every((x) => x.reason === 'unknown key')).toBe(true);
  });

  it('names file, key and reason for bad values', () => {
    const f = file(
      'api:\n  listen: "127.0.0.1:99999"\nsnmp:\n  devices:\n    - address: 10.0.0.1\n      version: "3"\n      authProtocol: rot13\n',
    );
    try {
      loadConfig({ env: {}, file: f });
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain(`${f}: api.listen: "127.0.0.1:99999": port 99999 is out of range`);
      expect(msg).toContain(`${f}: snmp.devices.0.authProtocol:`);
    }
  });

  it('storage.backend: sqlite by default; postgres needs storage.postgres.url as postgres://user@host:port/db', () => {
    expect(defaultConfig().storage.backend).toBe('sqlite');
    const ok = loadConfig({
      env: {},
      file: file('storage:\n  backend: postgres\n  postgres:\n    url: postgres://canopy@db:5432/canopy\n'),
    });
    expect(ok.storage).toMatchObject({
      backend: 'postgres',
      postgres: { url: 'postgres://canopy@db:5432/canopy', statementTimeout: 15, poolSize: 4 },
    });
    expect(problems(() => loadConfig({ env: {}, file: file('storage:\n  backend: postgres\n') }))).toEqual([
      { path: 'storage.postgres.url', reason: 'required when storage.backend is postgres' },
    ]);
    expect(problems(() => loadConfig({ env: {}, file: file('storage:\n  postgres:\n    url: mysql://db/x\n') }))).toEqual([
      { path: 'storage.postgres.url', reason: 'expected postgres://user@host:port/db' },
    ]);
    expect(problems(() => loadConfig({ env: {}, file: file('storage:\n  backend: oracle\n') }))[0]!.path).toBe('storage.backend');
  });

  it('flows.store follows storage.backend unless set; clickhouse needs flows.clickhouse.url as http(s)://host:port[/database]', () => {
    const kind = (yaml: string) => flowStoreKind(loadConfig({ env: {}, file: file(yaml) }));
    expect(kind('')).toBe('sqlite');
    expect(kind('storage:\n  backend: postgres\n  postgres:\n    url: postgres://canopy@db:5432/canopy\n')).toBe('postgres');
    expect(kind('flows:\n  store: clickhouse\n  clickhouse:\n    url: http://ch:8123/canopy\n')).toBe('clickhouse');
    expect(
      loadConfig({ env: {}, file: file('flows:\n  store: clickhouse\n  clickhouse:\n    url: http://ch:8123\n') }).flows.clickhouse,
    ).toEqual({
      url: 'http://ch:8123',
      maxQueuedRows: 1_000_000,
      requestTimeout: 10,
      retention5m: 0,
      retention1h: 0,
    });
    expect(problems(() => loadConfig({ env: {}, file: file('flows:\n  store: clickhouse\n') }))).toEqual([
      { path: 'flows.clickhouse.url', reason: 'required when flows.store is clickhouse' },
    ]);
    expect(problems(() => loadConfig({ env: {}, file: file('flows:\n  clickhouse:\n    url: tcp://ch:9000\n') }))).toEqual([
      { path: 'flows.clickhouse.url', reason: 'expected http://[user[:password]@]host:port[/database]' },
    ]);
    expect(problems(() => loadConfig({ env: {}, file: file('flows:\n  store: postgres\n') }))).toEqual([
      { path: 'storage.postgres.url', reason: 'required when flows.store is postgres' },
    ]);
    expect(problems(() => loadConfig({ env: {}, file: file('flows:\n  store: mongo\n') }))[0]!.path).toBe('flows.store');
  });

  it('rejects invalid YAML with the line number', () => {
    const p = problems(() => loadConfig({ env: {}, file: file('api:\n  listen: [\n') }));
    expect(p[0]!.reason).toMatch(/not valid YAML \(line \d+\)/);
  });

  it('rejects a tag YAML does not know, with its line, instead of warning on stderr and going on', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const p = problems(() => loadConfig({ env: {}, file: file('api:\n  listen: !custom 127.0.0.1:9\n') }));
      expect(p[0]!.reason).toMatch(/not valid YAML \(line 2\): .*tag/i);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('rejects a missing file', () => {
    const p = problems(() => loadConfig({ env: {}, file: join(dir, 'nope.yml') }));
    expect(p[0]!.reason).toMatch(/cannot read/);
  });

  it('applies CANOPY_* env overrides case-insensitively, parsed as YAML', () => {
    expect(envPath('CANOPY_SNMP_TRAPS_LISTEN')).toEqual(['snmp', 'traps', 'listen']);
    expect(envPath('CANOPY_STORAGE_DATADIR')).toEqual(['storage', 'dataDir']);
    expect(envPath('CANOPY_NOPE_X')).toBeUndefined();
    const c = loadConfig({
      env: {
        CANOPY_API_LISTEN: '127.0.0.1:0',
        CANOPY_STORAGE_DATADIR: '/tmp/x',
        CANOPY_SNMP_RETRIES: '5',
        CANOPY_SFLOW_LISTEN: '["127.0.0.1:1", "127.0.0.1:2"]',
        PATH: '/bin',
      },
      file: file('snmp:\n  retries: 1\n'),
    });
    expect(c.api.listen).toBe('127.0.0.1:0');
    expect(c.storage.dataDir).toBe('/tmp/x');
    expect(c.snmp.retries).toBe(5);
    expect(c.sflow.listen).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
  });

  it('sflow.workers / netflow.workers: auto by default, which is cores − 1 (at least 1), CANOPY_SFLOW_WORKERS overrides, 0 is refused', () => {
    const d = defaultConfig();
    expect([d.sflow.workers, d.netflow.workers]).toEqual(['auto', 'auto']);
    expect(loadConfig({ env: { CANOPY_SFLOW_WORKERS: '1' } }).sflow.workers).toBe(1);
    expect(flowWorkers('auto')).toBe(Math.max(1, availableParallelism() - 1));
    expect(flowWorkers(3)).toBe(3);
    const c = loadConfig({ env: { CANOPY_SFLOW_WORKERS: '2', CANOPY_NETFLOW_WORKERS: '3' } });
    expect([c.sflow.workers, c.netflow.workers]).toEqual([2, 3]);
    expect(problems(() => loadConfig({ env: { CANOPY_SFLOW_WORKERS: '0' } }))[0]!.path).toBe('sflow.workers');
    expect(problems(() => loadConfig({ env: { CANOPY_NETFLOW_WORKERS: '1.5' } }))[0]!.path).toBe('netflow.workers');
  });

  it('rejects env variables that name no key, and bad env values', () => {
    expect(problems(() => loadConfig({ env: { CANOPY_API_LISTN: 'x' } }))[0]).toEqual({
      path: 'CANOPY_API_LISTN',
      reason: 'environment variable names no config key',
    });
    expect(problems(() => loadConfig({ env: { CANOPY_SNMP_RETRIES: 'many' } }))[0]!.path).toBe('snmp.retries');
  });

  it('validates fabric DSL lines at load time', () => {
    const p = problems(() => loadConfig({ env: {}, file: file('topology:\n  fabric:\n    - "A -> B"\n    - "A -> *[Name=x]/eth0"\n') }));
    expect(p[0]!.path).toBe('topology.fabric.1');
    expect(p[0]!.reason).toMatch(/wildcard target takes a layer2 link/);
  });

  it('validates users: one of passwordHash or password, a bcrypt hash', () => {
    const p = problems(() =>
      loadConfig({ env: {}, file: file('auth:\n  users:\n    - {name: a, passwordHash: nothash}\n    - {name: b}\n') }),
    );
    expect(p.map((x) => x.path)).toEqual(['auth.users.0.passwordHash', 'auth.users.1']);
  });
});
