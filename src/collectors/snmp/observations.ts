// What the poller saw that is not (yet) a graph element: LLDP neighbours, FDB entries and CDP
// cache rows, in SQLite tables with first/last seen, for the stitcher (docs/architecture.md#stitching). Rows not
// re-seen count `missed` polls and go away once missed exceeds the configured limit.
import type { Database, Statement } from 'better-sqlite3';
import type { LldpRemote } from './parse-lldp.ts';
import type { CdpEntry, FdbEntry } from './parse-l2.ts';
import type { ResolvedVia } from './resolve-port.ts';

/** An lldpRemTable row as stored: what the agent said, where it resolves locally, and when. */
export type LldpObservation = Omit<LldpRemote, 'timeMark' | 'remIndex'> & {
  /** Poll target key ("address:port"). */
  device: string;
  /** Graph ID of the switch that reported the neighbour. */
  switchId: string;
  localIfIndex: number | null;
  localPortVia: ResolvedVia | null;
  firstSeen: number;
  lastSeen: number;
  /** LLDP polls of this device since the row was last seen (0 = in the latest poll). */
  missed: number;
};

export interface FdbObservation {
  device: string;
  switchId: string;
  vlan: number | null;
  mac: string;
  bridgePort: number;
  /** dot1dBasePortIfIndex of bridgePort; null when the agent does not map it. */
  ifIndex: number | null;
  mib: 'qbridge' | 'bridge';
  firstSeen: number;
  lastSeen: number;
  missed: number;
}

export interface CdpObservation {
  device: string;
  switchId: string;
  ifIndex: number;
  deviceIndex: number;
  remoteDeviceId: string | null;
  remotePort: string | null;
  platform: string | null;
  address: string | null;
  capabilities: number | null;
  firstSeen: number;
  lastSeen: number;
  missed: number;
}

export type ObservationKind = 'lldp' | 'fdb' | 'cdp';
export interface ObservationChange {
  kind: ObservationKind;
  device: string;
  switchId: string;
}
export interface RowFilter {
  device?: string;
  switchId?: string;
  /** Only rows seen in the device's latest poll. */
  current?: boolean;
}

export type LldpInput = LldpRemote & { localIfIndex: number | null; localPortVia: ResolvedVia | null };
export type FdbInput = FdbEntry & { ifIndex: number | null };

const SCHEMA = `
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
`;

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

function lldpKey(r: LldpRemote): string {
  // Not rawIndex: its timeMark changes for the same neighbour (a re-learnt row gets a new
  // remIndex too and the old one ages out). Agents do list one neighbour under several remIndexes.
  return [r.localPortNum ?? '', r.remIndex ?? '', r.chassisIdSubtype, r.chassisId, r.portIdSubtype, r.portId].join('|');
}

export class SnmpObservations {
  private readonly listeners = new Set<(c: ObservationChange) => void>();
  private readonly stmts = new Map<string, Statement>();

