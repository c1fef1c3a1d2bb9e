// What the poller saw that is not (yet) a graph element: LLDP neighbours, FDB entries and CDP
// cache rows with first/last seen, for the stitcher (docs/architecture.md#stitching). Rows not re-seen count
// `missed` polls and go away once missed exceeds the configured limit. The rows live in the
// storage module (topology/store/snmp-rows.ts); this adds the change notifications.
import type {
  ArpEntry,
  ArpObservation,
  CdpEntry,
  FdbInput,
  FdbObservation,
  CdpObservation,
  LldpInput,
  LldpObservation,
  RowFilter,
  SnmpObservationStore,
} from '../../topology/store/snmp-rows.ts';
import type { LagRow } from './parse-lag.ts';

export type {
  ArpObservation,
  CdpObservation,
  FdbInput,
  FdbObservation,
  LldpInput,
  LldpObservation,
  RowFilter,
} from '../../topology/store/snmp-rows.ts';

export type ObservationKind = 'lldp' | 'fdb' | 'cdp' | 'arp' | 'lag';
export interface ObservationChange {
  kind: ObservationKind;
  device: string;
  switchId: string;
}

export class SnmpObservations {
  private readonly listeners = new Set<(c: ObservationChange) => void>();
  /**
   * Link aggregates per switch ID, latest poll only: the stitcher keeps (and persists) its own
   * copy as its 'lag' input, so these need no table.
   */
  private readonly lags = new Map<string, LagRow[]>();

  constructor(
    private readonly store: SnmpObservationStore,
    /** Rows missed by more than this many polls are deleted. */
    private readonly keepMissed = 3,
  ) {}

  onChange(cb: (c: ObservationChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(c: ObservationChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch {
        /* a listener's bug must not stop the poller */
      }
    }
  }

  /** Replaces one device's LLDP rows with this poll's (keeping first_seen of rows seen before). */
  recordLldp(device: string, switchId: string, rows: LldpInput[], now = Date.now()): void {
    this.store.recordLldp(device, switchId, rows, now, this.keepMissed);
    this.emit({ kind: 'lldp', device, switchId });
  }

  recordFdb(device: string, switchId: string, rows: FdbInput[], now = Date.now()): void {
    this.store.recordFdb(device, switchId, rows, now, this.keepMissed);
    this.emit({ kind: 'fdb', device, switchId });
  }

  recordCdp(device: string, switchId: string, rows: CdpEntry[], now = Date.now()): void {
    this.store.recordCdp(device, switchId, rows, now, this.keepMissed);
    this.emit({ kind: 'cdp', device, switchId });
  }

  recordArp(device: string, switchId: string, rows: ArpEntry[], now = Date.now()): void {
    this.store.recordArp(device, switchId, rows, now, this.keepMissed);
    this.emit({ kind: 'arp', device, switchId });
  }

  /** Notifies only when the aggregates changed: they rarely do, and each change re-stitches. */
  recordLags(device: string, switchId: string, rows: LagRow[]): void {
    const before = this.lags.get(switchId);
    if (before && JSON.stringify(before) === JSON.stringify(rows)) return;
    this.lags.set(switchId, rows);
    this.emit({ kind: 'lag', device, switchId });
  }

  lagRows(switchId: string): LagRow[] {
    return this.lags.get(switchId) ?? [];
  }

  /** Drops a device's rows (its switch ID changed: a merge). */
  forgetDevice(device: string): void {
    this.store.forgetDevice(device);
  }

  lldpRows(f: RowFilter = {}): LldpObservation[] {
    return this.store.lldpRows(f);
  }

  fdbRows(f: RowFilter & { mac?: string } = {}): FdbObservation[] {
    return this.store.fdbRows(f);
  }

  cdpRows(f: RowFilter = {}): CdpObservation[] {
    return this.store.cdpRows(f);
  }

  arpRows(f: RowFilter & { mac?: string; ip?: string } = {}): ArpObservation[] {
    return this.store.arpRows(f);
  }
}
