// Storage on one SQLite file: every store shares the connection, so a flush and the graph writes
// it causes serialise on one writer, as they did when each collector opened its own tables.
import type { Storage } from './storage.ts';
import { SqliteFlowStore } from './sqlite-flows.ts';
import { SqliteObservationStore } from './sqlite-observations.ts';
import { openSqliteDatabase, SqliteGraphStore, type SqliteStoreOptions } from './sqlite-store.ts';
import { SqlitePortSeries } from './sqlite-port-series.ts';
import { SqliteAlertRuleStore, SqliteCaptureStore, SqliteDeviceStore, SqliteStitchInputs, SqliteTemplateStore } from './sqlite-tables.ts';

export class SqliteStorage implements Storage {
  readonly graph: SqliteGraphStore;
  readonly flows: SqliteFlowStore;
  readonly portSeries: SqlitePortSeries;
  readonly templates: SqliteTemplateStore;
  readonly snmpDevices: SqliteDeviceStore;
  readonly snmpObservations: SqliteObservationStore;
  readonly stitchInputs: SqliteStitchInputs;
  readonly captures: SqliteCaptureStore;
  readonly alertRules: SqliteAlertRuleStore;

  constructor(opts: Omit<SqliteStoreOptions, 'readonly'>) {
    const db = openSqliteDatabase(opts);
    this.graph = new SqliteGraphStore(db, opts.now ?? Date.now);
    this.flows = new SqliteFlowStore(db);
    this.portSeries = new SqlitePortSeries(db);
    this.templates = new SqliteTemplateStore(db);
    this.snmpDevices = new SqliteDeviceStore(db);
    this.snmpObservations = new SqliteObservationStore(db);
    this.stitchInputs = new SqliteStitchInputs(db);
    this.captures = new SqliteCaptureStore(db);
    this.alertRules = new SqliteAlertRuleStore(db);
  }

  /** Every call commits before it returns. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.graph.close();
  }
}

/** Opens (creating or migrating) the collector's database. Read-only use: openGraphStore. */
export function openSqliteStorage(opts: Omit<SqliteStoreOptions, 'readonly'>): SqliteStorage {
  return new SqliteStorage(opts);
}
