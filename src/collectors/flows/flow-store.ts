// Flow storage in the collector's SQLite database (DESIGN §8): flow-table flushes for a short
// window, 1-minute rollups for longer, both written in one transaction per flush.
import type { Database, Statement } from 'better-sqlite3';

export interface FlowKey {
  protocol: string;
  exporter: string;
  deviceId: string;
  inIf: number;
  outIf: number;
  inPortId: string | null;
  outPortId: string | null;
  vlan: number;
  srcAddr: string;
  dstAddr: string;
  proto: number;
  srcPort: number;
  dstPort: number;
}

export interface FlowEntry extends FlowKey {
  first: number;
  last: number;
  /** Scaled by the sampling rate. */
  bytes: number;
  packets: number;
  /** Records aggregated (not scaled). */
  flows: number;
  samplingRate: number;
  samplingMissing: boolean;
}

export interface FlowQuery {
  exporter?: string;
  /** A port, switch or exporter node: flows whose device or in/out port is it. */
  node?: string;
  /** Several such nodes (the Flows() query step). */
  nodes?: string[];
  addr?: string;
  port?: number;
  proto?: number;
  from?: number;
  to?: number;
  top?: number;
}

export interface FlowRow extends FlowKey {
  bytes: number;
  packets: number;
  flows: number;
  first: number;
  last: number;
}

/** One entry's node references after merges (old ID → canonical ID). */
export function repointEntry(e: FlowKey, moved: ReadonlyMap<string, string>): void {
  e.deviceId = moved.get(e.deviceId) ?? e.deviceId;
  if (e.inPortId !== null) e.inPortId = moved.get(e.inPortId) ?? e.inPortId;
  if (e.outPortId !== null) e.outPortId = moved.get(e.outPortId) ?? e.outPortId;
}

const KEY_COLS = 'protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto, src_port, dst_port';

export class FlowStore {
  private readonly ins: Statement;
  private readonly maxRowid: Statement;
  private readonly roll: Statement;
  private readonly pruneWindow: Statement;
  private readonly pruneRollup: Statement;
  private readonly repoint: Statement[];

  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS flows (
        first INTEGER NOT NULL, last INTEGER NOT NULL,
        protocol TEXT NOT NULL, exporter TEXT NOT NULL, device_id TEXT NOT NULL, in_if INTEGER NOT NULL, out_if INTEGER NOT NULL,
        in_port_id TEXT, out_port_id TEXT, vlan INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
        proto INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL,
        bytes INTEGER NOT NULL, packets INTEGER NOT NULL, flows INTEGER NOT NULL,
        sampling_rate INTEGER NOT NULL, sampling_missing INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS flows_last ON flows(last);
      CREATE INDEX IF NOT EXISTS flows_device ON flows(device_id, last);
      CREATE INDEX IF NOT EXISTS flows_in_port ON flows(in_port_id, last);
      CREATE INDEX IF NOT EXISTS flows_out_port ON flows(out_port_id, last);
      CREATE INDEX IF NOT EXISTS flows_src ON flows(src_addr, last);
      CREATE INDEX IF NOT EXISTS flows_dst ON flows(dst_addr, last);
      CREATE TABLE IF NOT EXISTS flows_1m (
        minute INTEGER NOT NULL,
        protocol TEXT NOT NULL, exporter TEXT NOT NULL, device_id TEXT NOT NULL, in_if INTEGER NOT NULL, out_if INTEGER NOT NULL,
        in_port_id TEXT, out_port_id TEXT, vlan INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
        proto INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL,
        bytes INTEGER NOT NULL, packets INTEGER NOT NULL, flows INTEGER NOT NULL,
        PRIMARY KEY (minute, protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port)
      );
      CREATE INDEX IF NOT EXISTS flows_1m_device ON flows_1m(device_id, minute);
    `);
    this.ins = db.prepare(`INSERT INTO flows(first, last, ${KEY_COLS}, bytes, packets, flows, sampling_rate, sampling_missing)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
    this.maxRowid = db.prepare('SELECT max(rowid) AS r FROM flows');
    // "WHERE true" keeps SQLite's upsert parser from reading ON CONFLICT as a join constraint.
    this.roll = db.prepare(`INSERT INTO flows_1m(minute, ${KEY_COLS}, bytes, packets, flows)
      SELECT (last / 60000) * 60000, ${KEY_COLS}, bytes, packets, flows FROM flows WHERE rowid > ? AND true
      ON CONFLICT DO UPDATE SET bytes = bytes + excluded.bytes, packets = packets + excluded.packets, flows = flows + excluded.flows,
        device_id = excluded.device_id, in_port_id = excluded.in_port_id, out_port_id = excluded.out_port_id`);
    // Bounded deletes: a window's worth of rows removed at once would stall the receive path.
    this.pruneWindow = db.prepare('DELETE FROM flows WHERE rowid IN (SELECT rowid FROM flows WHERE last < ? LIMIT ?)');
    this.pruneRollup = db.prepare('DELETE FROM flows_1m WHERE rowid IN (SELECT rowid FROM flows_1m WHERE minute < ? LIMIT ?)');
    // @moved is a JSON object old ID → canonical ID: one statement per column whatever the count.
    this.repoint = ['flows', 'flows_1m'].flatMap((t) => ['device_id', 'in_port_id', 'out_port_id'].map((c) => db.prepare(
      `UPDATE ${t} SET ${c} = (SELECT value FROM json_each(@moved) WHERE key = ${t}.${c}) WHERE ${c} IN (SELECT key FROM json_each(@moved))`)));
  }

