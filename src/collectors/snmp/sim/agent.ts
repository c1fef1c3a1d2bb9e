// The simulator's SNMP engine: takes one datagram, picks the device (community for v1/v2c, context
// name for v3), answers through servePdu and encodes the reply. Bad input is counted and dropped.
import { TAG, intContentSize, tlvSize, writeHeader, writeInteger, type BerError } from './ber.ts';
import type { SimDevice } from './device.ts';
import { decodeMessage, decodePdu, decodeScopedPdu, isBerError, type PduView, type V3Message } from './message.ts';
import { encodeOidText } from './oid.ts';
import { PDU_OVERHEAD, VarbindList, encodeCommunityResponse, pduSize, servePdu, writePdu, type PduOutcome } from './responder.ts';
import { computeMac, decryptScoped, encryptScoped, localizeUser, macMatches, type LocalizedUser, type V3UserConfig } from './usm.ts';

export interface SimStats {
  received: number;
  responses: number;
  /** Datagrams that did not decode (see lastError). */
  malformed: number;
  /** v1/v2c community that selects no device: no answer (like a real agent). */
  unknownCommunity: number;
  /** GETBULK in v1, traps, responses, reports: no answer. */
  unsupportedPdu: number;
  tooBig: number;
  /** GETBULK responses cut short by the size limit. */
  truncated: number;
  /** Varbinds served from walk records. */
  varbinds: number;
  v3: {
    unknownEngineIds: number;
    unknownUserNames: number;
    unsupportedSecLevels: number;
    wrongDigests: number;
    notInTimeWindows: number;
    decryptionErrors: number;
    unknownContexts: number;
  };
  lastError: BerError | null;
}

export function emptyStats(): SimStats {
  return {
    received: 0,
    responses: 0,
    malformed: 0,
    unknownCommunity: 0,
    unsupportedPdu: 0,
    tooBig: 0,
    truncated: 0,
    varbinds: 0,
    v3: {
      unknownEngineIds: 0,
      unknownUserNames: 0,
      unsupportedSecLevels: 0,
      wrongDigests: 0,
      notInTimeWindows: 0,
      decryptionErrors: 0,
      unknownContexts: 0,
    },
    lastError: null,
  };
}

export interface AgentOptions {
  /** Largest response datagram (real agents: 1472–65507). Default 1472. */
  maxMessageSize?: number;
  /** Upper bound on GETBULK max-repetitions (snmpsim uses 64 varbinds). Default unlimited (size-bound). */
  maxRepetitions?: number;
  /** SNMPv3 engine: users and engine ID (hex). */
  v3?: { users: V3UserConfig[]; engineId?: string; engineBoots?: number };
  /**
   * A device bound to its own port or address also answers this community: one credential for a
   * whole simulated fabric (discovery tries the credentials of a subnet, not one per device).
   */
  sharedCommunity?: string;
}

export const DEFAULT_ENGINE_ID = '80001f8804' + Buffer.from('canopy-sim').toString('hex');

const REPORT_OID: Record<keyof SimStats['v3'], string> = {
  unsupportedSecLevels: '1.3.6.1.6.3.15.1.1.1.0',
  notInTimeWindows: '1.3.6.1.6.3.15.1.1.2.0',
  unknownUserNames: '1.3.6.1.6.3.15.1.1.3.0',
  unknownEngineIds: '1.3.6.1.6.3.15.1.1.4.0',
  wrongDigests: '1.3.6.1.6.3.15.1.1.5.0',
  decryptionErrors: '1.3.6.1.6.3.15.1.1.6.0',
  unknownContexts: '1.3.6.1.6.3.12.1.5.0',
};

const FLAG_AUTH = 1;
const FLAG_PRIV = 2;
const FLAG_REPORTABLE = 4;
const TIME_WINDOW = 150;

