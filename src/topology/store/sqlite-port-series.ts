// Port counter series on SQLite (docs/architecture.md#port-metrics): raw rows in port_metrics,
// 1 m / 5 m / 1 h buckets in port_metrics_rollup, both written by one transaction per flush. The
// batch is summed per bucket in memory first, so a flush costs one upsert per (port, source, bucket).
import type { Database, Statement } from 'better-sqlite3';
import {
  ROLLUP_STEPS,
  type PortSeriesRow,
  type PortSeriesStore,
  type SeriesBucket,
  type SeriesCutoffs,
  type SeriesStep,
} from './port-series.ts';

const COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped'] as const;
const AS = `rx_bytes AS rxBytes, tx_bytes AS txBytes, rx_packets AS rxPackets, tx_packets AS txPackets,
  rx_errors AS rxErrors, tx_errors AS txErrors, rx_dropped AS rxDropped, tx_dropped AS txDropped`;
/** Worst status wins (ifOperStatus: 1 up, 2 down, higher values are not up either). */
const WORST = (a: string, b: string) =>
  `CASE WHEN ${b} IS NULL THEN ${a} WHEN ${a} IS NULL THEN ${b} WHEN ${b} > ${a} THEN ${b} ELSE ${a} END`;

type Sums = [number, number, number, number, number, number, number, number, number, number | null];

export class SqlitePortSeries implements PortSeriesStore {
  private readonly ins: Statement;
  private readonly move: Statement;
  private readonly byNode: Statement;
  private readonly keyOf: Statement;
  private readonly addKey: Statement;
  private readonly upsert: Statement;
  private readonly keys = new Map<string, number>();
  private readonly keysOf: Statement;
  private readonly rawOf: Statement;
  private readonly byKey: Statement;

  constructor(private readonly db: Database) {
    this.ins = db.prepare('INSERT INTO port_metrics VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)');
    this.move = db.prepare(`UPDATE port_metrics SET node_id = (SELECT value FROM json_each(@moved) WHERE key = port_metrics.node_id)
      WHERE node_id IN (SELECT key FROM json_each(@moved))`);
    this.byNode = db.prepare(`SELECT node_id AS nodeId, source, start, last, ${AS}, oper
      FROM port_metrics WHERE node_id = ? ORDER BY last, rowid`);
    this.keyOf = db.prepare('SELECT id FROM port_series_keys WHERE node_id = ? AND source = ?').pluck();
    this.addKey = db.prepare('INSERT INTO port_series_keys(node_id, source) VALUES (?, ?)');
    this.rawOf = db.prepare(`SELECT node_id AS nodeId, source, last AS t, last - start AS span, ${AS}, oper FROM port_metrics
      WHERE node_id = ? AND last >= ? AND last < ? ORDER BY last, rowid`);
    this.keysOf = db.prepare('SELECT id, source FROM port_series_keys WHERE node_id = ?');
    this.byKey = db.prepare(
      `SELECT t, span, ${AS}, oper FROM port_metrics_rollup WHERE key = ? AND step = ? AND t >= ? AND t < ? ORDER BY t`,
    );
    const set = COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');
    this.upsert = db.prepare(`INSERT INTO port_metrics_rollup VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
      ON CONFLICT (key, step, t) DO UPDATE SET span = span + excluded.span, ${set}, oper = ${WORST('oper', 'excluded.oper')}`);
  }

  private key(nodeId: string, source: string, create: boolean): number | undefined {
    const k = `${nodeId}|${source}`;
    let id = this.keys.get(k);
    if (id !== undefined) return id;
    id = this.keyOf.get(nodeId, source) as number | undefined;
    if (id === undefined && create) id = Number(this.addKey.run(nodeId, source).lastInsertRowid);
    if (id !== undefined) this.keys.set(k, id);
    return id;
  }

