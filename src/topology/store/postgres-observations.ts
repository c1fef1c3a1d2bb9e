// SnmpObservationStore on PostgreSQL: a poll's rows replace the device's in one transaction sent
// behind (age all, upsert this poll's as one JSON parameter, drop the long-missed); reads are
// synchronous and see every poll recorded before them. Text sorts in byte order (COLLATE "C") and
// NULLs first, as SQLite orders them.
import type { PostgresLink } from './postgres-link.ts';
import type {
  ArpEntry,
  ArpObservation,
  CdpEntry,
  CdpObservation,
  FdbInput,
  FdbObservation,
  LldpInput,
  LldpObservation,
  RowFilter,
  SnmpObservationStore,
} from './snmp-rows.ts';
import { arpFromRow, cdpFromRow, fdbFromRow, lldpFromRow, lldpKey, type Row } from './snmp-row-codec.ts';

const C = (c: string) => `${c} COLLATE "C" NULLS FIRST`;

/** The last row per key: an upsert may touch a row once per statement. */
function lastPerKey<T>(rows: T[], key: (r: T) => string): T[] {
  return [...new Map(rows.map((r) => [key(r), r])).values()];
}

const TABLES = {
  snmp_lldp: {
    types: `device text, row_key text, switch_id text, raw_index text, local_port_num integer, local_if_index integer, local_port_via text,
      chassis_id_subtype integer, chassis_id text, port_id_subtype integer, port_id text, port_desc text, sys_name text, sys_desc text,
      cap_supported text, cap_enabled text, man_addrs text, mib text, first_seen bigint, last_seen bigint, missed integer`,
    key: 'device, row_key',
    update: `switch_id = excluded.switch_id, raw_index = excluded.raw_index, local_if_index = excluded.local_if_index,
      local_port_via = excluded.local_port_via, port_desc = excluded.port_desc, sys_name = excluded.sys_name, sys_desc = excluded.sys_desc,
      cap_supported = excluded.cap_supported, cap_enabled = excluded.cap_enabled, man_addrs = excluded.man_addrs, mib = excluded.mib,
      last_seen = excluded.last_seen, missed = 0`,
  },
  snmp_fdb: {
    types: `device text, mib text, vlan integer, mac text, switch_id text, bridge_port integer, if_index integer, first_seen bigint,
      last_seen bigint, missed integer`,
    key: 'device, mib, vlan, mac',
    update: `switch_id = excluded.switch_id, bridge_port = excluded.bridge_port, if_index = excluded.if_index, last_seen = excluded.last_seen, missed = 0`,
  },
  snmp_cdp: {
    types: `device text, row_key text, switch_id text, if_index integer, device_index integer, remote_device_id text, remote_port text,
      platform text, address text, capabilities integer, first_seen bigint, last_seen bigint, missed integer`,
    key: 'device, row_key',
    update: `switch_id = excluded.switch_id, device_index = excluded.device_index, platform = excluded.platform, address = excluded.address,
      capabilities = excluded.capabilities, last_seen = excluded.last_seen, missed = 0`,
  },
  snmp_arp: {
    types: `device text, if_index integer, ip text, switch_id text, family text, mac text, kind text, mib text, first_seen bigint,
      last_seen bigint, missed integer`,
    key: 'device, if_index, ip',
    // A binding whose MAC changed is a new binding: it starts its own first_seen.
    update: `switch_id = excluded.switch_id, family = excluded.family,
      first_seen = CASE WHEN r.mac = excluded.mac THEN r.first_seen ELSE excluded.first_seen END,
      mac = excluded.mac, kind = excluded.kind, mib = excluded.mib, last_seen = excluded.last_seen, missed = 0`,
  },
} as const;
type Table = keyof typeof TABLES;

export class PostgresObservationStore implements SnmpObservationStore {
  constructor(private readonly link: PostgresLink) {}

  private replace(table: Table, device: string, keepMissed: number, rows: Row[]): void {
    const t = TABLES[table];
    const cols = t.types
      .split(',')
      .map((c) => c.trim().split(' ')[0])
      .join(', ');
    const stmts = [{ sql: `UPDATE ${table} SET missed = missed + 1 WHERE device = $1`, params: [device] }];
    if (rows.length)
      stmts.push({
        sql: `INSERT INTO ${table} AS r (${cols}) SELECT ${cols} FROM jsonb_to_recordset($1::jsonb) AS x(${t.types})
              ON CONFLICT (${t.key}) DO UPDATE SET ${t.update}`,
        params: [JSON.stringify(rows)],
      });
    stmts.push({ sql: `DELETE FROM ${table} WHERE device = $1 AND missed > $2`, params: [device, keepMissed] as never });
    this.link.send(stmts);
  }

