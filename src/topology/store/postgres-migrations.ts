// The PostgreSQL schema as numbered forward migrations, like sqlite-migrations.ts. canopy_schema
// records the last one applied; a database from a newer Canopy is refused untouched. Collectors
// starting together serialise on an advisory lock, so each step runs once.
import type { PostgresLink } from './postgres-link.ts';
import { redactUrl } from './postgres-link.ts';
import { StorageVersionError } from './storage.ts';
import { PARTITION_FLOWS_SQL } from './postgres-flow-partitions.ts';

interface Migration {
  version: number;
  what: string;
  sql: string;
}

const FLOW_KEY = `protocol text NOT NULL, exporter text NOT NULL, device_id text NOT NULL, in_if integer NOT NULL, out_if integer NOT NULL,
  in_port_id text, out_port_id text, vlan integer NOT NULL, src_addr text NOT NULL, dst_addr text NOT NULL,
  proto integer NOT NULL, src_port integer NOT NULL, dst_port integer NOT NULL,
  src_mac text NOT NULL DEFAULT '', dst_mac text NOT NULL DEFAULT '', ether_type integer NOT NULL DEFAULT 0`;
const COUNTERS = `rx_bytes bigint NOT NULL, tx_bytes bigint NOT NULL, rx_packets bigint NOT NULL, tx_packets bigint NOT NULL,
  rx_errors bigint NOT NULL, tx_errors bigint NOT NULL, rx_dropped bigint NOT NULL, tx_dropped bigint NOT NULL`;

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    what: 'graph, history, aliases and the change log',
    // Metadata stays text: jsonb would reorder keys, and an unchanged write must compare equal.
    sql: `
      CREATE TABLE nodes (id text PRIMARY KEY, type text, name text, host text NOT NULL, origin text NOT NULL,
        created_at bigint NOT NULL, updated_at bigint NOT NULL, revision bigint NOT NULL, metadata text NOT NULL);
      CREATE TABLE edges (id text PRIMARY KEY, parent text NOT NULL, child text NOT NULL, relation text, host text NOT NULL,
        origin text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, revision bigint NOT NULL, metadata text NOT NULL);
      CREATE TABLE history (kind char(1) NOT NULL, id text NOT NULL, revision bigint NOT NULL,
        valid_from bigint NOT NULL, valid_to bigint NOT NULL, deleted_at bigint,
        type text, name text, parent text, child text, relation text, host text NOT NULL, origin text NOT NULL,
        created_at bigint NOT NULL, updated_at bigint NOT NULL, metadata text NOT NULL);
      CREATE INDEX history_id ON history(id, valid_to);
      CREATE INDEX history_valid_to ON history(valid_to);
      CREATE INDEX history_valid_from ON history(kind, valid_from);
      CREATE TABLE aliases (key text PRIMARY KEY, id text NOT NULL, created_at bigint NOT NULL);
      -- One row per committed graph batch: what other collectors replay into their in-memory graph.
      CREATE TABLE graph_changes (seq bigserial PRIMARY KEY, instance text NOT NULL, at bigint NOT NULL,
        events jsonb NOT NULL, aliases jsonb NOT NULL);
      CREATE INDEX graph_changes_at ON graph_changes(at);`,
  },
  {
    version: 2,
    what: 'flows and rollups, port series, templates, SNMP devices and observations, stitch inputs, captures',
    sql: `
      CREATE TABLE flows (first bigint NOT NULL, last bigint NOT NULL, ${FLOW_KEY},
        bytes bigint NOT NULL, packets bigint NOT NULL, flows bigint NOT NULL, sampling_rate integer NOT NULL, sampling_missing boolean NOT NULL);
      CREATE INDEX flows_last ON flows(last);
      CREATE INDEX flows_device ON flows(device_id, last);
      CREATE INDEX flows_in_port ON flows(in_port_id, last);
      CREATE INDEX flows_out_port ON flows(out_port_id, last);
      CREATE INDEX flows_src ON flows(src_addr, last);
      CREATE INDEX flows_dst ON flows(dst_addr, last);
      CREATE TABLE flows_1m (minute bigint NOT NULL, ${FLOW_KEY}, bytes bigint NOT NULL, packets bigint NOT NULL, flows bigint NOT NULL,
        PRIMARY KEY (minute, protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type));
      CREATE INDEX flows_1m_device ON flows_1m(device_id, minute);
      CREATE TABLE port_metrics (seq bigserial PRIMARY KEY, node_id text NOT NULL, source text NOT NULL, start bigint NOT NULL, last bigint NOT NULL,
        ${COUNTERS}, oper integer);
      CREATE INDEX port_metrics_node ON port_metrics(node_id, last);
      CREATE INDEX port_metrics_last ON port_metrics(last);
      CREATE TABLE port_metrics_rollup (node_id text NOT NULL, source text NOT NULL, step integer NOT NULL, t bigint NOT NULL, span bigint NOT NULL,
        ${COUNTERS}, oper integer, PRIMARY KEY (node_id, source, step, t));
      CREATE INDEX port_metrics_rollup_age ON port_metrics_rollup(step, t);
      CREATE TABLE netflow_templates (exporter text NOT NULL, domain integer NOT NULL, template_id integer NOT NULL, version integer NOT NULL,
        options boolean NOT NULL, scope_count integer NOT NULL, fields text NOT NULL, updated_ms bigint NOT NULL,
        PRIMARY KEY (exporter, domain, template_id));
      CREATE TABLE snmp_devices (id text PRIMARY KEY, body text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);
      CREATE TABLE snmp_discovered (id text PRIMARY KEY, address text NOT NULL, port integer NOT NULL, via text NOT NULL,
        first_seen bigint NOT NULL, unreachable_since bigint);
      CREATE TABLE captures (id text PRIMARY KEY, body text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);
      CREATE TABLE snmp_lldp (device text NOT NULL, row_key text NOT NULL, switch_id text NOT NULL, raw_index text NOT NULL,
        local_port_num integer, local_if_index integer, local_port_via text, chassis_id_subtype integer, chassis_id text,
        port_id_subtype integer, port_id text, port_desc text, sys_name text, sys_desc text,
        cap_supported text NOT NULL, cap_enabled text NOT NULL, man_addrs text NOT NULL, mib text NOT NULL,
        first_seen bigint NOT NULL, last_seen bigint NOT NULL, missed integer NOT NULL DEFAULT 0, PRIMARY KEY (device, row_key));
      CREATE INDEX snmp_lldp_switch ON snmp_lldp(switch_id);
      CREATE TABLE snmp_fdb (device text NOT NULL, mib text NOT NULL, vlan integer NOT NULL, mac text NOT NULL, switch_id text NOT NULL,
        bridge_port integer NOT NULL, if_index integer, first_seen bigint NOT NULL, last_seen bigint NOT NULL, missed integer NOT NULL DEFAULT 0,
        PRIMARY KEY (device, mib, vlan, mac));
      CREATE INDEX snmp_fdb_mac ON snmp_fdb(mac);
      CREATE TABLE snmp_cdp (device text NOT NULL, row_key text NOT NULL, switch_id text NOT NULL, if_index integer NOT NULL,
        device_index integer NOT NULL, remote_device_id text, remote_port text, platform text, address text, capabilities integer,
        first_seen bigint NOT NULL, last_seen bigint NOT NULL, missed integer NOT NULL DEFAULT 0, PRIMARY KEY (device, row_key));
      CREATE TABLE snmp_arp (device text NOT NULL, if_index integer NOT NULL, ip text NOT NULL, switch_id text NOT NULL, family text NOT NULL,
        mac text NOT NULL, kind text NOT NULL, mib text NOT NULL, first_seen bigint NOT NULL, last_seen bigint NOT NULL,
        missed integer NOT NULL DEFAULT 0, PRIMARY KEY (device, if_index, ip));
      CREATE INDEX snmp_arp_mac ON snmp_arp(mac);
      CREATE INDEX snmp_arp_ip ON snmp_arp(ip);
      CREATE TABLE stitch_input (source text NOT NULL, reporter text NOT NULL, rows text NOT NULL, updated_at bigint NOT NULL,
        PRIMARY KEY (source, reporter));`,
  },
  {
    version: 3,
    what: 'leases on shared work (SNMP devices) and the live collectors',
    // Expiries are the server's timestamps: collectors compare them with now(), never with their own clocks.
    sql: `
      CREATE TABLE canopy_collectors (id text PRIMARY KEY, expires_at timestamptz NOT NULL, started_at timestamptz NOT NULL);
      CREATE TABLE canopy_leases (resource text PRIMARY KEY, holder text NOT NULL, expires_at timestamptz NOT NULL,
        acquired_at timestamptz NOT NULL, previous text, wanted_by text);`,
  },
  {
    version: 4,
    what: 'flows and flows_1m partitioned by day (retention drops partitions)',
    sql: PARTITION_FLOWS_SQL,
  },
  {
    version: 5,
    what: 'alert rules created through the API',
    sql: `CREATE TABLE alert_rules (id text PRIMARY KEY, body text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);`,
  },
];

