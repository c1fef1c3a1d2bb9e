// What every receive/decode worker's batch builder shares (sflow/worker-batch.ts,
// netflow/worker-batch.ts): a row of numbers per datagram and per fast-path record in two
// Float64Arrays whose buffers are transferred, texts once per batch in a string table, the rare
// parts as JSON, and the receive losses since the last batch.

/** Addresses at or above this in a record row are an index into the batch's strings (IPv6 text). */
export const TEXT_KEY = 2 ** 48;

/** One batch as it crosses to the main thread. */
export interface WorkerBatch {
  type: 'batch';
  datagrams: number;
  dgs: Float64Array;
  rows: Float64Array;
  strings: string[];
  /**
   * The protocol's per-datagram extras as JSON: V8 writes and reads it several times faster than
   * structured clone copies objects of fifty fields (a decoded flow record).
   */
  extras: string;
  /** Receive losses since the last batch (socket overflow, cut datagrams) and handler failures. */
  socketOverflow: number;
  truncated: number;
  handlerErrors: number;
}

export abstract class WorkerBatchBase<Extra> {
  protected dgs: Float64Array<ArrayBuffer>;
  protected rows: Float64Array<ArrayBuffer>;
  protected nDg = 0;
  protected nRows = 0;
  protected strings: string[] = [];
  protected index = new Map<string, number>();
  protected extras: Extra[] = [];
  socketOverflow = 0;
  truncated = 0;
  handlerErrors = 0;

  constructor(
    /** Numbers per datagram row. */
    private readonly dgWidth: number,
    /** Numbers per record row. */
    private readonly rowWidth: number,
  ) {
    this.dgs = new Float64Array(64 * dgWidth);
    this.rows = new Float64Array(64 * rowWidth);
  }

  get datagrams(): number {
    return this.nDg;
  }

  get pendingLoss(): boolean {
    return this.socketOverflow + this.truncated + this.handlerErrors > 0;
  }

  protected str(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  addrKey(s: string): number {
    return TEXT_KEY + this.str(s);
  }

  /** Offset of a new record row (the array grown when full). */
  protected nextRow(): number {
    if ((this.nRows + 1) * this.rowWidth > this.rows.length) this.rows = grow(this.rows);
    return this.nRows++ * this.rowWidth;
  }

  /** Offset of a new datagram row. */
  protected nextDatagram(): number {
    if ((this.nDg + 1) * this.dgWidth > this.dgs.length) this.dgs = grow(this.dgs);
    return this.nDg++ * this.dgWidth;
  }

  /** The batch so far (its buffers to transfer), and a fresh start; subclasses reset their own state too. */
  take(): { batch: WorkerBatch; transfer: ArrayBuffer[] } {
    const batch: WorkerBatch = {
      type: 'batch',
      datagrams: this.nDg,
      dgs: this.dgs,
      rows: this.rows,
      strings: this.strings,
      extras: this.extras.length ? JSON.stringify(this.extras) : '',
      socketOverflow: this.socketOverflow,
      truncated: this.truncated,
      handlerErrors: this.handlerErrors,
    };
    const transfer = [this.dgs.buffer, this.rows.buffer];
    // The next batch starts at the size this one needed: no growing in steady state, no big
    // allocations for small batches.
    this.dgs = new Float64Array(Math.max(64, this.nDg) * this.dgWidth);
    this.rows = new Float64Array(Math.max(64, this.nRows) * this.rowWidth);
    this.nDg = this.nRows = 0;
    this.strings = [];
    this.index = new Map();
    this.extras = [];
    this.socketOverflow = this.truncated = this.handlerErrors = 0;
    return { batch, transfer };
  }
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
