// What a NetFlow/IPFIX receive/decode worker (worker.ts) hands the main thread, as sFlow's
// (sflow/worker-batch.ts): per datagram one row of numbers, per fast-path record (key-plan.ts) one
// row of key numbers, in Float64Arrays whose buffers are transferred; texts once per batch in a
// string table; the rare parts (records the full decoder took, decode errors) as JSON.
// Beside the batches, `SharedMessage`s carry what one worker's decoder learned that the others need.
import type { FlowRecord } from '../common/flow-record.ts';
import type { DecodeResult } from './decode-result.ts';
import { formatNetflowError } from './errors.ts';
import type { NetflowSink } from './key-plan.ts';
import type { Template } from './plan.ts';
import { WorkerBatchBase, type WorkerBatch } from '../flows/worker-batch-base.ts';

/** Numbers per datagram row. */
export const DG = 7;
export const DG_ADDRESS = 0;
/** 5, 9, 10; 0 unreadable; -1: not a datagram but held records a shared template released. */
export const DG_VERSION = 1;
export const DG_AT = 2;
/** Record rows written up to and including this datagram. */
export const DG_ROWS_END = 3;
/** Index into `extras`, or -1. */
export const DG_EXTRA = 4;
export const DG_LOST = 5;
/** Fast-path records without a known sampling rate. */
export const DG_MISSING = 6;

/** Numbers per record row: exporter and protocol (string indexes), then NetflowSink.add's numbers. */
export const ROW = 18;
/** Addresses at or above this in a row are an index into the batch's strings (IPv6 text). */
export { TEXT_KEY } from '../flows/worker-batch-base.ts';

export interface DatagramExtra {
  errors: { code: string; text: string }[];
  flows: FlowRecord[];
}

export type NetflowBatch = WorkerBatch;

/** Decoder state one worker learned, for the main thread to keep (templates persist) and pass on. */
export type SharedChange =
  | { kind: 'learn'; scope: string; domain: number; template: Template }
  | { kind: 'withdraw'; scope: string; domain: number; templateId: number }
  | { kind: 'rate'; exporter: string; domain: number; samplerId: number; rate: number }
  | { kind: 'ifname'; exporter: string; ifIndex: number; name?: string; description?: string };

export interface SharedMessage {
  type: 'shared';
  changes: SharedChange[];
}

const PROTOCOLS = ['netflow9', 'ipfix'] as const;

/** Worker side: the fast path's sink, and a row per decoded datagram. */
export class NetflowBatchBuilder extends WorkerBatchBase<DatagramExtra> implements NetflowSink {
  private missing = 0;
  private rowsEnd = 0;

  constructor() {
    super(DG, ROW);
  }

  /** Fast records added since the last datagram row (a shared template released held ones). */
  get rowsSinceDatagram(): boolean {
    return this.nRows > this.rowsEnd;
  }

  add(
    protocol: 'netflow9' | 'ipfix',
    exporter: string,
    sub: number,
    inIf: number,
    outIf: number,
    vlan: number,
    src: number,
    dst: number,
    proto: number,
    sp: number,
    dp: number,
    smac: number,
    dmac: number,
    et: number,
    bytes: number,
    packets: number,
    rate: number,
    rateMissing: boolean,
  ): void {
    const o = this.nextRow();
    const r = this.rows;
    r[o] = this.str(exporter);
    r[o + 1] = protocol === 'ipfix' ? 1 : 0;
    r[o + 2] = sub;
    r[o + 3] = inIf;
    r[o + 4] = outIf;
    r[o + 5] = vlan;
    r[o + 6] = src;
    r[o + 7] = dst;
    r[o + 8] = proto;
    r[o + 9] = sp;
    r[o + 10] = dp;
    r[o + 11] = smac;
    r[o + 12] = dmac;
    r[o + 13] = et;
    r[o + 14] = bytes;
    r[o + 15] = packets;
    r[o + 16] = rate;
    r[o + 17] = rateMissing ? 1 : 0;
    if (rateMissing) this.missing++;
  }

  /**
   * After decodeAll(data, address, flows) with this as the decoder's sink: the datagram's row (its
   * fast records are already in). `results` empty: held records a shared template released.
   */
  datagram(address: string, receivedAt: number, results: readonly DecodeResult[], flows: FlowRecord[]): void {
    const o = this.nextDatagram();
    const d = this.dgs;
    let lost = 0;
    let errors: DatagramExtra['errors'] | undefined;
    for (const r of results) {
      lost += r.lost;
      for (const e of r.errors) (errors ??= []).push({ code: e.code, text: formatNetflowError(e) });
    }
    d[o + DG_ADDRESS] = this.str(address);
    d[o + DG_VERSION] = results.length ? results[0]!.version : -1;
    d[o + DG_AT] = receivedAt;
    d[o + DG_ROWS_END] = this.rowsEnd = this.nRows;
    d[o + DG_LOST] = lost;
    d[o + DG_MISSING] = this.missing;
    this.missing = 0;
    if (errors || flows.length) {
      d[o + DG_EXTRA] = this.extras.length;
      this.extras.push({ errors: errors ?? [], flows: [...flows] });
    } else d[o + DG_EXTRA] = -1;
  }

  override take(): { batch: NetflowBatch; transfer: ArrayBuffer[] } {
    this.rowsEnd = 0;
    return super.take();
  }
}

export function protocolOfRow(v: number): 'netflow9' | 'ipfix' {
  return PROTOCOLS[v]!;
}

/** The batch's full-decoder records and errors (one parse per batch). */
export function extrasOf(b: NetflowBatch): DatagramExtra[] {
  return b.extras ? (JSON.parse(b.extras) as DatagramExtra[]) : [];
}