  recordLldp(device: string, switchId: string, rows: readonly LldpInput[], now: number, keepMissed: number): void {
    const out = rows.map((r) => ({
      device,
      row_key: lldpKey(r),
      switch_id: switchId,
      raw_index: r.rawIndex,
      local_port_num: r.localPortNum,
      local_if_index: r.localIfIndex,
      local_port_via: r.localPortVia,
      chassis_id_subtype: r.chassisIdSubtype,
      chassis_id: r.chassisId,
      port_id_subtype: r.portIdSubtype,
      port_id: r.portId,
      port_desc: r.portDesc,
      sys_name: r.sysName,
      sys_desc: r.sysDesc,
      cap_supported: JSON.stringify(r.capSupported),
      cap_enabled: JSON.stringify(r.capEnabled),
      man_addrs: JSON.stringify(r.managementAddresses),
      mib: r.mib,
      first_seen: now,
      last_seen: now,
      missed: 0,
    }));
    this.replace(
      'snmp_lldp',
      device,
      keepMissed,
      lastPerKey(out, (r) => r.row_key),
    );
  }

  recordFdb(device: string, switchId: string, rows: readonly FdbInput[], now: number, keepMissed: number): void {
    const out = rows.map((r) => ({
      device,
      mib: r.mib,
      vlan: r.vlan ?? -1,
      mac: r.mac,
      switch_id: switchId,
      bridge_port: r.bridgePort,
      if_index: r.ifIndex,
      first_seen: now,
      last_seen: now,
      missed: 0,
    }));
    this.replace(
      'snmp_fdb',
      device,
      keepMissed,
      lastPerKey(out, (r) => `${r.mib}|${r.vlan}|${r.mac}`),
    );
  }

  recordCdp(device: string, switchId: string, rows: readonly CdpEntry[], now: number, keepMissed: number): void {
    const out = rows.map((r) => ({
      device,
      row_key: `${r.ifIndex}|${r.deviceId}|${r.devicePort}`,
      switch_id: switchId,
      if_index: r.ifIndex,
      device_index: r.deviceIndex,
      remote_device_id: r.deviceId,
      remote_port: r.devicePort,
      platform: r.platform,
      address: r.address,
      capabilities: r.capabilities,
      first_seen: now,
      last_seen: now,
      missed: 0,
    }));
    this.replace(
      'snmp_cdp',
      device,
      keepMissed,
      lastPerKey(out, (r) => r.row_key),
    );
  }

  recordArp(device: string, switchId: string, rows: readonly ArpEntry[], now: number, keepMissed: number): void {
    const out = rows.map((r) => ({
      device,
      if_index: r.ifIndex,
      ip: r.ip,
      switch_id: switchId,
      family: r.family,
      mac: r.mac,
      kind: r.kind,
      mib: r.mib,
      first_seen: now,
      last_seen: now,
      missed: 0,
    }));
    this.replace(
      'snmp_arp',
      device,
      keepMissed,
      lastPerKey(out, (r) => `${r.if_index}|${r.ip}`),
    );
  }

  forgetDevice(device: string): void {
    this.link.send(
      (['snmp_lldp', 'snmp_fdb', 'snmp_cdp', 'snmp_arp'] as const).map((t) => ({
        sql: `DELETE FROM ${t} WHERE device = $1`,
        params: [device],
      })),
    );
  }

  private select(table: Table, f: RowFilter, extra: [string, string | undefined][], order: string): Row[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const eq = (col: string, v: unknown) => {
      params.push(v);
      where.push(`${col} = $${params.length}`);
    };
    if (f.device) eq('device', f.device);
    if (f.switchId) eq('switch_id', f.switchId);
    if (f.current) where.push('missed = 0');
    for (const [col, v] of extra) if (v) eq(col, v.toLowerCase());
    return this.link.query(`SELECT * FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`, params);
  }

  arpRows(f: RowFilter & { mac?: string; ip?: string } = {}): ArpObservation[] {
    const rows = this.select(
      'snmp_arp',
      f,
      [
        ['mac', f.mac],
        ['ip', f.ip],
      ],
      `${C('device')}, if_index, ${C('ip')}`,
    );
    return rows.map(arpFromRow);
  }

  lldpRows(f: RowFilter = {}): LldpObservation[] {
    return this.select('snmp_lldp', f, [], `${C('device')}, local_port_num NULLS FIRST, ${C('raw_index')}`).map(lldpFromRow);
  }

  fdbRows(f: RowFilter & { mac?: string } = {}): FdbObservation[] {
    return this.select('snmp_fdb', f, [['mac', f.mac]], `${C('device')}, vlan, ${C('mac')}`).map(fdbFromRow);
  }

  cdpRows(f: RowFilter = {}): CdpObservation[] {
    return this.select('snmp_cdp', f, [], `${C('device')}, if_index, device_index`).map(cdpFromRow);
  }
}