export const PG_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database up to PG_SCHEMA_VERSION (each step in its own transaction); refuses a newer one. */
export function migratePostgres(link: PostgresLink): void {
  link.sync([{ sql: 'CREATE TABLE IF NOT EXISTS canopy_schema (version integer NOT NULL)' }]);
  for (;;) {
    const res = link.sync(
      [{ sql: 'SELECT pg_advisory_xact_lock(7220154)' }, { sql: 'SELECT coalesce(max(version), 0) AS v FROM canopy_schema' }],
      true,
    );
    const found = Number(res[1]!.rows[0]!.v);
    if (found > PG_SCHEMA_VERSION) throw new StorageVersionError(redactUrl(link.opts.url), found, PG_SCHEMA_VERSION);
    const next = MIGRATIONS.find((m) => m.version === found + 1);
    if (!next) return;
    // Re-checked under the lock: another collector may have applied the step meanwhile.
    link.sync(
      [
        { sql: 'SELECT pg_advisory_xact_lock(7220154)' },
        {
          sql: `DO $$ BEGIN IF (SELECT coalesce(max(version), 0) FROM canopy_schema) = ${found} THEN
                ${next.sql.replace(/\$\$/g, '')}
                DELETE FROM canopy_schema; INSERT INTO canopy_schema VALUES (${next.version}); END IF; END $$`,
        },
      ],
      true,
    );
  }
}
