// FlowRecordStore on PostgreSQL: a flush is one statement sent behind (the rows as one JSON
// parameter, the 1-minute rollup folded in by the same statement); queries and prunes are
// synchronous and run after the queued flushes. Both tables are partitioned by day
// (postgres-flow-partitions.ts): retention drops whole days, then deletes the rest in bounded steps.
import type { FlowAggregate, FlowEntry, FlowQuery, FlowRecordStore } from './flow-records.ts';
import type { PostgresLink } from './postgres-link.ts';
import { dropPastPartitions, ensureDayPartitions } from './postgres-flow-partitions.ts';

const KEY =
  'protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type';
const GROUP = 'protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type';
const TYPES = `first bigint, last bigint, protocol text, exporter text, device_id text, in_if integer, out_if integer, in_port_id text,
  out_port_id text, vlan integer, src_addr text, dst_addr text, proto integer, src_port integer, dst_port integer, src_mac text,
  dst_mac text, ether_type integer, bytes bigint, packets bigint, flows bigint, sampling_rate integer, sampling_missing boolean`;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

// Several rows of one key and minute in a flush are summed first: an upsert may touch a row once.
const FLUSH = `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${TYPES})),
  ins AS (INSERT INTO flows(first, last, ${KEY}, bytes, packets, flows, sampling_rate, sampling_missing)
          SELECT first, last, ${KEY}, bytes, packets, flows, sampling_rate, sampling_missing FROM x)
  INSERT INTO flows_1m AS r (minute, ${KEY}, bytes, packets, flows)
  SELECT (last / 60000) * 60000, protocol, exporter, max(device_id), in_if, out_if, max(in_port_id), max(out_port_id), vlan, src_addr,
    dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type, sum(bytes), sum(packets), sum(flows)
  FROM x GROUP BY (last / 60000) * 60000, ${GROUP}
  ON CONFLICT (minute, ${GROUP}) DO UPDATE SET bytes = r.bytes + excluded.bytes, packets = r.packets + excluded.packets,
    flows = r.flows + excluded.flows, device_id = excluded.device_id, in_port_id = excluded.in_port_id, out_port_id = excluded.out_port_id`;

export class PostgresFlowStore implements FlowRecordStore {
  constructor(
    private readonly link: PostgresLink,
    private readonly now: () => number = Date.now,
  ) {
    ensureDayPartitions(link, now());
  }