  /** One transaction; the rollup is folded in by one statement over the new rows. */
  write(entries: readonly FlowEntry[]): number {
    return this.writeSome(entries, 0, Infinity);
  }

  /**
   * Writes entries from `start` in one transaction until they run out or `deadline`
   * (performance.now()) passes; returns the index after the last row written.
   */
  writeSome(entries: readonly FlowEntry[], start: number, deadline: number): number {
    let i = start;
    if (i >= entries.length) return i;
    this.db.transaction(() => {
      const from = (this.maxRowid.get() as { r: number | null }).r ?? 0;
      for (; i < entries.length; i++) {
        const e = entries[i]!;
        this.ins.run(e.first, e.last, e.protocol, e.exporter, e.deviceId, e.inIf, e.outIf, e.inPortId, e.outPortId, e.vlan, e.srcAddr, e.dstAddr,
          e.proto, e.srcPort, e.dstPort, e.bytes, e.packets, e.flows, e.samplingRate, e.samplingMissing ? 1 : 0);
        // Checking the clock every row would cost more than it saves.
        if ((i & 31) === 31 && performance.now() > deadline) {
          i++;
          break;
        }
      }
      this.roll.run(from);
    })();
    return i;
  }

  /** Flows recorded against merged-away node IDs are moved to the canonical ones (DESIGN §4). */
  repointNodes(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0) return;
    const json = JSON.stringify(Object.fromEntries(moved));
    this.db.transaction(() => {
      for (const s of this.repoint) s.run({ moved: json });
    })();
  }

  /** Deletes up to `limit` rows older than the cuts; returns how many went (0: nothing left). */
  prune(windowCut: number, rollupCut: number, limit = Number.MAX_SAFE_INTEGER): number {
    const a = this.pruneWindow.run(windowCut, limit).changes;
    const b = this.pruneRollup.run(rollupCut, limit).changes;
    return a + b;
  }

  /** Flows aggregated over the key, biggest first. Uses rollups for ranges beyond the window. */
  query(q: FlowQuery, windowStart: number): FlowRow[] {
    const useRollup = q.from !== undefined && q.from < windowStart;
    const table = useRollup ? 'flows_1m' : 'flows';
    const tFirst = useRollup ? 'minute' : 'first';
    const tLast = useRollup ? 'minute' : 'last';
    const where: string[] = [];
    const p: Record<string, unknown> = {};
    if (q.exporter) { where.push('exporter = @exporter'); p.exporter = q.exporter; }
    if (q.node) { where.push('(device_id = @node OR in_port_id = @node OR out_port_id = @node)'); p.node = q.node; }
    if (q.nodes) {
      if (q.nodes.length === 0) return [];
      const names = q.nodes.map((id, i) => {
        p[`n${i}`] = id;
        return `@n${i}`;
      });
      const list = names.join(', ');
      where.push(`(device_id IN (${list}) OR in_port_id IN (${list}) OR out_port_id IN (${list}))`);
    }
    if (q.addr) { where.push('(src_addr = @addr OR dst_addr = @addr)'); p.addr = q.addr; }
    if (q.port !== undefined) { where.push('(src_port = @port OR dst_port = @port)'); p.port = q.port; }
    if (q.proto !== undefined) { where.push('proto = @proto'); p.proto = q.proto; }
    if (q.from !== undefined) { where.push(`${tLast} >= @from`); p.from = useRollup ? Math.floor(q.from / 60_000) * 60_000 : q.from; }
    if (q.to !== undefined) { where.push(`${tFirst} <= @to`); p.to = q.to; }
    p.top = q.top ?? 100;
    const sql = `SELECT protocol, exporter, device_id AS deviceId, in_if AS inIf, out_if AS outIf, in_port_id AS inPortId, out_port_id AS outPortId,
        vlan, src_addr AS srcAddr, dst_addr AS dstAddr, proto, src_port AS srcPort, dst_port AS dstPort,
        sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows, min(${tFirst}) AS first, max(${tLast}) AS last
      FROM ${table} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      GROUP BY protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port
      ORDER BY bytes DESC LIMIT @top`;
    return this.db.prepare(sql).all(p) as FlowRow[];
  }
}
