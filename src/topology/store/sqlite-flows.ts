// FlowRecordStore on SQLite: one transaction per flush, the rollup folded in by one statement over
// the rows just inserted; deletes bounded so retention never stalls the receive path.
import type { Database, Statement } from 'better-sqlite3';
import type { FlowAggregate, FlowEntry, FlowQuery, FlowRecordStore } from './flow-records.ts';

const KEY_COLS =
  'protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type';
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export class SqliteFlowStore implements FlowRecordStore {
  private readonly ins: Statement;
  private readonly maxRowid: Statement;
  private readonly roll: Statement;
  private readonly pruneWindow: Statement;
  private readonly pruneRollup: Statement;
  private readonly repoint: Statement[];

  constructor(private readonly db: Database) {
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
    this.repoint = ['flows', 'flows_1m'].flatMap((t) =>
      ['device_id', 'in_port_id', 'out_port_id'].map((c) =>
        db.prepare(
          `UPDATE ${t} SET ${c} = (SELECT value FROM json_each(@moved) WHERE key = ${t}.${c}) WHERE ${c} IN (SELECT key FROM json_each(@moved))`,
        ),
      ),
    );
  }

  /**
   * The database file, for a flow writer on another connection (collectors/flows/flow-writer-thread.ts);
   * undefined for an in-memory database, which no other connection can open.
   */
  get writerFile(): string | undefined {
    return this.db.memory ? undefined : this.db.name;
  }

  writeSome(entries: readonly FlowEntry[], start: number, deadline: number): number {
    let i = start;
    if (i >= entries.length) return i;
    this.db
      .transaction(() => {
        const from = (this.maxRowid.get() as { r: number | null }).r ?? 0;
        for (; i < entries.length; i++) {
          const e = entries[i]!;
          this.ins.run(
            e.first,
            e.last,
            e.protocol,
            e.exporter,
            e.deviceId,
            e.inIf,
            e.outIf,
            e.inPortId,
            e.outPortId,
            e.vlan,
            e.srcAddr,
            e.dstAddr,
            e.proto,
            e.srcPort,
            e.dstPort,
            e.srcMac,
            e.dstMac,
            e.etherType,
            e.bytes,
            e.packets,
            e.flows,
            e.samplingRate,
            e.samplingMissing ? 1 : 0,
          );
          // Checking the clock every row would cost more than it saves.
          if ((i & 31) === 31 && performance.now() > deadline) {
            i++;
            break;
          }
        }
        this.roll.run(from);
      })
      .immediate();
    return i;
  }

  repointNodes(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0) return;
    const json = JSON.stringify(Object.fromEntries(moved));
    this.db
      .transaction(() => {
        for (const s of this.repoint) s.run({ moved: json });
      })
      .immediate();
  }

  prune(windowCut: number, rollupCut: number, limit = Number.MAX_SAFE_INTEGER): number {
    const a = this.pruneWindow.run(windowCut, limit).changes;
    const b = this.pruneRollup.run(rollupCut, limit).changes;
    return a + b;
  }

  query(q: FlowQuery, windowStart: number): FlowAggregate[] {
    const useRollup = q.from !== undefined && q.from < windowStart;
    const table = useRollup ? 'flows_1m' : 'flows';
    const tFirst = useRollup ? 'minute' : 'first';
    const tLast = useRollup ? 'minute' : 'last';
    const where: string[] = [];
    const p: Record<string, unknown> = {};
    let n = 0;
    /** A bound list "@v0, @v1 …" of values. */
    const list = (vals: readonly string[]) =>
      vals
        .map((v) => {
          const k = `v${n++}`;
          p[k] = v;
          return `@${k}`;
        })
        .join(', ');
    /** An address or MAC as source, destination or either. */
    const endpoint = (v: string, side: 'src' | 'dst' | 'any') => {
      const col = MAC.test(v) ? 'mac' : 'addr';
      const k = `v${n++}`;
      p[k] = v;
      return side === 'any' ? `(src_${col} = @${k} OR dst_${col} = @${k})` : `${side}_${col} = @${k}`;
    };
    if (q.exporter) {
      where.push('exporter = @exporter');
      p.exporter = q.exporter;
    }
    if (q.node) {
      where.push('(device_id = @node OR in_port_id = @node OR out_port_id = @node)');
      p.node = q.node;
    }
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
    if (q.port !== undefined) {
      where.push('(src_port = @port OR dst_port = @port)');
      p.port = q.port;
    }
    if (q.proto !== undefined) {
      where.push('proto = @proto');
      p.proto = q.proto;
    }
    if (q.from !== undefined) {
      where.push(`${tLast} >= @from`);
      p.from = useRollup ? Math.floor(q.from / 60_000) * 60_000 : q.from;
    }
    if (q.to !== undefined) {
      where.push(`${tFirst} <= @to`);
      p.to = q.to;
    }
    p.top = q.top ?? 100;
    const sql = `SELECT protocol, exporter, device_id AS deviceId, in_if AS inIf, out_if AS outIf, in_port_id AS inPortId, out_port_id AS outPortId,
        vlan, src_addr AS srcAddr, dst_addr AS dstAddr, proto, src_port AS srcPort, dst_port AS dstPort,
        src_mac AS srcMac, dst_mac AS dstMac, ether_type AS etherType,
        sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows, min(${tFirst}) AS first, max(${tLast}) AS last
      FROM ${table} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      GROUP BY protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type
      ORDER BY bytes DESC LIMIT @top`;
    return this.db.prepare(sql).all(p) as FlowAggregate[];
  }
}
