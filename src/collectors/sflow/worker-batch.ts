// What an sFlow receive/decode worker (worker.ts) hands the main thread: per datagram one row of
// numbers (source, agent, sequence, sample counts …) and per fast-path flow sample one row of key
// numbers, in two Float64Arrays whose buffers are transferred, not copied. Texts (exporter and
// source addresses, IPv6 flow addresses) go once per batch in a small string table. The rare parts
// (general-path flow records, counter records, decode errors) travel as plain objects.
import type { CounterRecord, FlowRecord } from '../common/flow-record.ts';
import type { FlowSink } from './fast-flow.ts';
import { formatError, type SflowDatagram } from './decode.ts';
import { WorkerBatchBase, type WorkerBatch } from '../flows/worker-batch-base.ts';
import { CounterReadings } from './counter-readings.ts';

export { TEXT_KEY } from '../flows/worker-batch-base.ts';

/** Numbers per datagram row. */
export const DG = 16;
export const DG_ADDRESS = 0;
export const DG_AGENT = 1;
export const DG_OK = 2;
export const DG_SUB = 3;
export const DG_SEQ = 4;
export const DG_AT = 5;
export const DG_FLOW_SAMPLES = 6;
export const DG_COUNTER_SAMPLES = 7;
export const DG_DROP_SAMPLES = 8;
export const DG_UNKNOWN_SAMPLES = 9;
export const DG_UNKNOWN_RECORDS = 10;
export const DG_FAST_FLOWS = 11;
/** Sample rows written up to and including this datagram. */
export const DG_ROWS_END = 12;
/** Index into `extras`, or -1. */
export const DG_EXTRA = 13;
export const DG_UPTIME = 14;
/**
 * Counter records in the datagram: those handed over, those of formats the main thread does not
 * apply, and those the counter gate turned away (walked and counted, not decoded).
 */
export const DG_COUNTER_RECORDS = 15;

/** Counter record formats the sFlow handler uses: generic interface (1), OVS datapath (1004), port name (1005). */
export const APPLIED_COUNTERS: ReadonlySet<number> = new Set([1, 1004, 1005]);

/**
 * Numbers per fast-path row: exporter (string index), FlowSink.add's arguments (bytes summed),
 * then the samples summed into the row and the receive time of the last of them. Samples of one
 * key (exporter … rate) within a batch share a row, applied where the first came: the main thread
 * does one table lookup per flow per batch instead of one per sample.
 */
export const ROW = 17;
export const ROW_RECORDS = 15;
export const ROW_LAST = 16;

export interface DatagramExtra {
  errors: { code: string; text: string }[];
  flows: FlowRecord[];
  counters: CounterRecord[];
}

export type SflowBatch = WorkerBatch;

/** Worker side: the fast path's sink, and a row per decoded datagram. */
export class SflowBatchBuilder extends WorkerBatchBase<DatagramExtra> implements FlowSink {
  /** Rows of this batch by a hash of their key; `next` chains rows whose keys hashed alike. */
  private byKey = new Map<number, number>();
  private next = new Int32Array(64);
  /** Receive time of the datagram being decoded (set before each decode). */
  at = 0;
  /**
   * The main thread's counter readings, kept here from the same datagrams in the same order
   * (SO_REUSEPORT keeps an exporter's socket on one worker): a sample of a port read less than a
   * second ago is turned away before it is decoded, copied and parsed on the main thread.
   */
  private readonly readings = new CounterReadings();
  readonly counterGate = (exporter: string, sub: number, ifIndex: number, status: number, uptime: number): boolean =>
    !this.readings.tooSoon(exporter, sub, ifIndex, this.at, uptime, status);

  constructor() {
    super(DG, ROW);
  }

  add(
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
    rate: number,
  ): void {
    const ex = this.str(exporter);
    let h = Math.imul(ex ^ (sub << 20), 0x9e3779b1);
    h = Math.imul(h ^ (src % 0x100000000), 0x85ebca6b);
    h = Math.imul(h ^ (dst % 0x100000000), 0xc2b2ae35);
    h = Math.imul(h ^ ((sp << 16) | dp), 0x27d4eb2f);
    h = Math.imul(h ^ inIf ^ (outIf << 12), 0x165667b1);
    h = Math.imul(h ^ vlan ^ (proto << 16) ^ (et << 8) ^ rate, 0x9e3779b1);
    h = Math.imul(h ^ (smac % 0x1000000) ^ (dmac % 0x1000000), 0x85ebca6b);
    h = (h ^ (h >>> 15)) & 0x3fffffff;
    const r0 = this.rows;
    const head = this.byKey.get(h);
    for (let i = head ?? -1; i >= 0; i = this.next[i]!) {
      const o = i * ROW;
      if (
        r0[o + 5] === src &&
        r0[o + 6] === dst &&
        r0[o + 8] === sp &&
        r0[o + 9] === dp &&
        r0[o + 2] === inIf &&
        r0[o + 3] === outIf &&
        r0[o] === ex &&
        r0[o + 1] === sub &&
        r0[o + 4] === vlan &&
        r0[o + 7] === proto &&
        r0[o + 10] === smac &&
        r0[o + 11] === dmac &&
        r0[o + 12] === et &&
        r0[o + 14] === rate
      ) {
        r0[o + 13] = r0[o + 13]! + bytes;
        r0[o + ROW_RECORDS] = r0[o + ROW_RECORDS]! + 1;
        r0[o + ROW_LAST] = this.at;
        return;
      }
    }
    if (this.nRows + 1 > this.next.length) {
      const n = new Int32Array(this.next.length * 2);
      n.set(this.next);
      this.next = n;
    }
    this.next[this.nRows] = head ?? -1;
    this.byKey.set(h, this.nRows);
    const o = this.nextRow();
    const r = this.rows;
    r[o] = ex;
    r[o + 1] = sub;
    r[o + 2] = inIf;
    r[o + 3] = outIf;
    r[o + 4] = vlan;
    r[o + 5] = src;
    r[o + 6] = dst;
    r[o + 7] = proto;
    r[o + 8] = sp;
    r[o + 9] = dp;
    r[o + 10] = smac;
    r[o + 11] = dmac;
    r[o + 12] = et;
    r[o + 13] = bytes;
    r[o + 14] = rate;
    r[o + ROW_RECORDS] = 1;
    r[o + ROW_LAST] = this.at;
  }