export class SimAgent {
  readonly stats = emptyStats();
  private readonly byCommunity = new Map<string, SimDevice>();
  private readonly vbl = new VarbindList();
  private readonly maxMessageSize: number;
  private readonly maxRepetitions: number;
  private readonly sharedCommunity: string | undefined;
  readonly engineId: Buffer;
  private readonly engineBoots: number;
  private readonly startedAt = Date.now();
  private readonly users = new Map<string, LocalizedUser>();
  private saltCounter = BigInt(Math.floor(Math.random() * 2 ** 48));

  constructor(
    readonly devices: readonly SimDevice[],
    opts: AgentOptions = {},
  ) {
    for (const d of devices) if (!this.byCommunity.has(d.community)) this.byCommunity.set(d.community, d);
    for (const d of devices) for (const [k, c] of d.contexts) if (!this.byCommunity.has(k)) this.byCommunity.set(k, c);
    this.maxMessageSize = Math.min(Math.max(opts.maxMessageSize ?? 1472, 484), 65507);
    this.maxRepetitions = opts.maxRepetitions ?? 0x7fffffff;
    this.sharedCommunity = opts.sharedCommunity;
    this.engineId = Buffer.from(opts.v3?.engineId ?? DEFAULT_ENGINE_ID, 'hex');
    this.engineBoots = opts.v3?.engineBoots ?? 1;
    for (const u of opts.v3?.users ?? []) this.users.set(u.name, localizeUser(u, this.engineId));
  }

  device(community: string): SimDevice | undefined {
    return this.byCommunity.get(community);
  }

  engineTime(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }

  /** Answers one datagram; `local` is the device bound to the receiving port (port-per-device mode). */
  handle(msg: Buffer, local?: SimDevice): Buffer | null {
    this.stats.received++;
    const m = decodeMessage(msg);
    if (isBerError(m)) return this.malformed(m);
    if (m.version === 3) return this.handleV3(msg, m, local);
    const community = msg.toString('latin1', m.communityStart, m.communityEnd);
    const dev = local
      ? local.community === community || community === this.sharedCommunity
        ? local
        : local.contexts.get(community)
      : this.byCommunity.get(community);
    const pdu = decodePdu(msg, m.pduStart, m.pduEnd);
    if (isBerError(pdu)) return this.malformed(pdu);
    if (!dev) {
      this.stats.unknownCommunity++;
      return null;
    }
    const budget = this.maxMessageSize - (4 + 3 + tlvSize(m.communityEnd - m.communityStart) + PDU_OVERHEAD);
    const o = this.serve(dev, msg, pdu, m.version === 0, budget);
    if (!o) return null;
    this.stats.responses++;
    return encodeCommunityResponse(m.version, msg, m.communityStart, m.communityEnd, pdu.requestId, o, this.vbl);
  }

  private malformed(e: BerError): null {
    this.stats.malformed++;
    this.stats.lastError = e;
    return null;
  }

  private serve(dev: SimDevice, req: Uint8Array, pdu: PduView, v1: boolean, budget: number): PduOutcome | null {
    const o = servePdu(dev, req, pdu, v1, budget, this.vbl, this.maxRepetitions);
    if (!o) {
      this.stats.unsupportedPdu++;
      return null;
    }
    this.stats.varbinds += o.served;
    if (o.errorStatus === 1) this.stats.tooBig++;
    else if (o.truncated) this.stats.truncated++;
    return o;
  }

