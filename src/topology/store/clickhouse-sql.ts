// The statements Canopy sends ClickHouse for flows (listed in docs/scale-out.md): written for the
// 18.16 server Debian ships (no TTL, no query parameters, no Nullable needed) and for current
// ClickHouse alike. Values are inlined as escaped literals because 18.16 has no `{name:Type}`.
import type { FlowAggregate, FlowEntry, FlowQuery } from './flow-records.ts';

export const DAY = 86_400_000;

/** Rollup tiers: table, bucket width, partition width (ms). */
export const TIERS = [
  { table: 'canopy_flows_1m', width: 60_000, partition: DAY },
  { table: 'canopy_flows_5m', width: 300_000, partition: DAY },
  { table: 'canopy_flows_1h', width: 3_600_000, partition: 30 * DAY },
] as const;
export const RAW = { table: 'canopy_flows', partition: DAY } as const;

const KEY_COLS = `protocol String, exporter String, in_if UInt32, out_if UInt32, vlan UInt16, src_addr String, dst_addr String,
  proto UInt8, src_port UInt16, dst_port UInt16, src_mac String, dst_mac String, ether_type UInt16`;
const GROUP = 'protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type';
// Node references are not in any sorting key, so a merge of nodes can rewrite them ('' = none).
const NODE_COLS = 'device_id String, in_port_id String, out_port_id String';

