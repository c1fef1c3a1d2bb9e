// PortSeriesStore on PostgreSQL: raw rows and 1 m / 5 m / 1 h buckets written by one transaction
// sent behind; the batch is summed per bucket first, so a flush is one upsert per bucket touched.
import type { PostgresLink } from './postgres-link.ts';
import {
  ROLLUP_STEPS,
  type PortSeriesRow,
  type PortSeriesStore,
  type SeriesBucket,
  type SeriesCutoffs,
  type SeriesStep,
} from './port-series.ts';

const COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped'] as const;
const TYPES = COUNTERS.map((c) => `${c} bigint`).join(', ');
const AS = `rx_bytes AS "rxBytes", tx_bytes AS "txBytes", rx_packets AS "rxPackets", tx_packets AS "txPackets",
  rx_errors AS "rxErrors", tx_errors AS "txErrors", rx_dropped AS "rxDropped", tx_dropped AS "txDropped"`;
const ADD = COUNTERS.map((c) => `${c} = r.${c} + excluded.${c}`).join(', ');
/** Worst status wins (ifOperStatus: 1 up, 2 down, higher values are not up either); greatest() skips nulls. */
const UPSERT_TAIL = `ON CONFLICT (node_id, source, step, t) DO UPDATE SET span = r.span + excluded.span, ${ADD}, oper = greatest(r.oper, excluded.oper)`;
const COLS = `node_id, source, step, t, span, ${COUNTERS.join(', ')}, oper`;

export class PostgresPortSeries implements PortSeriesStore {
  constructor(private readonly link: PostgresLink) {}

  append(rows: readonly PortSeriesRow[]): void {
    if (rows.length === 0) return;
    const raw = rows.map((r) => ({
      node_id: r.nodeId,
      source: r.source,
      start: r.start,
      last: r.last,
      rx_bytes: r.rxBytes,
      tx_bytes: r.txBytes,
      rx_packets: r.rxPackets,
      tx_packets: r.txPackets,
      rx_errors: r.rxErrors,
      tx_errors: r.txErrors,
      rx_dropped: r.rxDropped,
      tx_dropped: r.txDropped,
      oper: r.oper ?? null,
    }));
    const buckets = new Map<string, Record<string, unknown> & { span: number; oper: number | null }>();
    for (const r of raw) {
      for (const step of ROLLUP_STEPS) {
        const t = Math.floor(r.last / step) * step;
        const k = JSON.stringify([r.node_id, r.source, step, t]);
        const b = buckets.get(k);
        if (!b) {
          const { start: _s, last: _l, ...counters } = r;
          buckets.set(k, { ...counters, step, t, span: r.last - r.start });
          continue;
        }
        b.span += r.last - r.start;
        for (const c of COUNTERS) (b as Record<string, number>)[c]! += r[c];
        if (r.oper !== null && (b.oper === null || r.oper > b.oper)) b.oper = r.oper;
      }
    }
    this.link.send([
      {
        sql: `INSERT INTO port_metrics(node_id, source, start, last, ${COUNTERS.join(', ')}, oper)
              SELECT node_id, source, start, last, ${COUNTERS.join(', ')}, oper
              FROM jsonb_to_recordset($1::jsonb) AS x(node_id text, source text, start bigint, last bigint, ${TYPES}, oper integer)`,
        params: [JSON.stringify(raw)],
      },
      {
        sql: `INSERT INTO port_metrics_rollup AS r (${COLS}) SELECT ${COLS}
              FROM jsonb_to_recordset($1::jsonb) AS x(node_id text, source text, step integer, t bigint, span bigint, ${TYPES}, oper integer)
              ${UPSERT_TAIL}`,
        params: [JSON.stringify([...buckets.values()])],
      },
    ]);
  }

  repoint(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0) return;
    const m = JSON.stringify(Object.fromEntries(moved));
    const keys = 'SELECT jsonb_object_keys($1::jsonb)';
    const sums = COUNTERS.map((c) => `sum(${c})`).join(', ');
    this.link.send([
      { sql: `UPDATE port_metrics SET node_id = $1::jsonb ->> node_id WHERE node_id IN (${keys})`, params: [m] },
      {
        // Both had this source: the merged-away port's buckets add into the canonical one's.
        sql: `INSERT INTO port_metrics_rollup AS r (${COLS})
              SELECT $1::jsonb ->> node_id, source, step, t, sum(span), ${sums}, max(oper) FROM port_metrics_rollup
              WHERE node_id IN (${keys}) GROUP BY $1::jsonb ->> node_id, source, step, t ${UPSERT_TAIL}`,
        params: [m],
      },
      { sql: `DELETE FROM port_metrics_rollup WHERE node_id IN (${keys})`, params: [m] },
    ]);
  }

  rows(nodeId: string): PortSeriesRow[] {
    const rows = this.link.query<PortSeriesRow>(
      `SELECT node_id AS "nodeId", source, start, last, ${AS}, oper FROM port_metrics WHERE node_id = $1 ORDER BY last, seq`,
      [nodeId],
    );
    for (const r of rows) if (r.oper === null) delete r.oper;
    return rows;
  }

  read(nodeIds: readonly string[], step: SeriesStep, from: number, to: number): SeriesBucket[] {
    if (nodeIds.length === 0 || to <= from) return [];
    if (step === 0)
      return this.link.query<SeriesBucket>(
        `SELECT node_id AS "nodeId", source, last AS t, last - start AS span, ${AS}, oper FROM port_metrics
         WHERE node_id = ANY($1) AND last >= $2 AND last < $3 ORDER BY last, seq`,
        [nodeIds, from, to],
      );
    return this.link.query<SeriesBucket>(
      `SELECT node_id AS "nodeId", source, t, span, ${AS}, oper FROM port_metrics_rollup
       WHERE node_id = ANY($1) AND step = $2 AND t >= $3 AND t < $4 ORDER BY t, array_position($1, node_id)`,
      [nodeIds, step, from, to],
    );
  }

  prune(cutoffs: SeriesCutoffs): number {
    const res = this.link.sync(
      [
        { sql: 'DELETE FROM port_metrics WHERE last < $1', params: [cutoffs[0]] },
        ...ROLLUP_STEPS.map((step) => ({
          sql: 'DELETE FROM port_metrics_rollup WHERE step = $1 AND t < $2',
          params: [step, cutoffs[step]],
        })),
      ],
      true,
    );
    return res.reduce((n, r) => n + r.rowCount, 0);
  }
}
