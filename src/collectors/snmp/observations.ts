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

export type {
  ArpObservation,
  CdpObservation,
  FdbInput,
  FdbObservation,
  LldpInput,
  LldpObservation,
  RowFilter,
} from '../../topology/store/snmp-rows.ts';

export type ObservationKind = 'lldp' | 'fdb' | 'cdp' | 'arp';
export interface ObservationChange {
  kind: ObservationKind;
  device: string;
  switchId: string;
}

export class SnmpObservations {
  private readonly listeners = new Set<(c: ObservationChange) => void>();

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
