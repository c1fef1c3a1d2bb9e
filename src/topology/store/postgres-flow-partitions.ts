// Flow tables on PostgreSQL are range-partitioned by time (flows by `last`, flows_1m by `minute`):
// one partition per UTC day, created a few days ahead, and a DEFAULT partition for rows outside
// them (rows migrated from before partitioning, exporters with a wrong clock). Retention drops the
// day partitions wholly past their cut (no row-by-row delete, no bloat), and deletes the few rows
// past it elsewhere in bounded steps, as before.
import type { PostgresLink } from './postgres-link.ts';

export const DAY = 86_400_000;
/** Day partitions created ahead of today (today included). */
const AHEAD = 3;

const PK = 'minute, protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type';

/** Schema migration 3: the two flow tables become partitioned (existing rows land in the default partitions). */
export const PARTITION_FLOWS_SQL = `
  ALTER TABLE flows RENAME TO flows_unpartitioned;
  CREATE TABLE flows (LIKE flows_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (last);
  CREATE TABLE flows_default PARTITION OF flows DEFAULT;
  INSERT INTO flows SELECT * FROM flows_unpartitioned;
  DROP TABLE flows_unpartitioned;
  CREATE INDEX flows_last ON flows(last);
  CREATE INDEX flows_device ON flows(device_id, last);
  CREATE INDEX flows_in_port ON flows(in_port_id, last);
  CREATE INDEX flows_out_port ON flows(out_port_id, last);
  CREATE INDEX flows_src ON flows(src_addr, last);
  CREATE INDEX flows_dst ON flows(dst_addr, last);
  ALTER TABLE flows_1m RENAME TO flows_1m_unpartitioned;
  CREATE TABLE flows_1m (LIKE flows_1m_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (minute);
  CREATE TABLE flows_1m_default PARTITION OF flows_1m DEFAULT;
  INSERT INTO flows_1m SELECT * FROM flows_1m_unpartitioned;
  DROP TABLE flows_1m_unpartitioned;
  ALTER TABLE flows_1m ADD PRIMARY KEY (${PK});
  CREATE INDEX flows_1m_device ON flows_1m(device_id, minute);`;

const TABLES = ['flows', 'flows_1m'] as const;

/**
 * Creates the day partitions from today to AHEAD days on. A day whose rows already sit in the
 * default partition is left there (PostgreSQL refuses the new partition); so is a race with
 * another collector creating the same one.
 */
export function ensureDayPartitions(link: PostgresLink, now: number): void {
  const today = Math.floor(now / DAY);
  const have = new Set(partitions(link).map((p) => `${p.table}:${p.day}`));
  for (const t of TABLES) {
    for (let d = today; d < today + AHEAD; d++) {
      if (have.has(`${t}:${d}`)) continue;
      try {
        link.sync([{ sql: `CREATE TABLE IF NOT EXISTS ${t}_d${d} PARTITION OF ${t} FOR VALUES FROM (${d * DAY}) TO (${(d + 1) * DAY})` }]);
      } catch {
        // Rows of that day in the default partition, or created meanwhile by another collector: fine either way.
      }
    }
  }
}

/** The day partitions there are (table, day number). */
export function partitions(link: PostgresLink): { table: (typeof TABLES)[number]; day: number }[] {
  const rows = link.query<{ parent: string; child: string }>(
    `SELECT p.relname AS parent, c.relname AS child FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname IN ('flows', 'flows_1m') AND p.relnamespace = current_schema()::regnamespace`,
  );
  const out: { table: (typeof TABLES)[number]; day: number }[] = [];
  for (const r of rows) {
    const m = /_d(\d+)$/.exec(r.child);
    if (m && r.child === `${r.parent}_d${m[1]}`) out.push({ table: r.parent as (typeof TABLES)[number], day: Number(m[1]) });
  }
  return out;
}

/** Drops the day partitions wholly before their table's cut; returns the rows they held. */
export function dropPastPartitions(link: PostgresLink, windowCut: number, rollupCut: number): number {
  let rows = 0;
  for (const p of partitions(link)) {
    const cut = p.table === 'flows' ? windowCut : rollupCut;
    if ((p.day + 1) * DAY > cut) continue;
    const name = `${p.table}_d${p.day}`;
    try {
      const [count] = link.sync([{ sql: `SELECT count(*)::bigint AS n FROM ${name}` }, { sql: `DROP TABLE ${name}` }], true);
      rows += Number(count!.rows[0]!.n);
    } catch {
      // Dropped meanwhile by another collector pruning the same database.
    }
  }
  return rows;
}