  /** After decodeSflow(data, { flowSink: this }): the datagram's row (its fast samples are already in). */
  datagram(address: string, receivedAt: number, dg: SflowDatagram): void {
    const o = this.nextDatagram();
    const d = this.dgs;
    const s = dg.stats;
    d[o + DG_ADDRESS] = this.str(address);
    d[o + DG_AGENT] = dg.agent ? this.str(dg.agent) : -1;
    d[o + DG_OK] = dg.ok ? 1 : 0;
    d[o + DG_SUB] = dg.subAgentId;
    d[o + DG_SEQ] = dg.sequence;
    d[o + DG_AT] = receivedAt;
    d[o + DG_FLOW_SAMPLES] = s.flowSamples;
    d[o + DG_COUNTER_SAMPLES] = s.counterSamples;
    d[o + DG_DROP_SAMPLES] = s.dropSamples;
    d[o + DG_UNKNOWN_SAMPLES] = s.unknownSamples;
    d[o + DG_UNKNOWN_RECORDS] = s.unknownRecords;
    d[o + DG_FAST_FLOWS] = dg.fastFlows;
    d[o + DG_ROWS_END] = this.nRows;
    d[o + DG_UPTIME] = dg.uptime;
    d[o + DG_COUNTER_RECORDS] = dg.counters.length + s.skippedCounterRecords;
    // Only the counter formats the main thread applies (component.ts applyCounters) cross over:
    // cloning a record costs more than decoding it.
    // Never the decoder's own arrays: it refills them for the next datagram.
    let counters: CounterRecord[] = NO_COUNTERS;
    if (dg.counters.length) {
      counters = dg.counters.filter((c) => APPLIED_COUNTERS.has(c.format)).map(slimCounter);
      // The readings the main thread takes (component.ts applyCounters, for a datagram it accepts).
      if (dg.ok)
        for (const c of counters)
          if (c.format === 1 && c.ifIndex)
            this.readings.take(c.exporter, c.subAgentId ?? 0, c.ifIndex, receivedAt, dg.uptime, c.ifOperStatus);
    }
    if (dg.errors.length || dg.flows.length || counters.length) {
      d[o + DG_EXTRA] = this.extras.length;
      this.extras.push({
        errors: dg.errors.map((e) => ({ code: e.code, text: formatError(e) })),
        flows: dg.flows.length ? dg.flows.map(slim) : NO_FLOWS,
        counters,
      });
    } else d[o + DG_EXTRA] = -1;
  }

  override take(): { batch: SflowBatch; transfer: ArrayBuffer[] } {
    this.byKey = new Map();
    return super.take();
  }
}

/**
 * What the main thread reads of a general-path flow record (the flow table's key and counts,
 * attribution, the sampling rate): the JSON of a full record is three times as long, and its
 * parse on the main thread was a fifth of what applying a batch cost.
 */
function slim(f: FlowRecord): FlowRecord {
  return {
    type: 'flow',
    protocol: f.protocol,
    exporter: f.exporter,
    subAgentId: f.subAgentId,
    inIf: f.inIf,
    outIf: f.outIf,
    srcVlan: f.srcVlan,
    dstVlan: f.dstVlan,
    srcAddr: f.srcAddr,
    dstAddr: f.dstAddr,
    proto: f.proto,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    srcMac: f.srcMac,
    dstMac: f.dstMac,
    etherType: f.etherType,
    bytes: f.bytes,
    packets: f.packets,
    samplingRate: f.samplingRate,
  };
}

const NO_COUNTERS: CounterRecord[] = [];
const NO_FLOWS: FlowRecord[] = [];

/** Fields of the generic interface counters (format 1) the main thread applies (component.ts). */
const GENERIC_FIELDS = [
  'ifOperStatus',
  'ifSpeed',
  'ifInOctets',
  'ifOutOctets',
  'ifInUcastPkts',
  'ifInMulticastPkts',
  'ifInBroadcastPkts',
  'ifOutUcastPkts',
  'ifOutMulticastPkts',
  'ifOutBroadcastPkts',
  'ifInErrors',
  'ifOutErrors',
  'ifInDiscards',
  'ifOutDiscards',
] as const;

/** A counter record with what applyCounters reads (port counters, state, speed, datapath, name). */
function slimCounter(c: CounterRecord): CounterRecord {
  const out: CounterRecord = {
    type: 'counter',
    protocol: c.protocol,
    exporter: c.exporter,
    subAgentId: c.subAgentId,
    format: c.format,
    ifIndex: c.ifIndex,
  };
  if (c.format === 1) for (const f of GENERIC_FIELDS) out[f] = c[f];
  else if (c.format === 1004) out.datapathId = c.datapathId;
  else if (c.format === 1005) out.portName = c.portName;
  return out;
}

/** The batch's general-path records, counter records and errors (one parse per batch). */
export function extrasOf(b: SflowBatch): DatagramExtra[] {
  return b.extras ? (JSON.parse(b.extras) as DatagramExtra[]) : [];
}
