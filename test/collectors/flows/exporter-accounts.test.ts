// The per-exporter accounting sFlow and NetFlow share: status entries per (protocol, exporter),
// sequence gaps, and Prometheus counts that arrive once per drain turn.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { FlowPipeline } from '../../../src/collectors/flows/pipeline.ts';
import { ExporterAccounts } from '../../../src/collectors/flows/exporter-accounts.ts';
import { createRegistry } from '../../../src/util/metrics.ts';
import { silentLogger } from '../../../src/util/log.ts';
import type { Registry } from 'prom-client';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

function setup(): { pipeline: FlowPipeline; registry: Registry } {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-accounts-'));
  const config = loadConfig({ env: {}, overrides: { 'storage.dataDir': dir } });
  const storage = openSqliteStorage({ path: join(dir, 'graph.db') });
  const registry = createRegistry(false);
  const pipeline = new FlowPipeline(config, storage, registry, silentLogger());
  cleanup = () => {
    pipeline.stop();
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { pipeline, registry };
}

async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('per-exporter accounting', () => {
  it('keeps one status entry per protocol and exporter, and counts in Prometheus only at flush', async () => {
    const { pipeline, registry } = setup();
    const acc = new ExporterAccounts(pipeline, registry, { sequenced: false });
    const a = acc.datagram('netflow9', '192.0.2.1', 1000);
    acc.records(a, 5);
    const b = acc.datagram('netflow9', '192.0.2.1', 2000);
    acc.records(b, 3);
    acc.datagram('ipfix', '192.0.2.1', 2000);
    expect(b).toBe(a);
    expect(a.stats).toMatchObject({ protocol: 'netflow9', address: '192.0.2.1', datagrams: 2, records: 8 });
    expect(await sample(registry, 'canopy_exporter_datagrams_total', { protocol: 'netflow9', exporter: '192.0.2.1' })).toBeUndefined();
    acc.flush();
    expect(await sample(registry, 'canopy_exporter_datagrams_total', { protocol: 'netflow9', exporter: '192.0.2.1' })).toBe(2);
    expect(await sample(registry, 'canopy_exporter_datagrams_total', { protocol: 'ipfix', exporter: '192.0.2.1' })).toBe(1);
    expect(await sample(registry, 'canopy_datagrams_received_total', { protocol: 'netflow9' })).toBe(2);
    expect(await sample(registry, 'canopy_flow_records_total', { protocol: 'netflow9' })).toBe(8);
    // A second flush with nothing new adds nothing.
    acc.flush();
    expect(await sample(registry, 'canopy_datagrams_received_total', { protocol: 'netflow9' })).toBe(2);
    // Unsequenced sources leave the gap series alone.
    expect(await sample(registry, 'canopy_sequence_gaps_total', { protocol: 'netflow9', exporter: '192.0.2.1' })).toBeUndefined();
  });

  it('counts datagrams lost per sequence space; restarts and wrap-arounds are not losses', async () => {
    const { pipeline, registry } = setup();
    const acc = new ExporterAccounts(pipeline, registry, { sequenced: true });
    const a = acc.datagram('sflow', '10.0.0.1', 1000);
    // The new exporter's gap series exists at 0.
    expect(await sample(registry, 'canopy_sequence_gaps_total', { protocol: 'sflow', exporter: '10.0.0.1' })).toBe(0);
    for (const [space, seq] of [
      [0, 10],
      [0, 11],
      [1, 500],
      [0, 15],
      [1, 501],
      [0, 3],
      [0, 4],
      [1, 2 ** 31 + 600],
      [1, 2 ** 31 + 602],
    ] as const)
      acc.sequence(a, space, seq);
    // 12..14 lost in space 0, 2^31+601 in space 1; the step back to 3 and the jump of 2^31 are restarts.
    expect(a.stats.sequenceGaps).toBe(4);
    expect(await sample(registry, 'canopy_sequence_gaps_total', { protocol: 'sflow', exporter: '10.0.0.1' })).toBe(4);
  });

  it('counts decode errors per protocol and code, and on the exporter', async () => {
    const { pipeline, registry } = setup();
    const acc = new ExporterAccounts(pipeline, registry, { sequenced: false });
    const a = acc.datagram('ipfix', '192.0.2.9', 1000);
    acc.decodeError(a, 'bad-length', 'netflow', '192.0.2.9', 'IPFIX length 3', 'NetFlow/IPFIX decode error');
    acc.decodeError(a, 'bad-length', 'netflow', '192.0.2.9', 'IPFIX length 3', 'NetFlow/IPFIX decode error');
    expect(a.stats.decodeErrors).toBe(2);
    expect(await sample(registry, 'canopy_decode_errors_total', { protocol: 'ipfix', code: 'bad-length' })).toBe(2);
  });
});
