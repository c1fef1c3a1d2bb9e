// Builds a real collector (SQLite store in a temp dir, real API server on an ephemeral port).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { Collector } from '../../src/collector.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';

export interface TestCollector {
  collector: Collector;
  base: string;
  ws: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestCollector(overrides: Record<string, unknown> = {}, configFile?: string): Promise<TestCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-api-'));
  const config = loadConfig({ env: {}, file: configFile, overrides: { 'api.listen': '127.0.0.1:0', 'storage.dataDir': dir, ...overrides } });
  const collector = new Collector({ config, configFile, log: silentLogger(), registry: createRegistry(false) });
  await collector.start();
  const addr = collector.apiAddresses[0]!;
  return {
    collector,
    dir,
    base: `http://${addr}`,
    ws: `ws://${addr}`,
    async stop() {
      await collector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
