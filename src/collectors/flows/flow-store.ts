// Flow storage in the collector's SQLite database (docs/architecture.md#flows): flow-table flushes for a short
// window, 1-minute rollups for longer, both written in one transaction per flush.
import type { Database, Statement } from 'better-sqlite3';
import { etherTypeName, ipProtocolName } from '../common/protocol-names.ts';

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
  /** L2 header of the sampled frame ('' / 0 when the source does not report it, e.g. most NetFlow). */
  srcMac: string;
  dstMac: string;
  etherType: number;
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

/**
 * What makes a flow a host's (or a host interface's): seen on one of its TOR ports with one of its
 * MACs or addresses; with no TOR port known, any flow with one of its addresses.
 */
export interface HostScope {
  ports: string[];
  macs: string[];
  addrs: string[];
}

export interface FlowQuery {
  exporter?: string;
  /** A port, switch or exporter node: flows whose device or in/out port is it. */
  node?: string;
  /** Several such nodes (the Flows() query step); OR-ed with `hosts`. */
  nodes?: string[];
  /** Hosts (or host interfaces) by their scope; OR-ed with `nodes`. */
  hosts?: HostScope[];
  /** An IP address or MAC as source or destination. */
  addr?: string;
  /** An IP address or MAC as source. */
  src?: string;
  /** An IP address or MAC as destination. */
  dst?: string;
  port?: number;
  proto?: number;
  from?: number;
  to?: number;
  top?: number;
}

