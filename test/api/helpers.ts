// Builds a real collector (SQLite store in a temp dir, real API server on an ephemeral port).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { Collector } from '../../src/collector.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { defaultComponents } from '../../src/components.ts';

export interface TestCollector {
  collector: Collector;
  base: string;
  ws: string;
  dir: string;
  stop(keepDir?: boolean): Promise<void>;
}

export async function startTestCollector(overrides: Record<string, unknown> = {}, configFile?: string): Promise<TestCollector> {
  const dir = (overrides['storage.dataDir'] as string | undefined) ?? mkdtempSync(join(tmpdir(), 'canopy-api-'));
  // Every listener on an ephemeral loopback port: tests run in parallel and must not collide.
  const config = loadConfig({
    env: {},
    file: configFile,
    overrides: {
      'api.listen': '127.0.0.1:0',
      'sflow.listen': '127.0.0.1:0',
      'netflow.listen': '127.0.0.1:0',
      'ipfix.listen': '127.0.0.1:0',
      'snmp.traps.listen': '127.0.0.1:0',
      ...overrides,
      'storage.dataDir': dir,
    },
  });
  const collector = new Collector({
    config,
    configFile,
    log: silentLogger(),
    registry: createRegistry(false),
    components: defaultComponents(),
  });
  await collector.start();
  const addr = collector.apiAddresses[0]!;
  return {
    collector,
    dir,
    base: `http://${addr}`,
    ws: `ws://${addr}`,
    async stop(keepDir = false) {
      await collector.stop();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
