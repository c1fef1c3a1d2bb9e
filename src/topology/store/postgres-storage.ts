// Storage on PostgreSQL (docs/architecture.md, "Storage"; docs/scale-out.md): the graph in memory,
// kept current by its own writes and by other collectors' through the change log; every store's
// writes queued in order on one link and sent behind; flush() resolves once they are committed.
import type { Storage } from './storage.ts';
import { PostgresLink, type LinkStats, type PostgresOptions } from './postgres-link.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { PostgresGraphStore } from './postgres-graph.ts';
import { PostgresFlowStore } from './postgres-flows.ts';
import { PostgresPortSeries } from './postgres-port-series.ts';
import { PostgresObservationStore } from './postgres-observations.ts';
import {
  PostgresAlertRuleStore,
  PostgresCaptureStore,
  PostgresDeviceStore,
  PostgresStitchInputs,
  PostgresTemplateStore,
} from './postgres-tables.ts';

export interface PostgresStorageOptions extends PostgresOptions {
  now?: () => number;
  /** Write retries, failures and change-feed outages (the collector logs them, rate-limited). */
  onProblem?: (what: 'retry' | 'failed' | 'feed-down', error: string) => void;
}

export class PostgresStorage implements Storage {
  readonly graph: PostgresGraphStore;
  readonly flows: PostgresFlowStore;
  readonly portSeries: PostgresPortSeries;
  readonly templates: PostgresTemplateStore;
  readonly snmpDevices: PostgresDeviceStore;
  readonly snmpObservations: PostgresObservationStore;
  readonly stitchInputs: PostgresStitchInputs;
  readonly captures: PostgresCaptureStore;
  readonly alertRules: PostgresAlertRuleStore;
  private readonly link: PostgresLink;

  constructor(opts: PostgresStorageOptions) {
    const link = (this.link = new PostgresLink(opts));
    if (opts.onProblem) link.onProblem = opts.onProblem;
    try {
      migratePostgres(link);
      this.graph = new PostgresGraphStore(link, opts.now ?? Date.now);
    } catch (e) {
      link.abort();
      throw e;
    }
    this.flows = new PostgresFlowStore(link);
    this.portSeries = new PostgresPortSeries(link);
    this.templates = new PostgresTemplateStore(link);
    this.snmpDevices = new PostgresDeviceStore(link);
    this.snmpObservations = new PostgresObservationStore(link);
    this.stitchInputs = new PostgresStitchInputs(link);
    this.captures = new PostgresCaptureStore(link);
    this.alertRules = new PostgresAlertRuleStore(link);
  }

  /** Queued writes, retries, failures and the change feed's state. */
  stats(): Readonly<LinkStats> {
    return this.link.stats;
  }

  flush(): Promise<void> {
    return this.link.flush();
  }

  /** Waits for the queued writes (bounded by syncTimeoutMs), then disconnects. */
  close(): void {
    this.graph.close();
    this.link.close();
  }
}

/** Connects, migrates and loads the graph (blocking until done, like opening the SQLite file). */
export function openPostgresStorage(opts: PostgresStorageOptions): PostgresStorage {
  return new PostgresStorage(opts);
}