  private handleV3(msg: Buffer, m: V3Message, local?: SimDevice): Buffer | null {
    const flags = m.flags;
    if (m.securityModel !== 3 || (flags & FLAG_PRIV && !(flags & FLAG_AUTH)))
      return this.malformed({ code: 'unsupported', offset: 0, context: 'msgSecurityModel/msgFlags' });
    const reportable = (flags & FLAG_REPORTABLE) !== 0;
    const userName = msg.toString('utf8', m.user[0], m.user[1]);
    const plainPdu = () => (m.encrypted ? null : decodeScopedPdu(msg, m.scoped[0], m.scoped[1]));
    const report = (kind: keyof SimStats['v3'], user: LocalizedUser | null, level: number): Buffer | null => {
      this.stats.v3[kind]++;
      if (!reportable) return null;
      const sp = plainPdu();
      const reqId = sp && !isBerError(sp) ? sp.pdu.requestId : 0x7fffffff;
      const ctx = sp && !isBerError(sp) ? msg.subarray(sp.contextName[0], sp.contextName[1]) : Buffer.alloc(0);
      this.vbl.reset();
      const vb = counterVarbind(REPORT_OID[kind], this.stats.v3[kind]);
      this.vbl.push(vb, 0, vb.length);
      this.stats.responses++;
      return this.encodeV3(m, userName, user, level, ctx, TAG.report, reqId, {
        errorStatus: 0,
        errorIndex: 0,
        served: 0,
        truncated: false,
      });
    };
    const engineMatches =
      m.engineId[1] - m.engineId[0] === this.engineId.length && this.engineId.equals(msg.subarray(m.engineId[0], m.engineId[1]));
    if (!engineMatches) return report('unknownEngineIds', null, 0);
    const user = this.users.get(userName);
    if (!user) return report('unknownUserNames', null, 0);
    const wantsPriv = user.priv !== null;
    if (!(flags & FLAG_AUTH) || wantsPriv !== ((flags & FLAG_PRIV) !== 0)) return report('unsupportedSecLevels', null, 0);
    const zeroed = Buffer.from(msg);
    zeroed.fill(0, m.authParams[0], m.authParams[1]);
    if (!macMatches(user, zeroed, msg.subarray(m.authParams[0], m.authParams[1]))) return report('wrongDigests', null, 0);
    const now = this.engineTime();
    if (m.boots !== this.engineBoots || Math.abs(m.time - now) > TIME_WINDOW) return report('notInTimeWindows', user, FLAG_AUTH);
    let scopedBuf: Buffer = msg;
    let scopedStart = m.scoped[0];
    let scopedEnd = m.scoped[1];
    if (m.encrypted) {
      const plain = decryptScoped(
        user,
        m.boots,
        m.time,
        msg.subarray(m.privParams[0], m.privParams[1]),
        msg.subarray(m.scoped[0], m.scoped[1]),
      );
      if (!plain) return report('decryptionErrors', user, FLAG_AUTH);
      scopedBuf = plain;
      scopedStart = 0;
      scopedEnd = plain.length;
    }
    const sp = decodeScopedPdu(scopedBuf, scopedStart, scopedEnd);
    if (isBerError(sp)) return m.encrypted ? report('decryptionErrors', user, FLAG_AUTH) : this.malformed(sp);
    const ctxName = scopedBuf.toString('latin1', sp.contextName[0], sp.contextName[1]);
    const dev = local
      ? ctxName === '' || ctxName === local.community
        ? local
        : local.contexts.get(ctxName)
      : ctxName === '' && this.devices.length === 1
        ? this.devices[0]
        : this.byCommunity.get(ctxName);
    if (!dev) return report('unknownContexts', user, flags & (FLAG_AUTH | FLAG_PRIV));
    const ctx = Buffer.from(scopedBuf.subarray(sp.contextName[0], sp.contextName[1]));
    const maxSize = Math.min(this.maxMessageSize, Math.max(m.maxSize, 484));
    const budget = maxSize - (v3Overhead(this.engineId.length, m.user[1] - m.user[0], ctx.length) + PDU_OVERHEAD);
    const o = this.serve(dev, scopedBuf, sp.pdu, false, budget);
    if (!o) return null;
    this.stats.responses++;
    return this.encodeV3(m, userName, user, flags & (FLAG_AUTH | FLAG_PRIV), ctx, TAG.response, sp.pdu.requestId, o);
  }

