// ovsdb config and endpoints: Open vSwitch's own endpoint forms, a clear error for anything else,
// and ssl: without ovsdb.tls refused at start naming the fix. docs/architecture.md#ovsdb.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createOvsdbComponent } from '../../src/ovs/component.ts';
import { parseEndpoint } from '../../src/ovs/endpoint.ts';
import { openSqliteStorage } from '../../src/topology/store/sqlite-storage.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';

describe('ovsdb endpoints', () => {
  it('parses tcp:, ssl: (IPv4, [IPv6], names) and unix:', () => {
    expect(parseEndpoint('tcp:192.0.2.1:6640')).toMatchObject({ kind: 'tcp', host: '192.0.2.1', port: 6640 });
    expect(parseEndpoint('ssl:[2001:db8::1]:6640')).toMatchObject({ kind: 'ssl', host: '2001:db8::1', port: 6640 });
    expect(parseEndpoint('tcp:hv1.example.net:6640')).toMatchObject({ kind: 'tcp', host: 'hv1.example.net' });
    expect(parseEndpoint('unix:/var/run/openvswitch/db.sock')).toMatchObject({ kind: 'unix', path: '/var/run/openvswitch/db.sock' });
    expect(parseEndpoint('agent:hv1')).toMatchObject({ kind: 'agent', agentHost: 'hv1' });
    for (const bad of ['tcp:1.2.3.4', 'udp:1.2.3.4:6640', 'tcp:1.2.3.4:70000', 'unix:', 'ptcp:6640', 'agent:'])
      expect(() => parseEndpoint(bad), bad).toThrow(/expected|port|path|host name/);
  });

  it('the config refuses other forms and a bad sflowTarget, naming the key', () => {
    expect(() => loadConfig({ env: {}, overrides: { 'ovsdb.endpoints': ['http://x'] } })).toThrow(/ovsdb\.endpoints/);
    expect(() => loadConfig({ env: {}, overrides: { 'ovsdb.sflowTarget': 'nope' } })).toThrow(/ovsdb\.sflowTarget/);
    expect(loadConfig({ env: {}, overrides: { 'ovsdb.endpoints': ['ssl:192.0.2.1:6640', 'unix:/x'] } }).ovsdb.endpoints).toHaveLength(2);
    expect(loadConfig({ env: {}, overrides: { 'ovsdb.endpoints': ['agent:hv1'] } }).ovsdb.endpoints).toEqual(['agent:hv1']);
    expect(() => loadConfig({ env: {}, overrides: { 'ovsdb.endpoints': ['agent:'] } })).toThrow(/ovsdb\.endpoints/);
  });

  it('an agent: endpoint without host agents stops the component with the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-cfg-'));
    const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
    try {
      const config = loadConfig({ env: {}, overrides: { 'ovsdb.endpoints': ['agent:hv1'] } });
      expect(() =>
        createOvsdbComponent({ config, store: storage.graph, storage, registry: createRegistry(false), log: silentLogger() }),
      ).toThrow(/agent:hv1 needs host agents/);
    } finally {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an ssl: endpoint without ovsdb.tls stops the component with the fix named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-cfg-'));
    const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
    try {
      const config = loadConfig({ env: {}, overrides: { 'ovsdb.endpoints': ['ssl:192.0.2.1:6640'] } });
      expect(() =>
        createOvsdbComponent({ config, store: storage.graph, storage, registry: createRegistry(false), log: silentLogger() }),
      ).toThrow(/ovsdb\.tls \{key, cert, caCert\}/);
    } finally {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