/** CREATE statements, in order (idempotent). Partitions are whole days (30 days for 1 h) by an integer key: no time zone involved. */
export function schemaStatements(): string[] {
  const out = [
    `CREATE TABLE IF NOT EXISTS ${RAW.table} (first Int64, last Int64, ${KEY_COLS}, ${NODE_COLS},
      bytes UInt64, packets UInt64, flows UInt64, sampling_rate UInt32, sampling_missing UInt8)
      ENGINE = MergeTree PARTITION BY intDiv(last, ${RAW.partition}) ORDER BY (last, exporter)`,
  ];
  for (const t of TIERS) {
    out.push(
      `CREATE TABLE IF NOT EXISTS ${t.table} (t Int64, ${KEY_COLS}, ${NODE_COLS}, bytes UInt64, packets UInt64, flows UInt64)
        ENGINE = SummingMergeTree((bytes, packets, flows)) PARTITION BY intDiv(t, ${t.partition}) ORDER BY (t, ${GROUP})`,
      // Each insert into the raw table is folded into the tier by the view, in the same request.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.table}_mv TO ${t.table} AS
        SELECT intDiv(last, ${t.width}) * ${t.width} AS t, ${GROUP}, any(device_id) AS device_id, any(in_port_id) AS in_port_id,
          any(out_port_id) AS out_port_id, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows
        FROM ${RAW.table} GROUP BY t, ${GROUP}`,
    );
  }
  return out;
}

/** A ClickHouse string literal. */
export function str(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An integer literal (anything else is a bug upstream: refuse rather than inline it). */
export function int(v: number): string {
  if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
  return String(v);
}

const list = (vs: readonly string[]) => `(${vs.map(str).join(', ')})`;

/** One JSONEachRow line of the raw table (JSON.stringify of a flat object: measured faster than building the text by hand). */
export function rowLine(e: FlowEntry): string {
  return JSON.stringify({
    first: e.first,
    last: e.last,
    protocol: e.protocol,
    exporter: e.exporter,
    in_if: e.inIf,
    out_if: e.outIf,
    vlan: e.vlan,
    src_addr: e.srcAddr,
    dst_addr: e.dstAddr,
    proto: e.proto,
    src_port: e.srcPort,
    dst_port: e.dstPort,
    src_mac: e.srcMac,
    dst_mac: e.dstMac,
    ether_type: e.etherType,
    device_id: e.deviceId,
    in_port_id: e.inPortId ?? '',
    out_port_id: e.outPortId ?? '',
    bytes: e.bytes,
    packets: e.packets,
    flows: e.flows,
    sampling_rate: e.samplingRate,
    sampling_missing: e.samplingMissing ? 1 : 0,
  });
}

export const INSERT_QUERY = `INSERT INTO ${RAW.table} FORMAT JSONEachRow`;

/** Rewrites node references in every table (a mutation; the caller waits for it before reading). */
export function repointStatements(moved: ReadonlyMap<string, string>): string[] {
  const from = [...moved.keys()];
  const to = from.map((k) => moved.get(k)!);
  const a = `[${from.map(str).join(', ')}]`;
  const b = `[${to.map(str).join(', ')}]`;
  const set = ['device_id', 'in_port_id', 'out_port_id'].map((c) => `${c} = transform(${c}, ${a}, ${b}, ${c})`).join(', ');
  const where = ['device_id', 'in_port_id', 'out_port_id'].map((c) => `${c} IN ${list(from)}`).join(' OR ');
  return [RAW.table, ...TIERS.map((t) => t.table)].map((t) => `ALTER TABLE ${t} UPDATE ${set} WHERE ${where}`);
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Where a query reads: the raw rows, or a rollup tier (its bucket start as first/last). */
export interface Source {
  table: string;
  first: string;
  last: string;
  /** Bucket width (0 for raw rows): `from` is rounded down to it. */
  width: number;
  /** Rows before this are past retention (hidden until their partition is dropped). */
  cut: number;
}

/** The SELECT answering q from `src`, or undefined when nothing can match. */
export function querySql(q: FlowQuery, src: Source): string | undefined {
  const where: string[] = [`${src.last} >= ${int(src.cut)}`];
  const endpoint = (v: string, side: 'src' | 'dst' | 'any') => {
    const col = MAC.test(v) ? 'mac' : 'addr';
    return side === 'any' ? `(src_${col} = ${str(v)} OR dst_${col} = ${str(v)})` : `${side}_${col} = ${str(v)}`;
  };
  if (q.exporter) where.push(`exporter = ${str(q.exporter)}`);
  if (q.node) where.push(`(device_id = ${str(q.node)} OR in_port_id = ${str(q.node)} OR out_port_id = ${str(q.node)})`);
  if (q.nodes || q.hosts) {
    const any: string[] = [];
    if (q.nodes?.length) {
      const l = list(q.nodes);
      any.push(`device_id IN ${l} OR in_port_id IN ${l} OR out_port_id IN ${l}`);
    }
    for (const h of q.hosts ?? []) {
      const who: string[] = [];
      if (h.macs.length) who.push(`src_mac IN ${list(h.macs)} OR dst_mac IN ${list(h.macs)}`);
      if (h.addrs.length) who.push(`src_addr IN ${list(h.addrs)} OR dst_addr IN ${list(h.addrs)}`);
      if (who.length === 0) continue;
      if (h.ports.length === 0) {
        // Without a known TOR port only addresses place a flow (a MAC is seen on every L2 hop).
        if (h.addrs.length) any.push(who[who.length - 1]!);
        continue;
      }
      const l = list(h.ports);
      any.push(`(in_port_id IN ${l} OR out_port_id IN ${l}) AND (${who.join(' OR ')})`);
    }
    if (any.length === 0) return undefined;
    where.push(`(${any.map((c) => `(${c})`).join(' OR ')})`);
  }
  if (q.addr) where.push(endpoint(q.addr, 'any'));
  if (q.src) where.push(endpoint(q.src, 'src'));
  if (q.dst) where.push(endpoint(q.dst, 'dst'));
  if (q.port !== undefined) where.push(`(src_port = ${int(q.port)} OR dst_port = ${int(q.port)})`);
  if (q.proto !== undefined) where.push(`proto = ${int(q.proto)}`);
  if (q.from !== undefined) where.push(`${src.last} >= ${int(src.width ? Math.floor(q.from / src.width) * src.width : q.from)}`);
  if (q.to !== undefined) where.push(`${src.first} <= ${int(q.to)}`);
  // Output names differ from the columns: a ClickHouse alias is visible in WHERE, and `sum(bytes) AS bytes` would capture it.
  return `SELECT protocol, exporter, max(device_id) AS o_device, in_if, out_if, max(in_port_id) AS o_in_port, max(out_port_id) AS o_out_port,
      vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type,
      sum(bytes) AS o_bytes, sum(packets) AS o_packets, sum(flows) AS o_flows, min(${src.first}) AS o_first, max(${src.last}) AS o_last
    FROM ${src.table} WHERE ${where.join(' AND ')}
    GROUP BY ${GROUP} ORDER BY o_bytes DESC LIMIT ${int(q.top ?? 100)} FORMAT JSONEachRow`;
}

/** One JSONEachRow answer line as a FlowAggregate (64-bit integers arrive quoted). */
export function aggregateOf(r: Record<string, unknown>): FlowAggregate {
  const n = (v: unknown) => Number(v);
  const s = (v: unknown) => String(v ?? '');
  const ref = (v: unknown) => (v === '' || v == null ? null : String(v));
  return {
    protocol: s(r.protocol),
    exporter: s(r.exporter),
    deviceId: s(r.o_device),
    inIf: n(r.in_if),
    outIf: n(r.out_if),
    inPortId: ref(r.o_in_port),
    outPortId: ref(r.o_out_port),
    vlan: n(r.vlan),
    srcAddr: s(r.src_addr),
    dstAddr: s(r.dst_addr),
    proto: n(r.proto),
    srcPort: n(r.src_port),
    dstPort: n(r.dst_port),
    srcMac: s(r.src_mac),
    dstMac: s(r.dst_mac),
    etherType: n(r.ether_type),
    bytes: n(r.o_bytes),
    packets: n(r.o_packets),
    flows: n(r.o_flows),
    first: n(r.o_first),
    last: n(r.o_last),
  };
}
