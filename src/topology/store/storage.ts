// Everything Canopy persists, behind one seam. SQLite implements it (sqlite-storage.ts); a network
// backend implements the same interfaces and must pass test/topology/store/conformance.ts.
// Why reads stay synchronous: docs/architecture.md, "Storage".
import type { AlertRuleStore } from './alert-rules.ts';
import type { CaptureStore } from './captures.ts';
import type { FlowRecordStore } from './flow-records.ts';
import type { GraphStore } from './graph-store.ts';
import type { PortSeriesStore } from './port-series.ts';
import type { SnmpDeviceStore, SnmpObservationStore } from './snmp-rows.ts';
import type { StitchInputStore } from './stitch-inputs.ts';
import type { NetflowTemplateStore } from './templates.ts';

export interface Storage {
  readonly graph: GraphStore;
  readonly flows: FlowRecordStore;
  readonly portSeries: PortSeriesStore;
  readonly templates: NetflowTemplateStore;
  readonly snmpDevices: SnmpDeviceStore;
  readonly snmpObservations: SnmpObservationStore;
  readonly stitchInputs: StitchInputStore;
  readonly captures: CaptureStore;
  /** Alert rules created through /api/alert. */
  readonly alertRules: AlertRuleStore;
  /**
   * Resolves once everything written so far is durable. SQLite commits inside each call, so at
   * once; a backend that writes behind (to a server) resolves when its queue has drained.
   */
  flush(): Promise<void>;
  close(): void;
}

/** Opening a database written by a newer Canopy: its schema is unknown here, so it is not touched. */
export class StorageVersionError extends Error {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `${file}: schema version ${found} is newer than this Canopy supports (${supported}); ` +
        'run the Canopy version that wrote it, or point storage.dataDir at another directory',
    );
    this.name = 'StorageVersionError';
  }
}
