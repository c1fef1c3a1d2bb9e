// SnmpObservationStore on SQLite. Statements are prepared once: a full poll of 1,000 switches
// writes 500,000 FDB rows.
import type { Database, Statement } from 'better-sqlite3';
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

export class SqliteObservationStore implements SnmpObservationStore {
  private readonly stmts = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  private st(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private where(f: RowFilter): { sql: string; args: unknown[] } {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (f.device) {
      parts.push('device = ?');
      args.push(f.device);
    }
    if (f.switchId) {
      parts.push('switch_id = ?');
      args.push(f.switchId);
    }
    if (f.current) parts.push('missed = 0');
    return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', args };
  }

  /** Ages the device's rows of `table`, runs `upsert` for this poll's, drops the long-missed. */
  private replace(table: string, device: string, keepMissed: number, upsert: () => void): void {
    this.db
      .transaction(() => {
        this.st(`UPDATE ${table} SET missed = missed + 1 WHERE device = ?`).run(device);
        upsert();
        this.st(`DELETE FROM ${table} WHERE device = ? AND missed > ?`).run(device, keepMissed);
      })
      .immediate();
  }

  recordLldp(device: string, switchId: string, rows: readonly LldpInput[], now: number, keepMissed: number): void {
    const up = this
      .st(`INSERT INTO snmp_lldp VALUES (@device,@key,@switchId,@rawIndex,@localPortNum,@localIfIndex,@localPortVia,@chassisIdSubtype,@chassisId,@portIdSubtype,@portId,@portDesc,@sysName,@sysDesc,@capS,@capE,@addrs,@mib,@now,@now,0)
      ON CONFLICT(device,row_key) DO UPDATE SET switch_id=excluded.switch_id, raw_index=excluded.raw_index, local_if_index=excluded.local_if_index, local_port_via=excluded.local_port_via,
      port_desc=excluded.port_desc, sys_name=excluded.sys_name, sys_desc=excluded.sys_desc, cap_supported=excluded.cap_supported, cap_enabled=excluded.cap_enabled,
      man_addrs=excluded.man_addrs, mib=excluded.mib, last_seen=excluded.last_seen, missed=0`);
    this.replace('snmp_lldp', device, keepMissed, () => {
      for (const r of rows) {
        up.run({
          device,
          key: lldpKey(r),
          switchId,
          rawIndex: r.rawIndex,
          localPortNum: r.localPortNum,
          localIfIndex: r.localIfIndex,
          localPortVia: r.localPortVia,
          chassisIdSubtype: r.chassisIdSubtype,
          chassisId: r.chassisId,
          portIdSubtype: r.portIdSubtype,
          portId: r.portId,
          portDesc: r.portDesc,
          sysName: r.sysName,
          sysDesc: r.sysDesc,
          capS: JSON.stringify(r.capSupported),
          capE: JSON.stringify(r.capEnabled),
          addrs: JSON.stringify(r.managementAddresses),
          mib: r.mib,
          now,
        });
      }
    });
  }

  recordFdb(device: string, switchId: string, rows: readonly FdbInput[], now: number, keepMissed: number): void {
    const up = this.st(`INSERT INTO snmp_fdb VALUES (@device,@mib,@vlan,@mac,@switchId,@bridgePort,@ifIndex,@now,@now,0)
      ON CONFLICT(device,mib,vlan,mac) DO UPDATE SET switch_id=excluded.switch_id, bridge_port=excluded.bridge_port, if_index=excluded.if_index, last_seen=excluded.last_seen, missed=0`);
    this.replace('snmp_fdb', device, keepMissed, () => {
      for (const r of rows)
        up.run({ device, mib: r.mib, vlan: r.vlan ?? -1, mac: r.mac, switchId, bridgePort: r.bridgePort, ifIndex: r.ifIndex, now });
    });
  }

  recordCdp(device: string, switchId: string, rows: readonly CdpEntry[], now: number, keepMissed: number): void {
    const up = this
      .st(`INSERT INTO snmp_cdp VALUES (@device,@key,@switchId,@ifIndex,@deviceIndex,@deviceId,@devicePort,@platform,@address,@capabilities,@now,@now,0)
      ON CONFLICT(device,row_key) DO UPDATE SET switch_id=excluded.switch_id, device_index=excluded.device_index, platform=excluded.platform, address=excluded.address,
      capabilities=excluded.capabilities, last_seen=excluded.last_seen, missed=0`);
    this.replace('snmp_cdp', device, keepMissed, () => {
      for (const r of rows) up.run({ device, key: `${r.ifIndex}|${r.deviceId}|${r.devicePort}`, switchId, ...r, now });
    });
  }

  recordArp(device: string, switchId: string, rows: readonly ArpEntry[], now: number, keepMissed: number): void {
    // A binding whose MAC changed is a new binding: it starts its own first_seen.
    const up = this.st(`INSERT INTO snmp_arp VALUES (@device,@ifIndex,@ip,@switchId,@family,@mac,@kind,@mib,@now,@now,0)
      ON CONFLICT(device,if_index,ip) DO UPDATE SET switch_id=excluded.switch_id, family=excluded.family,
      first_seen=CASE WHEN mac = excluded.mac THEN first_seen ELSE excluded.first_seen END,
      mac=excluded.mac, kind=excluded.kind, mib=excluded.mib, last_seen=excluded.last_seen, missed=0`);
    this.replace('snmp_arp', device, keepMissed, () => {
      for (const r of rows) up.run({ device, switchId, ...r, now });
    });
  }

  forgetDevice(device: string): void {
    this.db
      .transaction(() => {
        for (const t of ['snmp_lldp', 'snmp_fdb', 'snmp_cdp', 'snmp_arp']) this.st(`DELETE FROM ${t} WHERE device = ?`).run(device);
      })
      .immediate();
  }

  arpRows(f: RowFilter & { mac?: string; ip?: string } = {}): ArpObservation[] {
    const w = this.where(f);
    const extra: string[] = [];
    if (f.mac) {
      extra.push('mac = ?');
      w.args.push(f.mac.toLowerCase());
    }
    if (f.ip) {
      extra.push('ip = ?');
      w.args.push(f.ip.toLowerCase());
    }
    const sql = w.sql + (extra.length ? (w.sql ? ' AND ' : ' WHERE ') + extra.join(' AND ') : '');
    return (this.st(`SELECT * FROM snmp_arp${sql} ORDER BY device, if_index, ip`).all(...w.args) as Row[]).map(arpFromRow);
  }

  lldpRows(f: RowFilter = {}): LldpObservation[] {
    const w = this.where(f);
    return (this.st(`SELECT * FROM snmp_lldp${w.sql} ORDER BY device, local_port_num, raw_index`).all(...w.args) as Row[]).map(lldpFromRow);
  }

  fdbRows(f: RowFilter & { mac?: string } = {}): FdbObservation[] {
    const w = this.where(f);
    let sql = `SELECT * FROM snmp_fdb${w.sql}`;
    if (f.mac) {
      sql += w.sql ? ' AND mac = ?' : ' WHERE mac = ?';
      w.args.push(f.mac.toLowerCase());
    }
    return (this.st(sql + ' ORDER BY device, vlan, mac').all(...w.args) as Row[]).map(fdbFromRow);
  }

  cdpRows(f: RowFilter = {}): CdpObservation[] {
    const w = this.where(f);
    return (this.st(`SELECT * FROM snmp_cdp${w.sql} ORDER BY device, if_index, device_index`).all(...w.args) as Row[]).map(cdpFromRow);
  }
}