  /** Statements are prepared once: a full poll of 1,000 switches writes 500,000 FDB rows. */
  private st(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  constructor(
    private readonly db: Database,
    /** Rows missed by more than this many polls are deleted. */
    private readonly keepMissed = 3,
  ) {
    db.exec(SCHEMA);
  }

  onChange(cb: (c: ObservationChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(c: ObservationChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch {
        /* a listener's bug must not stop the poller */
      }
    }
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

  /** Replaces one device's LLDP rows with this poll's (keeping first_seen of rows seen before). */
  recordLldp(device: string, switchId: string, rows: LldpInput[], now = Date.now()): void {
    const up = this.st(`INSERT INTO snmp_lldp VALUES (@device,@key,@switchId,@rawIndex,@localPortNum,@localIfIndex,@localPortVia,@chassisIdSubtype,@chassisId,@portIdSubtype,@portId,@portDesc,@sysName,@sysDesc,@capS,@capE,@addrs,@mib,@now,@now,0)
      ON CONFLICT(device,row_key) DO UPDATE SET switch_id=excluded.switch_id, raw_index=excluded.raw_index, local_if_index=excluded.local_if_index, local_port_via=excluded.local_port_via,
      port_desc=excluded.port_desc, sys_name=excluded.sys_name, sys_desc=excluded.sys_desc, cap_supported=excluded.cap_supported, cap_enabled=excluded.cap_enabled,
      man_addrs=excluded.man_addrs, mib=excluded.mib, last_seen=excluded.last_seen, missed=0`);
    this.db.transaction(() => {
      this.st('UPDATE snmp_lldp SET missed = missed + 1 WHERE device = ?').run(device);
      for (const r of rows) {
        up.run({
          device, key: lldpKey(r), switchId, rawIndex: r.rawIndex, localPortNum: r.localPortNum, localIfIndex: r.localIfIndex, localPortVia: r.localPortVia,
          chassisIdSubtype: r.chassisIdSubtype, chassisId: r.chassisId, portIdSubtype: r.portIdSubtype, portId: r.portId, portDesc: r.portDesc,
          sysName: r.sysName, sysDesc: r.sysDesc, capS: JSON.stringify(r.capSupported), capE: JSON.stringify(r.capEnabled), addrs: JSON.stringify(r.managementAddresses), mib: r.mib, now,
        });
      }
      this.st('DELETE FROM snmp_lldp WHERE device = ? AND missed > ?').run(device, this.keepMissed);
    })();
    this.emit({ kind: 'lldp', device, switchId });
  }

  recordFdb(device: string, switchId: string, rows: FdbInput[], now = Date.now()): void {
    const up = this.st(`INSERT INTO snmp_fdb VALUES (@device,@mib,@vlan,@mac,@switchId,@bridgePort,@ifIndex,@now,@now,0)
      ON CONFLICT(device,mib,vlan,mac) DO UPDATE SET switch_id=excluded.switch_id, bridge_port=excluded.bridge_port, if_index=excluded.if_index, last_seen=excluded.last_seen, missed=0`);
    this.db.transaction(() => {
      this.st('UPDATE snmp_fdb SET missed = missed + 1 WHERE device = ?').run(device);
      for (const r of rows) up.run({ device, mib: r.mib, vlan: r.vlan ?? -1, mac: r.mac, switchId, bridgePort: r.bridgePort, ifIndex: r.ifIndex, now });
      this.st('DELETE FROM snmp_fdb WHERE device = ? AND missed > ?').run(device, this.keepMissed);
    })();
    this.emit({ kind: 'fdb', device, switchId });
  }

  recordCdp(device: string, switchId: string, rows: CdpEntry[], now = Date.now()): void {
    const up = this.st(`INSERT INTO snmp_cdp VALUES (@device,@key,@switchId,@ifIndex,@deviceIndex,@deviceId,@devicePort,@platform,@address,@capabilities,@now,@now,0)
      ON CONFLICT(device,row_key) DO UPDATE SET switch_id=excluded.switch_id, device_index=excluded.device_index, platform=excluded.platform, address=excluded.address,
      capabilities=excluded.capabilities, last_seen=excluded.last_seen, missed=0`);
    this.db.transaction(() => {
      this.st('UPDATE snmp_cdp SET missed = missed + 1 WHERE device = ?').run(device);
      for (const r of rows) up.run({ device, key: `${r.ifIndex}|${r.deviceId}|${r.devicePort}`, switchId, ...r, now });
      this.st('DELETE FROM snmp_cdp WHERE device = ? AND missed > ?').run(device, this.keepMissed);
    })();
    this.emit({ kind: 'cdp', device, switchId });
  }

  /** Re-keys a device's rows when its switch ID changes (a merge). */
  forgetDevice(device: string): void {
    for (const t of ['snmp_lldp', 'snmp_fdb', 'snmp_cdp']) this.db.prepare(`DELETE FROM ${t} WHERE device = ?`).run(device);
  }

  lldpRows(f: RowFilter = {}): LldpObservation[] {
    const w = this.where(f);
    return (this.db.prepare(`SELECT * FROM snmp_lldp${w.sql} ORDER BY device, local_port_num, raw_index`).all(...w.args) as Row[]).map((r) => ({
      device: String(r.device), switchId: String(r.switch_id), rawIndex: String(r.raw_index),
      localPortNum: num(r.local_port_num), localIfIndex: num(r.local_if_index), localPortVia: str(r.local_port_via) as ResolvedVia | null,
      chassisIdSubtype: num(r.chassis_id_subtype), chassisId: str(r.chassis_id), portIdSubtype: num(r.port_id_subtype), portId: str(r.port_id),
      portDesc: str(r.port_desc), sysName: str(r.sys_name), sysDesc: str(r.sys_desc),
      capSupported: JSON.parse(String(r.cap_supported)) as string[], capEnabled: JSON.parse(String(r.cap_enabled)) as string[],
      managementAddresses: JSON.parse(String(r.man_addrs)) as string[], mib: r.mib as 'lldp' | 'lldp-v2',
      firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), missed: Number(r.missed),
    }));
  }

  fdbRows(f: RowFilter & { mac?: string } = {}): FdbObservation[] {
    const w = this.where(f);
    let sql = `SELECT * FROM snmp_fdb${w.sql}`;
    if (f.mac) {
      sql += w.sql ? ' AND mac = ?' : ' WHERE mac = ?';
      w.args.push(f.mac.toLowerCase());
    }
    return (this.db.prepare(sql + ' ORDER BY device, vlan, mac').all(...w.args) as Row[]).map((r) => ({
      device: String(r.device), switchId: String(r.switch_id), vlan: Number(r.vlan) < 0 ? null : Number(r.vlan), mac: String(r.mac),
      bridgePort: Number(r.bridge_port), ifIndex: num(r.if_index), mib: r.mib as 'qbridge' | 'bridge',
      firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), missed: Number(r.missed),
    }));
  }

  cdpRows(f: RowFilter = {}): CdpObservation[] {
    const w = this.where(f);
    return (this.db.prepare(`SELECT * FROM snmp_cdp${w.sql} ORDER BY device, if_index, device_index`).all(...w.args) as Row[]).map((r) => ({
      device: String(r.device), switchId: String(r.switch_id), ifIndex: Number(r.if_index), deviceIndex: Number(r.device_index),
      remoteDeviceId: str(r.remote_device_id), remotePort: str(r.remote_port), platform: str(r.platform), address: str(r.address), capabilities: num(r.capabilities),
      firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), missed: Number(r.missed),
    }));
  }
}