export interface FlowRow extends FlowKey {
  /** IANA keyword of `proto` ('' when no IP protocol was seen). */
  protoName: string;
  /** Name of `etherType` ('' when none was seen). */
  etherTypeName: string;
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

const KEY_COLS = 'protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type';
const L2_COLS = `src_mac TEXT NOT NULL DEFAULT '', dst_mac TEXT NOT NULL DEFAULT '', ether_type INTEGER NOT NULL DEFAULT 0`;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Stores made before the L2 columns existed get them (the rollup's key changes: it is rebuilt). */
function migrate(db: Database): void {
  const has = (table: string, col: string) => db.prepare(`SELECT 1 FROM pragma_table_info('${table}') WHERE name = ?`).get(col) !== undefined;
  const exists = (table: string) => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
  db.transaction(() => {
    if (exists('flows') && !has('flows', 'src_mac')) {
      for (const c of L2_COLS.split(', ')) db.exec(`ALTER TABLE flows ADD COLUMN ${c}`);
    }
    if (exists('flows_1m') && !has('flows_1m', 'src_mac')) {
      db.exec('DROP INDEX IF EXISTS flows_1m_device; ALTER TABLE flows_1m RENAME TO flows_1m_pre_l2');
      db.exec(ROLLUP_TABLE);
      const old = 'protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto, src_port, dst_port';
      db.exec(`INSERT INTO flows_1m(minute, ${old}, bytes, packets, flows) SELECT minute, ${old}, bytes, packets, flows FROM flows_1m_pre_l2; DROP TABLE flows_1m_pre_l2`);
    }
  })();
}

const ROLLUP_TABLE = `CREATE TABLE IF NOT EXISTS flows_1m (
        minute INTEGER NOT NULL,
        protocol TEXT NOT NULL, exporter TEXT NOT NULL, device_id TEXT NOT NULL, in_if INTEGER NOT NULL, out_if INTEGER NOT NULL,
        in_port_id TEXT, out_port_id TEXT, vlan INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
        proto INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL, ${L2_COLS},
        bytes INTEGER NOT NULL, packets INTEGER NOT NULL, flows INTEGER NOT NULL,
        PRIMARY KEY (minute, protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type)
      );`;

export class FlowStore {
  private readonly ins: Statement;
  private readonly maxRowid: Statement;
  private readonly roll: Statement;
  private readonly pruneWindow: Statement;
  private readonly pruneRollup: Statement;
  private readonly repoint: Statement[];

  constructor(private readonly db: Database) {
    migrate(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS flows (
        first INTEGER NOT NULL, last INTEGER NOT NULL,
        protocol TEXT NOT NULL, exporter TEXT NOT NULL, device_id TEXT NOT NULL, in_if INTEGER NOT NULL, out_if INTEGER NOT NULL,
        in_port_id TEXT, out_port_id TEXT, vlan INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
        proto INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL, ${L2_COLS},
        bytes INTEGER NOT NULL, packets INTEGER NOT NULL, flows INTEGER NOT NULL,
        sampling_rate INTEGER NOT NULL, sampling_missing INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS flows_last ON flows(last);
      CREATE INDEX IF NOT EXISTS flows_device ON flows(device_id, last);
      CREATE INDEX IF NOT EXISTS flows_in_port ON flows(in_port_id, last);
      CREATE INDEX IF NOT EXISTS flows_out_port ON flows(out_port_id, last);
      CREATE INDEX IF NOT EXISTS flows_src ON flows(src_addr, last);
      CREATE INDEX IF NOT EXISTS flows_dst ON flows(dst_addr, last);
      ${ROLLUP_TABLE}
      CREATE INDEX IF NOT EXISTS flows_1m_device ON flows_1m(device_id, minute);
    `);
    this.ins = db.prepare(`INSERT INTO flows(first, last, ${KEY_COLS}, bytes, packets, flows, sampling_rate, sampling_missing)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
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
          e.proto, e.srcPort, e.dstPort, e.srcMac, e.dstMac, e.etherType, e.bytes, e.packets, e.flows, e.samplingRate, e.samplingMissing ? 1 : 0);
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

  /** Flows recorded against merged-away node IDs are moved to the canonical ones (docs/architecture.md#identity). */
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
    let n = 0;
    /** A bound list "@v0, @v1 …" of values. */
    const list = (vals: readonly string[]) => vals.map((v) => {
      const k = `v${n++}`;
      p[k] = v;
      return `@${k}`;
    }).join(', ');
    /** An address or MAC as source, destination or either. */
    const endpoint = (v: string, side: 'src' | 'dst' | 'any') => {
      const col = MAC.test(v) ? 'mac' : 'addr';
      const k = `v${n++}`;
      p[k] = v;
      return side === 'any' ? `(src_${col} = @${k} OR dst_${col} = @${k})` : `${side}_${col} = @${k}`;
    };
    if (q.exporter) { where.push('exporter = @exporter'); p.exporter = q.exporter; }
    if (q.node) { where.push('(device_id = @node OR in_port_id = @node OR out_port_id = @node)'); p.node = q.node; }
    if (q.nodes || q.hosts) {
      const any: string[] = [];
      if (q.nodes?.length) {
        const l = list(q.nodes);
        any.push(`device_id IN (${l}) OR in_port_id IN (${l}) OR out_port_id IN (${l})`);
      }
      for (const h of q.hosts ?? []) {
        const who: string[] = [];
        if (h.macs.length) {
          const l = list(h.macs);
          who.push(`src_mac IN (${l}) OR dst_mac IN (${l})`);
        }
        if (h.addrs.length) {
          const l = list(h.addrs);
          who.push(`src_addr IN (${l}) OR dst_addr IN (${l})`);
        }
        if (who.length === 0) continue;
        if (h.ports.length === 0) {
          // Without a known TOR port only addresses place a flow (a MAC is seen on every L2 hop).
          if (h.addrs.length) any.push(who[who.length - 1]!);
          continue;
        }
        const l = list(h.ports);
        any.push(`(in_port_id IN (${l}) OR out_port_id IN (${l})) AND (${who.join(' OR ')})`);
      }
      if (any.length === 0) return [];
      where.push(`(${any.map((c) => `(${c})`).join(' OR ')})`);
    }
    if (q.addr) where.push(endpoint(q.addr, 'any'));
    if (q.src) where.push(endpoint(q.src, 'src'));
    if (q.dst) where.push(endpoint(q.dst, 'dst'));
    if (q.port !== undefined) { where.push('(src_port = @port OR dst_port = @port)'); p.port = q.port; }
    if (q.proto !== undefined) { where.push('proto = @proto'); p.proto = q.proto; }
    if (q.from !== undefined) { where.push(`${tLast} >= @from`); p.from = useRollup ? Math.floor(q.from / 60_000) * 60_000 : q.from; }
    if (q.to !== undefined) { where.push(`${tFirst} <= @to`); p.to = q.to; }
    p.top = q.top ?? 100;
    const sql = `SELECT protocol, exporter, device_id AS deviceId, in_if AS inIf, out_if AS outIf, in_port_id AS inPortId, out_port_id AS outPortId,
        vlan, src_addr AS srcAddr, dst_addr AS dstAddr, proto, src_port AS srcPort, dst_port AS dstPort,
        src_mac AS srcMac, dst_mac AS dstMac, ether_type AS etherType,
        sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows, min(${tFirst}) AS first, max(${tLast}) AS last
      FROM ${table} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      GROUP BY protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type
      ORDER BY bytes DESC LIMIT @top`;
    const rows = this.db.prepare(sql).all(p) as FlowRow[];
    for (const r of rows) {
      r.protoName = ipProtocolName(r.proto);
      r.etherTypeName = etherTypeName(r.etherType);
    }
    return rows;
  }
}