  append(rows: readonly PortSeriesRow[]): void {
    if (rows.length === 0) return;
    this.db
      .transaction(() => {
        const buckets = new Map<string, Sums>();
        for (const r of rows) {
          const oper = r.oper ?? null;
          this.ins.run(
            r.nodeId,
            r.source,
            r.start,
            r.last,
            r.rxBytes,
            r.txBytes,
            r.rxPackets,
            r.txPackets,
            r.rxErrors,
            r.txErrors,
            r.rxDropped,
            r.txDropped,
            oper,
          );
          const key = this.key(r.nodeId, r.source, true)!;
          for (const step of ROLLUP_STEPS) {
            const b = `${key}|${step}|${Math.floor(r.last / step) * step}`;
            const s = buckets.get(b);
            const vals = [
              r.last - r.start,
              r.rxBytes,
              r.txBytes,
              r.rxPackets,
              r.txPackets,
              r.rxErrors,
              r.txErrors,
              r.rxDropped,
              r.txDropped,
            ];
            if (!s) buckets.set(b, [...vals, oper] as Sums);
            else {
              for (let i = 0; i < 9; i++) s[i] = s[i]! + vals[i]!;
              if (oper !== null && (s[9] === null || oper > s[9])) s[9] = oper;
            }
          }
        }
        for (const [b, s] of buckets) {
          const [key, step, t] = b.split('|').map(Number);
          this.upsert.run(key, step, t, ...s);
        }
      })
      .immediate();
  }

  repoint(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0) return;
    this.db
      .transaction(() => {
        this.move.run({ moved: JSON.stringify(Object.fromEntries(moved)) });
        const sources = this.db.prepare('SELECT id, source FROM port_series_keys WHERE node_id = ?');
        for (const [from, to] of moved) {
          for (const { id, source } of sources.all(from) as { id: number; source: string }[]) {
            const target = this.key(to, source, false);
            if (target === undefined) this.db.prepare('UPDATE port_series_keys SET node_id = ? WHERE id = ?').run(to, id);
            else {
              // Both had this source: the merged-away port's buckets add into the canonical one's.
              const cols = COUNTERS.join(', ');
              this.db
                .prepare(
                  `INSERT INTO port_metrics_rollup SELECT ?, step, t, span, ${cols}, oper FROM port_metrics_rollup WHERE key = ? AND true
                 ON CONFLICT (key, step, t) DO UPDATE SET span = span + excluded.span, ${COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')},
                 oper = ${WORST('oper', 'excluded.oper')}`,
                )
                .run(target, id);
              this.db.prepare('DELETE FROM port_metrics_rollup WHERE key = ?').run(id);
              this.db.prepare('DELETE FROM port_series_keys WHERE id = ?').run(id);
            }
            this.keys.delete(`${from}|${source}`);
          }
        }
      })
      .immediate();
  }

  rows(nodeId: string): PortSeriesRow[] {
    return (this.byNode.all(nodeId) as PortSeriesRow[]).map((r) => {
      if (r.oper === null) delete r.oper;
      return r;
    });
  }

  read(nodeIds: readonly string[], step: SeriesStep, from: number, to: number): SeriesBucket[] {
    if (nodeIds.length === 0 || to <= from) return [];
    if (step === 0) {
      const out: SeriesBucket[] = [];
      for (const nodeId of nodeIds) out.push(...(this.rawOf.all(nodeId, from, to) as SeriesBucket[]));
      return out.sort((a, b) => a.t - b.t);
    }
    // Per (port, source) key on the primary key, never through the age index.
    const out: SeriesBucket[] = [];
    for (const nodeId of nodeIds) {
      for (const k of this.keysOf.all(nodeId) as { id: number; source: string }[]) {
        for (const r of this.byKey.all(k.id, step, from, to) as SeriesBucket[]) {
          r.nodeId = nodeId;
          r.source = k.source;
          out.push(r);
        }
      }
    }
    return out.sort((a, b) => a.t - b.t);
  }

  prune(cutoffs: SeriesCutoffs): number {
    return this.db
      .transaction(() => {
        let n = this.db.prepare('DELETE FROM port_metrics WHERE last < ?').run(cutoffs[0]).changes;
        const del = this.db.prepare('DELETE FROM port_metrics_rollup WHERE step = ? AND t < ?');
        for (const step of ROLLUP_STEPS) n += del.run(step, cutoffs[step]).changes;
        return n;
      })
      .immediate();
  }
}
