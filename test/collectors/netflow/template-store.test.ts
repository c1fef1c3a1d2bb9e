// Templates survive a collector restart: learned → persisted in SQLite → reloaded by a new decoder.
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NetflowDecoder } from '../../../src/collectors/netflow/decoder.ts';
import { TemplateCache } from '../../../src/collectors/netflow/template-cache.ts';
import { TemplateStore } from '../../../src/collectors/netflow/template-store.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { feed, payloads } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'nfx-store-'));
  dirs.push(d);
  return join(d, 'canopy.db');
}

function decoderWithStore(path: string): { decoder: NetflowDecoder; db: Database.Database; loaded: number } {
  const storage = openSqliteStorage({ path });
  // SQLite-specific checks below read the table itself.
  const db = storage.graph.database;
  const templates = new TemplateCache();
  const loaded = new TemplateStore(storage.templates).attach(templates);
  return { decoder: new NetflowDecoder({ templates }), db, loaded };
}

describe('TemplateStore', () => {
  it('restart: data decodes without a new template (NetFlow v9 and IPFIX)', () => {
    const path = dbPath();
    const first = decoderWithStore(path);
    expect(first.loaded).toBe(0);
    feed(['goflow2__netflow_test-nfv9-template260.bin', 'logstash-codec-netflow__ipfix_test_netscaler_tpl.dat'], first.decoder);
    first.db.close();

    const second = decoderWithStore(path);
    expect(second.loaded).toBe(first.decoder.templates.size);
    const f = feed(['goflow2__netflow_test-nfv9-data260.bin', 'logstash-codec-netflow__ipfix_test_netscaler_data.dat'], second.decoder);
    expect(f.flows.filter((r) => r.protocol === 'netflow9')).toHaveLength(21);
    expect(f.flows.filter((r) => r.protocol === 'ipfix')).toHaveLength(3);
    expect(f.flows[0]).toMatchObject({ srcAddr: '198.38.120.222', bytes: 1500 });
    // Same as one decoder that never restarted (the NetScaler data also has a set for an unsent template).
    const baseline = feed([
      'goflow2__netflow_test-nfv9-template260.bin',
      'logstash-codec-netflow__ipfix_test_netscaler_tpl.dat',
      'goflow2__netflow_test-nfv9-data260.bin',
      'logstash-codec-netflow__ipfix_test_netscaler_data.dat',
    ]);
    expect(second.decoder.stats.pendingHeld).toBe(baseline.decoder.stats.pendingHeld);
    expect(f.flows).toEqual(baseline.flows);
    second.db.close();
  });

  it('options templates keep their scope; withdrawals delete rows', () => {
    const path = dbPath();
    const a = decoderWithStore(path);
    feed(['akvorado__options-template.pcap'], a.decoder);
    const rows = a.db.prepare('SELECT template_id, options, scope_count FROM netflow_templates').all();
    expect(rows).toEqual([{ template_id: 257, options: 1, scope_count: 1 }]);
    a.decoder.templates.withdraw('192.0.2.100#v9', 0, 257);
    expect(a.db.prepare('SELECT count(*) AS n FROM netflow_templates').get()).toEqual({ n: 0 });
    a.db.close();
  });

  it('options data after a restart uses the persisted options template', () => {
    const path = dbPath();
    const a = decoderWithStore(path);
    feed(['akvorado__options-template.pcap', 'akvorado__template.pcap'], a.decoder);
    a.db.close();
    const b = decoderWithStore(path);
    const f = feed(['akvorado__options-data.pcap', 'akvorado__data.pcap'], b.decoder);
    expect(f.flows.map((r) => r.samplingRate)).toEqual([30000, 30000, 30000, 30000]);
    b.db.close();
  });

  it('skips malformed rows instead of failing the start', () => {
    const path = dbPath();
    const a = decoderWithStore(path);
    a.db.prepare("INSERT INTO netflow_templates VALUES ('x', 0, 300, 10, 0, 0, 'not json', 0)").run();
    a.db.close();
    expect(decoderWithStore(path).loaded).toBe(0);
    expect(payloads('akvorado__data.pcap').length).toBe(1);
  });
});