  writeSome(entries: readonly FlowEntry[], start: number, deadline: number): number {
    let i = start;
    if (i >= entries.length) return i;
    const rows: Record<string, unknown>[] = [];
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      rows.push({
        first: e.first,
        last: e.last,
        protocol: e.protocol,
        exporter: e.exporter,
        device_id: e.deviceId,
        in_if: e.inIf,
        out_if: e.outIf,
        in_port_id: e.inPortId,
        out_port_id: e.outPortId,
        vlan: e.vlan,
        src_addr: e.srcAddr,
        dst_addr: e.dstAddr,
        proto: e.proto,
        src_port: e.srcPort,
        dst_port: e.dstPort,
        src_mac: e.srcMac,
        dst_mac: e.dstMac,
        ether_type: e.etherType,
        bytes: e.bytes,
        packets: e.packets,
        flows: e.flows,
        sampling_rate: e.samplingRate,
        sampling_missing: e.samplingMissing,
      });
      if ((i & 31) === 31 && performance.now() > deadline) {
        i++;
        break;
      }
    }
    this.link.send([{ sql: FLUSH, params: [JSON.stringify(rows)] }]);
    return i;
  }

  repointNodes(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0) return;
    const m = JSON.stringify(Object.fromEntries(moved));
    const stmts = ['flows', 'flows_1m'].flatMap((t) =>
      ['device_id', 'in_port_id', 'out_port_id'].map((c) => ({
        sql: `UPDATE ${t} SET ${c} = $1::jsonb ->> ${c} WHERE ${c} IN (SELECT jsonb_object_keys($1::jsonb))`,
        params: [m],
      })),
    );
    this.link.send(stmts);
  }

  prune(windowCut: number, rollupCut: number, limit = Number.MAX_SAFE_INTEGER): number {
    // The days to come get their partitions before their rows arrive.
    ensureDayPartitions(this.link, this.now());
    // Whole days past the cut: one DROP each, whatever the limit (no row locks, nothing to vacuum).
    const dropped = dropPastPartitions(this.link, windowCut, rollupCut);
    if (dropped > 0) return dropped;
    // The rest in bounded deletes, as on SQLite: a window's worth at once would hold locks for long.
    // A ctid is only unique within one partition, hence the tableoid.
    const [a, b] = this.link.sync([
      {
        sql: 'DELETE FROM flows WHERE (tableoid, ctid) IN (SELECT tableoid, ctid FROM flows WHERE last < $1 LIMIT $2)',
        params: [windowCut, limit],
      },
      {
        sql: 'DELETE FROM flows_1m WHERE (tableoid, ctid) IN (SELECT tableoid, ctid FROM flows_1m WHERE minute < $1 LIMIT $2)',
        params: [rollupCut, limit],
      },
    ]);
    return a!.rowCount + b!.rowCount;
  }

  query(q: FlowQuery, windowStart: number): FlowAggregate[] {
    const useRollup = q.from !== undefined && q.from < windowStart;
    const table = useRollup ? 'flows_1m' : 'flows';
    const tFirst = useRollup ? 'minute' : 'first';
    const tLast = useRollup ? 'minute' : 'last';
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const endpoint = (v: string, side: 'src' | 'dst' | 'any') => {
      const col = MAC.test(v) ? 'mac' : 'addr';
      const p = bind(v);
      return side === 'any' ? `(src_${col} = ${p} OR dst_${col} = ${p})` : `${side}_${col} = ${p}`;
    };
    if (q.exporter) where.push(`exporter = ${bind(q.exporter)}`);
    if (q.node) {
      const p = bind(q.node);
      where.push(`(device_id = ${p} OR in_port_id = ${p} OR out_port_id = ${p})`);
    }
    if (q.nodes || q.hosts) {
      const any: string[] = [];
      if (q.nodes?.length) {
        const l = bind(q.nodes);
        any.push(`device_id = ANY(${l}) OR in_port_id = ANY(${l}) OR out_port_id = ANY(${l})`);
      }
      for (const h of q.hosts ?? []) {
        const who: string[] = [];
        if (h.macs.length) {
          const l = bind(h.macs);
          who.push(`src_mac = ANY(${l}) OR dst_mac = ANY(${l})`);
        }
        if (h.addrs.length) {
          const l = bind(h.addrs);
          who.push(`src_addr = ANY(${l}) OR dst_addr = ANY(${l})`);
        }
        if (who.length === 0) continue;
        if (h.ports.length === 0) {
          // Without a known TOR port only addresses place a flow (a MAC is seen on every L2 hop).
          if (h.addrs.length) any.push(who[who.length - 1]!);
          continue;
        }
        const l = bind(h.ports);
        any.push(`(in_port_id = ANY(${l}) OR out_port_id = ANY(${l})) AND (${who.join(' OR ')})`);
      }
      if (any.length === 0) return [];
      where.push(`(${any.map((c) => `(${c})`).join(' OR ')})`);
    }
    if (q.addr) where.push(endpoint(q.addr, 'any'));
    if (q.src) where.push(endpoint(q.src, 'src'));
    if (q.dst) where.push(endpoint(q.dst, 'dst'));
    if (q.port !== undefined) {
      const p = bind(q.port);
      where.push(`(src_port = ${p} OR dst_port = ${p})`);
    }
    if (q.proto !== undefined) where.push(`proto = ${bind(q.proto)}`);
    if (q.from !== undefined) where.push(`${tLast} >= ${bind(useRollup ? Math.floor(q.from / 60_000) * 60_000 : q.from)}`);
    if (q.to !== undefined) where.push(`${tFirst} <= ${bind(q.to)}`);
    const sql = `SELECT protocol, exporter, max(device_id) AS "deviceId", in_if AS "inIf", out_if AS "outIf", max(in_port_id) AS "inPortId",
        max(out_port_id) AS "outPortId", vlan, src_addr AS "srcAddr", dst_addr AS "dstAddr", proto, src_port AS "srcPort", dst_port AS "dstPort",
        src_mac AS "srcMac", dst_mac AS "dstMac", ether_type AS "etherType",
        sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows, min(${tFirst}) AS first, max(${tLast}) AS last
      FROM ${table} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      GROUP BY ${GROUP} ORDER BY bytes DESC LIMIT ${bind(q.top ?? 100)}`;
    return this.link.query<FlowAggregate>(sql, params);
  }
}
