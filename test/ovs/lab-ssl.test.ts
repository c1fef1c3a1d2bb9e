// ssl: endpoints against a real ovsdb-server listening with pssl (certificates made here by
// openssl, CA-signed both ways as OVS requires): the graph syncs over TLS; a client certificate
// from another CA is refused by the server and counted, never a crash. docs/architecture.md#ovsdb.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOvsdbComponent } from '../../src/ovs/component.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openSqliteStorage, type SqliteStorage } from '../../src/topology/store/sqlite-storage.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { silentLogger } from '../../src/util/log.ts';
import { ovsMissing, startOvsPeer, type OvsPeer } from './ovs-peer.ts';

const skip = ovsMissing();

function makeCa(dir: string, name: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
}
function makeCert(dir: string, ca: string, name: string): void {
  execFileSync(
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=${name}`],
    { stdio: 'ignore' },
  );
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      join(dir, `${name}.csr`),
      '-CA',
      join(dir, `${ca}.crt`),
      '-CAkey',
      join(dir, `${ca}.key`),
      '-CAcreateserial',
      '-out',
      join(dir, `${name}.crt`),
      '-days',
      '2',
    ],
    { stdio: 'ignore' },
  );
}

describe.skipIf(skip)('ovsdb over ssl:', () => {
  let ovs: OvsPeer;
  let pki: string;
  const stores: { storage: SqliteStorage; dir: string }[] = [];
  const start = async (client: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-ssl-store-'));
    const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
    stores.push({ storage, dir });
    const config = loadConfig({
      env: {},
      overrides: {
        'ovsdb.endpoints': [ovs.ssl],
        'ovsdb.tls': { key: join(pki, `${client}.key`), cert: join(pki, `${client}.crt`), caCert: join(pki, 'ca.crt') },
        'ovsdb.reconnectMin': 0.2,
      },
    });
    const registry = createRegistry(false);
    const c = createOvsdbComponent({ config, store: storage.graph, storage, registry, log: silentLogger() });
    await c.start();
    return { c, storage, registry };
  };

  beforeAll(async () => {
    pki = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-pki-'));
    makeCa(pki, 'ca');
    makeCa(pki, 'otherca');
    makeCert(pki, 'ca', 'server');
    makeCert(pki, 'ca', 'client');
    makeCert(pki, 'otherca', 'stranger');
    ovs = await startOvsPeer({
      systemId: 'ssl-sys',
      hostname: 'hv-ssl',
      vswitchd: false,
      ssl: { key: join(pki, 'server.key'), cert: join(pki, 'server.crt'), ca: join(pki, 'ca.crt') },
    });
    await ovs.vsctl('--no-wait', 'add-br', 'brs', '--', 'add-port', 'brs', 'sp1', '--', 'set', 'interface', 'sp1', 'type=internal');
  }, 60_000);

  afterAll(async () => {
    for (const s of stores) {
      s.storage.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
    await ovs?.stop();
    if (pki) rmSync(pki, { recursive: true, force: true });
  });

  it('syncs the graph over TLS with a CA-signed client certificate', async () => {
    const { c, storage } = await start('client');
    try {
      const end = Date.now() + 10_000;
      while (Date.now() < end && storage.graph.findNodes('Type', 'ovsport').length < 2) await new Promise((r) => setTimeout(r, 25));
      expect(
        storage.graph
          .findNodes('Type', 'ovsport')
          .map((n) => n.Metadata.Name)
          .sort(),
      ).toEqual(['brs', 'sp1']);
      expect(c.endpoints[0]!.status()).toMatchObject({ synced: true, method: 'monitor_cond_since' });
    } finally {
      await c.stop();
    }
  });

  it('a client certificate from another CA is refused: counted, retried, no graph, no crash', async () => {
    const { c, storage, registry } = await start('stranger');
    try {
      const end = Date.now() + 5000;
      let closed = 0;
      while (Date.now() < end && closed < 2) {
        await new Promise((r) => setTimeout(r, 50));
        const m = await registry.getSingleMetric('canopy_ovsdb_connections_closed_total')!.get();
        closed = m.values.filter((v) => v.labels.endpoint === ovs.ssl).reduce((a, v) => a + v.value, 0);
      }
      expect(closed).toBeGreaterThanOrEqual(2);
      expect(storage.graph.findNodes('Type', 'ovsport')).toEqual([]);
      expect(c.endpoints[0]!.status()).toMatchObject({ synced: false });
    } finally {
      await c.stop();
    }
  });
});