  private encodeV3(
    m: V3Message,
    userName: string,
    user: LocalizedUser | null,
    level: number,
    ctxName: Buffer,
    pduTag: number,
    reqId: number,
    o: PduOutcome,
  ): Buffer {
    const pduLen = pduSize(reqId, o.errorStatus, o.errorIndex, this.vbl);
    const scopedInner = tlvSize(this.engineId.length) + tlvSize(ctxName.length) + pduLen;
    let scoped = Buffer.allocUnsafe(tlvSize(scopedInner));
    let off = writeHeader(scoped, 0, TAG.sequence, scopedInner);
    off = writeOctets(scoped, off, this.engineId);
    off = writeOctets(scoped, off, ctxName);
    writePdu(scoped, off, pduTag, reqId, o.errorStatus, o.errorIndex, this.vbl);
    const boots = this.engineBoots;
    const time = this.engineTime();
    let salt = Buffer.alloc(0);
    if (level & FLAG_PRIV && user?.priv) {
      salt = Buffer.allocUnsafe(8);
      salt.writeBigUInt64BE((this.saltCounter = (this.saltCounter + 1n) & 0xffffffffffffffffn));
      const enc = encryptScoped(user, boots, time, salt, scoped);
      const wrapped = Buffer.allocUnsafe(tlvSize(enc.length));
      enc.copy(wrapped, writeHeader(wrapped, 0, TAG.octetString, enc.length));
      scoped = wrapped;
    }
    const macLen = level & FLAG_AUTH && user ? user.auth.macLen : 0;
    const name = Buffer.from(userName, 'utf8');
    const usmInner =
      tlvSize(this.engineId.length) +
      2 +
      intContentSize(boots) +
      2 +
      intContentSize(time) +
      tlvSize(name.length) +
      tlvSize(macLen) +
      tlvSize(salt.length);
    const usmLen = tlvSize(usmInner);
    const gdInner = 2 + intContentSize(m.msgId) + 2 + intContentSize(65507) + 3 + 3;
    const inner = 3 + tlvSize(gdInner) + tlvSize(usmLen) + scoped.length;
    const out = Buffer.allocUnsafe(tlvSize(inner));
    off = writeHeader(out, 0, TAG.sequence, inner);
    off = writeInteger(out, off, 3);
    off = writeHeader(out, off, TAG.sequence, gdInner);
    off = writeInteger(out, off, m.msgId);
    off = writeInteger(out, off, 65507);
    off = writeOctets(out, off, Buffer.from([level & (FLAG_AUTH | FLAG_PRIV)]));
    off = writeInteger(out, off, 3);
    off = writeHeader(out, off, TAG.octetString, usmLen);
    off = writeHeader(out, off, TAG.sequence, usmInner);
    off = writeOctets(out, off, this.engineId);
    off = writeInteger(out, off, boots);
    off = writeInteger(out, off, time);
    off = writeOctets(out, off, name);
    off = writeHeader(out, off, TAG.octetString, macLen);
    const macAt = off;
    out.fill(0, off, off + macLen);
    off += macLen;
    off = writeOctets(out, off, salt);
    scoped.copy(out, off);
    if (macLen > 0 && user) computeMac(user, out).copy(out, macAt);
    return out;
  }
}

function writeOctets(out: Buffer, off: number, b: Uint8Array): number {
  off = writeHeader(out, off, TAG.octetString, b.length);
  out.set(b, off);
  return off + b.length;
}

/** Worst-case v3 message bytes outside the Response-PDU. */
function v3Overhead(engineIdLen: number, userLen: number, ctxLen: number): number {
  return 4 + 3 + 22 + 4 + 4 + tlvSize(engineIdLen) + 12 + tlvSize(userLen) + 50 + 10 + 4 + 4 + tlvSize(engineIdLen) + tlvSize(ctxLen);
}

function counterVarbind(oid: string, value: number): Buffer {
  const enc = encodeOidText(oid)!;
  const valLen = 2 + intContentSize(value >>> 0);
  const inner = tlvSize(enc.length) + valLen;
  const out = Buffer.allocUnsafe(tlvSize(inner));
  let off = writeHeader(out, 0, TAG.sequence, inner);
  off = writeHeader(out, off, TAG.oid, enc.length);
  off += enc.copy(out, off);
  writeInteger(out, off, value >>> 0, TAG.counter32);
  return out;
}
