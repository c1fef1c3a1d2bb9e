// The SQLite schema as numbered forward migrations, run on open. PRAGMA user_version records the
// last one applied; a file from a newer Canopy (higher version) is refused untouched. Databases
// written before versioning (user_version 0) went through every step's tables ad hoc, in any
// state, so steps 1 and 2 are idempotent: IF NOT EXISTS and column checks.
import type { Database } from 'better-sqlite3';
import { StorageVersionError } from './storage.ts';

interface Migration {
  version: number;
  what: string;
  up(db: Database): void;
}

const L2_COLS = `src_mac TEXT NOT NULL DEFAULT '', dst_mac TEXT NOT NULL DEFAULT '', ether_type INTEGER NOT NULL DEFAULT 0`;

const ROLLUP_TABLE = `CREATE TABLE IF NOT EXISTS flows_1m (
  minute INTEGER NOT NULL,
  protocol TEXT NOT NULL, exporter TEXT NOT NULL, device_id TEXT NOT NULL, in_if INTEGER NOT NULL, out_if INTEGER NOT NULL,
  in_port_id TEXT, out_port_id TEXT, vlan INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
  proto INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL, ${L2_COLS},
  bytes INTEGER NOT NULL, packets INTEGER NOT NULL, flows INTEGER NOT NULL,
  PRIMARY KEY (minute, protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type)
);`;

