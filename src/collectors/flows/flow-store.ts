// The flow pipeline's view of flow storage: the stored rows (topology/store/flow-records.ts, docs/architecture.md#flows) with
// protocol and EtherType names added for the API and the query language.
import type { FlowAggregate, FlowEntry, FlowKey, FlowQuery, FlowRecordStore } from '../../topology/store/flow-records.ts';
import { etherTypeName, ipProtocolName } from '../common/protocol-names.ts';

export type { FlowEntry, FlowKey, FlowQuery, HostScope } from '../../topology/store/flow-records.ts';

export interface FlowRow extends FlowAggregate {
  /** IANA keyword of `proto` ('' when no IP protocol was seen). */
  protoName: string;
  /** Name of `etherType` ('' when none was seen). */
  etherTypeName: string;
}

/** One entry's node references after merges (old ID → canonical ID). */
export function repointEntry(e: FlowKey, moved: ReadonlyMap<string, string>): void {
  e.deviceId = moved.get(e.deviceId) ?? e.deviceId;
  if (e.inPortId !== null) e.inPortId = moved.get(e.inPortId) ?? e.inPortId;
  if (e.outPortId !== null) e.outPortId = moved.get(e.outPortId) ?? e.outPortId;
}

export class FlowStore {
  constructor(readonly records: FlowRecordStore) {}

  /** One transaction; the rollup is folded in by one statement over the new rows. */
  write(entries: readonly FlowEntry[]): number {
    return this.records.writeSome(entries, 0, Infinity);
  }

  /**
   * Writes entries from `start` in one transaction until they run out or `deadline`
   * (performance.now()) passes; returns the index after the last row written.
   */
  writeSome(entries: readonly FlowEntry[], start: number, deadline: number): number {
    return this.records.writeSome(entries, start, deadline);
  }

  /** Flows recorded against merged-away node IDs are moved to the canonical ones (docs/architecture.md#identity). */
  repointNodes(moved: ReadonlyMap<string, string>): void {
    this.records.repointNodes(moved);
  }

  /** Deletes up to `limit` rows older than the cuts; returns how many went (0: nothing left). */
  prune(windowCut: number, rollupCut: number, limit?: number): number {
    return this.records.prune(windowCut, rollupCut, limit);
  }

  /** Flows aggregated over the key, biggest first. Uses rollups for ranges beyond the window. */
  query(q: FlowQuery, windowStart: number): FlowRow[] {
    const rows = this.records.query(q, windowStart) as FlowRow[];
    for (const r of rows) {
      r.protoName = ipProtocolName(r.proto);
      r.etherTypeName = etherTypeName(r.etherType);
    }
    return rows;
  }
}
