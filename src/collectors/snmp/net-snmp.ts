// Typed handle on the npm `net-snmp` package (it ships no types): only what the poller and the
// trap receiver use.
import { createRequire } from 'node:module';
import type { Socket } from 'node:dgram';

const require = createRequire(import.meta.url);

export interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

export interface SnmpSession {
  get(oids: string[], cb: (err: Error | null, vbs?: Varbind[]) => void): void;
  getBulk(
    oids: string[],
    nonRepeaters: number,
    maxRepetitions: number,
    cb: (err: Error | null, vbs?: (Varbind | Varbind[])[]) => void,
  ): void;
  close(): void;
  /** Every datagram of a request goes out here: the first one and each retry (net-snmp calls it on itself). */
  send(req: { responseCb(err: Error | null): void }, noWait?: boolean): unknown;
  on(ev: 'error', cb: (err: Error) => void): void;
  on(ev: 'close', cb: () => void): void;
}

export interface V3User {
  name: string;
  level: number;
  authProtocol?: number;
  authKey?: string;
  privProtocol?: number;
  privKey?: string;
}

export interface TrapNotification {
  pdu: { type: number; varbinds: Varbind[]; community?: string; user?: string; enterprise?: string; generic?: number; specific?: number };
  rinfo: { address: string; port: number; family: string; size: number };
}

export interface SnmpReceiver {
  getAuthorizer(): { addUser(u: V3User): void; addCommunity(c: string): void };
  close(cb?: () => void): void;
}

export interface DgramModule {
  createSocket(type: string): Socket;
}

export const snmp = require('net-snmp') as {
  Version1: number;
  Version2c: number;
  Version3: number;
  SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  ObjectType: Record<string, number>;
  PduType: Record<string, number>;
  createSession(target: string, community: string, opts: object): SnmpSession;
  createV3Session(target: string, user: V3User, opts: object): SnmpSession;
  createReceiver(opts: object, cb: (err: Error | null, n?: TrapNotification) => void): SnmpReceiver;
  isVarbindError(vb: Varbind): boolean;
};

/** ASN.1 application tags as net-snmp reports them in Varbind.type. */
export const T = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;