/** Live elements in nodes/edges; every replaced or deleted revision in history (valid_from..valid_to). */
function graphTables(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS nodes (
      id TEXT PRIMARY KEY, type TEXT, name TEXT, host TEXT NOT NULL, origin TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL, metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS nodes_type ON nodes(type);
    CREATE INDEX IF NOT EXISTS nodes_name ON nodes(name);
    CREATE INDEX IF NOT EXISTS nodes_origin ON nodes(origin);
    CREATE TABLE IF NOT EXISTS edges (
      id TEXT PRIMARY KEY, parent TEXT NOT NULL, child TEXT NOT NULL, relation TEXT,
      host TEXT NOT NULL, origin TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL, metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS edges_parent ON edges(parent);
    CREATE INDEX IF NOT EXISTS edges_child ON edges(child);
    CREATE INDEX IF NOT EXISTS edges_relation ON edges(relation);
    CREATE INDEX IF NOT EXISTS edges_origin ON edges(origin);
    -- value has no declared type so 7 and '7' stay distinct, as they are in Metadata.
    CREATE TABLE IF NOT EXISTS node_keys (key TEXT NOT NULL, value, id TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS node_keys_kv ON node_keys(key, value);
    CREATE INDEX IF NOT EXISTS node_keys_id ON node_keys(id);
    CREATE TABLE IF NOT EXISTS history (
      kind TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL,
      valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL, deleted_at INTEGER,
      type TEXT, name TEXT, parent TEXT, child TEXT, relation TEXT,
      host TEXT NOT NULL, origin TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS history_id ON history(id, valid_to);
    CREATE INDEX IF NOT EXISTS history_valid_to ON history(valid_to);
    CREATE INDEX IF NOT EXISTS history_valid_from ON history(kind, valid_from);
    CREATE INDEX IF NOT EXISTS history_type ON history(type);
    CREATE INDEX IF NOT EXISTS history_name ON history(name);
    CREATE INDEX IF NOT EXISTS history_parent ON history(parent);
    CREATE INDEX IF NOT EXISTS history_child ON history(child);
    CREATE TABLE IF NOT EXISTS aliases (key TEXT PRIMARY KEY, id TEXT NOT NULL, created_at INTEGER NOT NULL);
  `);
}

/** What changed between two instants reads live rows by updated_at without a scan. */
function updatedAtIndexes(db: Database): void {
  db.exec(`
    CREATE INDEX IF NOT EXISTS nodes_updated ON nodes(updated_at);
    CREATE INDEX IF NOT EXISTS edges_updated ON edges(updated_at);
  `);
}

const hasColumn = (db: Database, table: string, col: string) =>
  db.prepare(`SELECT 1 FROM pragma_table_info('${table}') WHERE name = ?`).get(col) !== undefined;
const hasTable = (db: Database, table: string) =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;

/** Flow tables from before the L2 columns get them; the rollup's key changes, so it is rebuilt. */
function foldL2Columns(db: Database): void {
  if (hasTable(db, 'flows') && !hasColumn(db, 'flows', 'src_mac')) {
    for (const c of L2_COLS.split(', ')) db.exec(`ALTER TABLE flows ADD COLUMN ${c}`);
  }
  if (hasTable(db, 'flows_1m') && !hasColumn(db, 'flows_1m', 'src_mac')) {
    db.exec('DROP INDEX IF EXISTS flows_1m_device; ALTER TABLE flows_1m RENAME TO flows_1m_pre_l2');
    db.exec(ROLLUP_TABLE);
    const old =
      'protocol, exporter, device_id, in_if, out_if, in_port_id, out_port_id, vlan, src_addr, dst_addr, proto, src_port, dst_port';
    db.exec(
      `INSERT INTO flows_1m(minute, ${old}, bytes, packets, flows) SELECT minute, ${old}, bytes, packets, flows FROM flows_1m_pre_l2; DROP TABLE flows_1m_pre_l2`,
    );
  }
}

/** The tables the collectors kept beside the graph, created by each of them until version 2. */
function collectorTables(db: Database): void {
  foldL2Columns(db);
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
    CREATE TABLE IF NOT EXISTS port_metrics (
      node_id TEXT NOT NULL, source TEXT NOT NULL, start INTEGER NOT NULL, last INTEGER NOT NULL,
      rx_bytes INTEGER, tx_bytes INTEGER, rx_packets INTEGER, tx_packets INTEGER,
      rx_errors INTEGER, tx_errors INTEGER, rx_dropped INTEGER, tx_dropped INTEGER);
    CREATE INDEX IF NOT EXISTS port_metrics_node ON port_metrics(node_id, last);
    CREATE TABLE IF NOT EXISTS netflow_templates (
      exporter TEXT NOT NULL, domain INTEGER NOT NULL, template_id INTEGER NOT NULL, version INTEGER NOT NULL,
      options INTEGER NOT NULL, scope_count INTEGER NOT NULL, fields TEXT NOT NULL, updated_ms INTEGER NOT NULL,
      PRIMARY KEY (exporter, domain, template_id));
    CREATE TABLE IF NOT EXISTS snmp_devices (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS snmp_lldp (
      device TEXT NOT NULL, row_key TEXT NOT NULL, switch_id TEXT NOT NULL, raw_index TEXT NOT NULL,
      local_port_num INTEGER, local_if_index INTEGER, local_port_via TEXT,
      chassis_id_subtype INTEGER, chassis_id TEXT, port_id_subtype INTEGER, port_id TEXT, port_desc TEXT,
      sys_name TEXT, sys_desc TEXT, cap_supported TEXT NOT NULL, cap_enabled TEXT NOT NULL, man_addrs TEXT NOT NULL, mib TEXT NOT NULL,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, missed INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (device, row_key));
    CREATE INDEX IF NOT EXISTS snmp_lldp_switch ON snmp_lldp(switch_id);
    CREATE INDEX IF NOT EXISTS snmp_lldp_chassis ON snmp_lldp(chassis_id);
    CREATE TABLE IF NOT EXISTS snmp_fdb (
      device TEXT NOT NULL, mib TEXT NOT NULL, vlan INTEGER NOT NULL, mac TEXT NOT NULL, switch_id TEXT NOT NULL,
      bridge_port INTEGER NOT NULL, if_index INTEGER, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, missed INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (device, mib, vlan, mac));
    CREATE INDEX IF NOT EXISTS snmp_fdb_mac ON snmp_fdb(mac);
    CREATE TABLE IF NOT EXISTS snmp_cdp (
      device TEXT NOT NULL, row_key TEXT NOT NULL, switch_id TEXT NOT NULL, if_index INTEGER NOT NULL, device_index INTEGER NOT NULL,
      remote_device_id TEXT, remote_port TEXT, platform TEXT, address TEXT, capabilities INTEGER,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, missed INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (device, row_key));
    CREATE TABLE IF NOT EXISTS stitch_input (
      source TEXT NOT NULL, reporter TEXT NOT NULL, rows TEXT NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (source, reporter));
  `);
}

/** Devices SNMP discovery added, kept apart from API-created ones (no configuration body, a provenance). */
function discoveredDevices(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS snmp_discovered (
    id TEXT PRIMARY KEY, address TEXT NOT NULL, port INTEGER NOT NULL, via TEXT NOT NULL,
    first_seen INTEGER NOT NULL, unreachable_since INTEGER)`);
}

/** Captures created through the API and what each configured on OVS (docs/architecture.md#ovsdb). */
function captureTables(db: Database): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS captures (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  );
}

/** ARP/ND rows (ipNetToPhysicalTable / ipNetToMediaTable) polled from routers and L3 switches. */
function arpTable(db: Database): void {
  db.exec(`
    CREATE TABLE snmp_arp (
      device TEXT NOT NULL, if_index INTEGER NOT NULL, ip TEXT NOT NULL, switch_id TEXT NOT NULL, family TEXT NOT NULL,
      mac TEXT NOT NULL, kind TEXT NOT NULL, mib TEXT NOT NULL,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, missed INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (device, if_index, ip));
    CREATE INDEX snmp_arp_mac ON snmp_arp(mac);
    CREATE INDEX snmp_arp_ip ON snmp_arp(ip);
  `);
}

/**
 * Port series rollups (docs/architecture.md#port-metrics): raw rows gain the oper status and an
 * index for pruning by age; 1 m / 5 m / 1 h buckets key on a small integer per (port, source) so a
 * bucket row is a few integers. Rows already stored are rolled up once here.
 */
function portSeriesRollups(db: Database): void {
  if (!hasColumn(db, 'port_metrics', 'oper')) db.exec('ALTER TABLE port_metrics ADD COLUMN oper INTEGER');
  db.exec(`
    CREATE INDEX IF NOT EXISTS port_metrics_last ON port_metrics(last);
    CREATE TABLE IF NOT EXISTS port_series_keys (id INTEGER PRIMARY KEY, node_id TEXT NOT NULL, source TEXT NOT NULL, UNIQUE (node_id, source));
    CREATE TABLE IF NOT EXISTS port_metrics_rollup (
      key INTEGER NOT NULL, step INTEGER NOT NULL, t INTEGER NOT NULL, span INTEGER NOT NULL,
      rx_bytes INTEGER NOT NULL, tx_bytes INTEGER NOT NULL, rx_packets INTEGER NOT NULL, tx_packets INTEGER NOT NULL,
      rx_errors INTEGER NOT NULL, tx_errors INTEGER NOT NULL, rx_dropped INTEGER NOT NULL, tx_dropped INTEGER NOT NULL, oper INTEGER,
      PRIMARY KEY (key, step, t)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS port_metrics_rollup_age ON port_metrics_rollup(step, t);
    INSERT OR IGNORE INTO port_series_keys(node_id, source) SELECT DISTINCT node_id, source FROM port_metrics;
  `);
  for (const step of [60_000, 300_000, 3_600_000]) {
    db.exec(`INSERT INTO port_metrics_rollup
      SELECT k.id, ${step}, (m.last / ${step}) * ${step}, sum(m.last - m.start), sum(m.rx_bytes), sum(m.tx_bytes), sum(m.rx_packets),
        sum(m.tx_packets), sum(m.rx_errors), sum(m.tx_errors), sum(m.rx_dropped), sum(m.tx_dropped), max(m.oper)
      FROM port_metrics m JOIN port_series_keys k ON k.node_id = m.node_id AND k.source = m.source
      GROUP BY k.id, (m.last / ${step}) * ${step}`);
  }
}

/** Alert rules created through /api/alert (docs/alerts.md#api). */
function alertRuleTable(db: Database): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS alert_rules (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  );
}

/**
 * flows_1m's (device_id, minute) index: no flow query can use it (a node is matched on device_id OR
 * in_port_id OR out_port_id, and flows_1m indexes neither port column, so every rollup query scans
 * its primary key by minute), while every flushed entry paid ~0.6 µs to keep it (docs/performance.md).
 */
function dropRollupDeviceIndex(db: Database): void {
  db.exec('DROP INDEX IF EXISTS flows_1m_device');
}

const MIGRATIONS: Migration[] = [
  { version: 1, what: 'graph, history and aliases', up: graphTables },
  { version: 2, what: 'flows, rollups, port series, templates, SNMP devices and observations, stitch inputs', up: collectorTables },
  { version: 3, what: 'SNMP devices added by discovery', up: discoveredDevices },
  { version: 4, what: 'captures', up: captureTables },
  { version: 5, what: 'SNMP ARP/ND observations', up: arpTable },
  { version: 6, what: 'port series rollups (1 m, 5 m, 1 h) and oper status', up: portSeriesRollups },
  { version: 7, what: 'live nodes and edges indexed by update time (the change timeline)', up: updatedAtIndexes },
  { version: 8, what: 'alert rules created through the API', up: alertRuleTable },
  { version: 9, what: "flows_1m's unused device index dropped", up: dropRollupDeviceIndex },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses a database from a newer Canopy (before anything is written to it). */
export function checkVersion(db: Database, file: string): number {
  const v = schemaVersion(db);
  if (v > SCHEMA_VERSION) throw new StorageVersionError(file, v, SCHEMA_VERSION);
  return v;
}

/** Brings the database up to SCHEMA_VERSION, one transaction per step. */
export function migrate(db: Database, file: string): void {
  const from = checkVersion(db, file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(
    String(SCHEMA_VERSION),
  );
}
