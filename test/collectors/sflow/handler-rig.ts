// The sFlow handler on a real flow pipeline over an in-memory SQLite store, for tests that feed it
// datagrams and read the table, the port readings or the metrics.
import { Registry } from 'prom-client';
import { defaultConfig } from '../../../src/config/load.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { FlowPipeline } from '../../../src/collectors/flows/pipeline.ts';
import { createSflowHandler, type SflowHandlerOptions } from '../../../src/collectors/sflow/component.ts';
import type { ComponentContext } from '../../../src/component/contract.ts';
import { silentLogger } from '../../../src/util/log.ts';

export function sflowRig(opts: SflowHandlerOptions = {}) {
  const config = defaultConfig();
  const storage = openSqliteStorage({ path: ':memory:' });
  const registry = new Registry();
  const log = silentLogger();
  const pipeline = new FlowPipeline(config, storage, registry, log);
  const ctx = { config, store: storage.graph, storage, registry, log } as unknown as ComponentContext;
  return { pipeline, storage, registry, ...createSflowHandler(ctx, pipeline, opts) };
}
