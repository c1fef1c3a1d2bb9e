// SNMP trap/inform listener on net-snmp's Receiver. The Receiver binds the port it is given
// with `port || 162`, so port 0 (ephemeral) goes through a dgram shim that binds the real
// request and keeps the socket for /api/status.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { Logger } from '../../util/log.ts';
import { formatListen, parseListen } from '../../util/listen.ts';
import { snmp, T, type SnmpReceiver, type TrapNotification, type V3User, type Varbind } from './net-snmp.ts';
import { O } from './oids.ts';

export type TrapKind = 'linkDown' | 'linkUp' | 'coldStart' | 'warmStart' | 'lldpRemTablesChange' | 'other';

export interface Trap {
  kind: TrapKind;
  /** snmpTrapOID (v2c/v3) or the v1 generic/enterprise equivalent. */
  trapOid: string;
  source: string;
  ifIndex: number | null;
  adminStatus: number | null;
  operStatus: number | null;
  receivedAt: number;
  version: 'v1' | 'v2c' | 'v3';
}

export interface TrapStats {
  listen: string[];
  received: number;
  byKind: Record<TrapKind, number>;
  unknownSources: number;
  unknownSourceAddresses: string[];
  errors: number;
  lastError?: string;
  /** The latest notification, for latency checks (receivedAt is epoch ms). */
  lastTrap?: { kind: TrapKind; source: string; ifIndex: number | null; receivedAt: number };
  /** The latest linkUp/linkDown: lldpd's lldpRemTablesChange often follows one at once and takes lastTrap. */
  lastLinkTrap?: { kind: TrapKind; source: string; ifIndex: number | null; receivedAt: number };
}

const KIND_BY_OID: Record<string, TrapKind> = {
  [O.linkDown]: 'linkDown',
  [O.linkUp]: 'linkUp',
  [O.coldStart]: 'coldStart',
  [O.warmStart]: 'warmStart',
  [O.lldpRemTablesChange]: 'lldpRemTablesChange',
  [O.lldpV2RemTablesChange]: 'lldpRemTablesChange',
};
const V1_GENERIC: Record<number, string> = { 0: O.coldStart, 1: O.warmStart, 2: O.linkDown, 3: O.linkUp };

const num = (vb: Varbind) => (typeof vb.value === 'number' ? vb.value : null);

/** Pure: a decoded notification → Trap (ifIndex from ifIndex/ifAdminStatus/ifOperStatus varbinds). */
export function interpret(n: TrapNotification, now = Date.now()): Trap {
  const pdu = n.pdu;
  let trapOid = '';
  let version: Trap['version'] = pdu.user !== undefined ? 'v3' : 'v2c';
  if (pdu.type === snmp.PduType.Trap) {
    version = 'v1';
    trapOid = pdu.generic === 6 ? `${pdu.enterprise}.0.${pdu.specific}` : (V1_GENERIC[pdu.generic ?? -1] ?? '');
  }
  let ifIndex: number | null = null;
  let adminStatus: number | null = null;
  let operStatus: number | null = null;
  for (const vb of pdu.varbinds ?? []) {
    if (vb.oid === O.snmpTrapOID && vb.type === T.OID) trapOid = String(vb.value);
    const m = /^1\.3\.6\.1\.2\.1\.2\.2\.1\.([178])\.(\d+)$/.exec(vb.oid);
    if (!m) continue;
    ifIndex = Number(m[2]);
    if (m[1] === '7') adminStatus = num(vb);
    if (m[1] === '8') operStatus = num(vb);
  }
  return {
    kind: KIND_BY_OID[trapOid] ?? 'other',
    trapOid,
    source: n.rinfo.address,
    ifIndex,
    adminStatus,
    operStatus,
    receivedAt: now,
    version,
  };
}

export class TrapListener {
  private receivers: SnmpReceiver[] = [];
  private sockets: Socket[] = [];
  /** A notification that could not be used: not accepted (community/user) or not readable. */
  onBad?: (reason: 'auth' | 'malformed') => void;
  readonly stats: TrapStats = {
    listen: [],
    received: 0,
    byKind: { linkDown: 0, linkUp: 0, coldStart: 0, warmStart: 0, lldpRemTablesChange: 0, other: 0 },
    unknownSources: 0,
    unknownSourceAddresses: [],
    errors: 0,
  };

  constructor(
    private readonly listen: string[],
    private readonly users: V3User[],
    private readonly communities: string[],
    /** Returns false when the source is not a polled device. */
    private readonly onTrap: (t: Trap) => boolean,
    private readonly log: Logger,
  ) {}

  async start(): Promise<string[]> {
    for (const l of this.listen) {
      const addr = parseListen(l);
      const transport = addr.host.includes(':') ? 'udp6' : 'udp4';
      let sock: Socket | undefined;
      const dgramModule = {
        createSocket: (type: string) => {
          const s = createSocket(type as 'udp4' | 'udp6');
          const bind = s.bind.bind(s) as (port: number, host: string) => Socket;
          // The Receiver would bind `port || 162`; bind what was asked, 0 included.
          (s as unknown as { bind: () => Socket }).bind = () => bind(addr.port, addr.host);
          sock = s;
          return s;
        },
      };
      const receiver = snmp.createReceiver(
        { port: addr.port || 1, address: addr.host, transport, includeAuthentication: true, dgramModule },
        (err, n) => this.handle(err, n),
      );
      // Authorization stays on: net-snmp's disableAuthorization would also skip v3 digest checks.
      for (const u of this.users) receiver.getAuthorizer().addUser(u);
      for (const c of this.communities) receiver.getAuthorizer().addCommunity(c);
      this.receivers.push(receiver);
      const s = sock!;
      await Promise.race([once(s, 'listening'), once(s, 'error').then(([e]) => Promise.reject(e as Error))]);
      this.sockets.push(s);
      this.stats.listen.push(formatListen({ host: addr.host, port: s.address().port }));
    }
    return this.stats.listen;
  }

  private handle(err: Error | null, n: TrapNotification | undefined): void {
    if (err || !n) {
      this.stats.errors++;
      this.stats.lastError = err?.message ?? 'empty notification';
      // net-snmp's RequestFailedError: unknown community or user, failed authentication.
      this.onBad?.(err?.name === 'RequestFailedError' ? 'auth' : 'malformed');
      return;
    }
    try {
      const t = interpret(n);
      this.stats.received++;
      this.stats.byKind[t.kind]++;
      this.stats.lastTrap = { kind: t.kind, source: t.source, ifIndex: t.ifIndex, receivedAt: t.receivedAt };
      if (t.kind === 'linkUp' || t.kind === 'linkDown') this.stats.lastLinkTrap = this.stats.lastTrap;
      if (!this.onTrap(t)) {
        this.stats.unknownSources++;
        if (!this.stats.unknownSourceAddresses.includes(t.source) && this.stats.unknownSourceAddresses.length < 20)
          this.stats.unknownSourceAddresses.push(t.source);
      }
    } catch (e) {
      this.stats.errors++;
      this.stats.lastError = (e as Error).message;
      this.onBad?.('malformed');
      this.log.warn({ err: e }, 'trap handling failed');
    }
  }

  /** Accepts another v1/v2c community from now on (devices added through the API). */
  addCommunity(c: string): void {
    if (this.communities.includes(c)) return;
    this.communities.push(c);
    for (const r of this.receivers) r.getAuthorizer().addCommunity(c);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.sockets.map(
        (s) =>
          new Promise<void>((r) => {
            try {
              s.close(() => r());
            } catch {
              r();
            }
          }),
      ),
    );
    this.receivers = [];
    this.sockets = [];
  }
}
