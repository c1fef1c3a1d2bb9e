// One SNMP conversation with one device: GET of scalars and GETBULK subtree walks on a net-snmp
// session, with the checks net-snmp leaves to the caller (OIDs must increase, row caps) and its
// errors turned into typed SnmpError codes the poller shows in /api/status.
import { snmp, T, type SnmpSession, type V3User, type Varbind } from './net-snmp.ts';
import type { Target } from './devices.ts';

export type SnmpErrorCode =
  | 'timeout'
  | 'malformed'
  | 'oid-not-increasing'
  | 'agent-error'
  | 'auth'
  | 'too-many-rows'
  | 'wrong-type'
  | 'no-such-object'
  | 'end-of-mib'
  | 'not-leased'
  | 'internal';

export class SnmpError extends Error {
  constructor(
    readonly code: SnmpErrorCode,
    message: string,
    readonly oid?: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
  /** A runaway agent cannot make one walk hold more than this many varbinds. */
  maxRowsPerWalk?: number;
  /** Asked before every datagram, retries included: false → nothing is sent, the request fails 'not-leased'. */
  mayRequest?: () => boolean;
}

class NotLeasedError extends Error {
  override name = 'NotLeasedError';
}

/** Why a walk stopped (besides leaving its subtree). */
export type WalkEnd = 'subtree' | 'endOfMibView' | 'noSuchObject' | 'noSuchInstance' | 'empty';

export interface WalkResult {
  varbinds: Varbind[];
  end: WalkEnd;
}

const AUTH: Record<string, string> = { md5: 'md5', sha: 'sha', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };
const PRIV: Record<string, string> = { des: 'des', aes: 'aes', aes256b: 'aes256b', aes256r: 'aes256r' };

/** Compares dotted OIDs arc by arc (no allocation: this runs once per walked varbind). */
export function compareOids(a: string, b: string): number {
  let i = 0;
  let j = 0;
  for (;;) {
    if (i >= a.length || j >= b.length) return (i >= a.length ? 0 : 1) - (j >= b.length ? 0 : 1);
    let x = 0;
    let y = 0;
    while (i < a.length && a.charCodeAt(i) !== 46) x = x * 10 + (a.charCodeAt(i++) - 48);
    while (j < b.length && b.charCodeAt(j) !== 46) y = y * 10 + (b.charCodeAt(j++) - 48);
    if (x !== y) return x - y;
    i++;
    j++;
  }
}

export function v3User(t: Target): V3User {
  const authProtocol = t.authProtocol ? snmp.AuthProtocols[AUTH[t.authProtocol] ?? 'sha'] : undefined;
  const privProtocol = t.privProtocol ? snmp.PrivProtocols[PRIV[t.privProtocol] ?? 'aes'] : undefined;
  const level =
    t.authKey && t.privKey ? snmp.SecurityLevel.authPriv : t.authKey ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.noAuthNoPriv;
  const u: V3User = { name: t.user ?? '', level };
  if (t.authKey) {
    u.authProtocol = authProtocol ?? snmp.AuthProtocols.sha!;
    u.authKey = t.authKey;
  }
  if (t.authKey && t.privKey) {
    u.privProtocol = privProtocol ?? snmp.PrivProtocols.aes!;
    u.privKey = t.privKey;
  }
  return u;
}

export class SnmpClient {
  private readonly session: SnmpSession;
  private lastMalformed: string | undefined;
  /** Varbinds received (for stats and the benchmark). */
  varbinds = 0;
  requests = 0;
  /** When the last datagram went out (ms since the epoch; 0: none). */
  lastSentAt = 0;

  constructor(
    readonly target: Target,
    readonly community: string | undefined,
    private readonly opts: ClientOptions,
  ) {
    const common = {
      port: target.port,
      timeout: opts.timeoutMs,
      retries: opts.retries,
      transport: target.address.includes(':') ? 'udp6' : 'udp4',
      backoff: 1,
    };
    this.session =
      target.version === '3'
        ? snmp.createV3Session(target.address, v3User(target), { ...common, version: snmp.Version3, context: target.contextName ?? '' })
        : snmp.createSession(target.address, community ?? 'public', { ...common, version: snmp.Version2c });
    // net-snmp emits 'error' for datagrams it cannot decode; without a listener that would throw.
    this.session.on('error', (e) => (this.lastMalformed = e.message));
    // The device may be another collector's by the time a retry is due: each datagram asks first.
    const send = this.session.send.bind(this.session);
    this.session.send = (req, noWait) => {
      if (opts.mayRequest && !opts.mayRequest()) {
        req.responseCb(new NotLeasedError('not sent: this collector no longer holds the device lease'));
        return this.session;
      }
      this.lastSentAt = Date.now();
      return send(req, noWait);
    };
  }

  close(): void {
    try {
      this.session.close();
    } catch {
      /* already closed */
    }
  }

  private wrap(err: Error, oid: string): SnmpError {
    const name = err.name;
    if (name === 'RequestTimedOutError') {
      if (this.lastMalformed) return new SnmpError('malformed', `malformed response (${this.lastMalformed}), then timeout`, oid);
      return new SnmpError('timeout', `no answer for ${oid} (timeout ${this.opts.timeoutMs} ms, ${this.opts.retries} retries)`, oid);
    }
    if (name === 'ResponseInvalidError') {
      const code = (err as Error & { code?: number }).code;
      if (code === 4 || code === 5 || code === 11) return new SnmpError('auth', err.message, oid);
      return new SnmpError('malformed', err.message, oid);
    }
    if (name === 'RequestFailedError') return new SnmpError('agent-error', err.message, oid);
    if (name === 'NotLeasedError') return new SnmpError('not-leased', err.message, oid);
    return new SnmpError('internal', err.message, oid);
  }

  /** GET of scalars; absent objects come back as null. */
  get(oids: string[]): Promise<(Varbind | null)[]> {
    this.requests++;
    return new Promise((resolve, reject) => {
      this.session.get(oids, (err, vbs) => {
        if (err) return reject(this.wrap(err, oids[0] ?? ''));
        const out = (vbs ?? []).map((vb) => (snmp.isVarbindError(vb) ? null : vb));
        this.varbinds += out.length;
        resolve(out);
      });
    });
  }

  private bulk(oid: string): Promise<Varbind[]> {
    this.requests++;
    return new Promise((resolve, reject) => {
      this.session.getBulk([oid], 0, this.opts.maxRepetitions, (err, vbs) => {
        if (err) return reject(this.wrap(err, oid));
        const first = vbs?.[0];
        resolve(Array.isArray(first) ? first : first ? [first] : []);
      });
    });
  }

  /** Walks one subtree with GETBULK. Throws SnmpError on a non-increasing OID or too many rows. */
  async walk(root: string): Promise<WalkResult> {
    const cap = this.opts.maxRowsPerWalk ?? 100_000;
    const prefix = root + '.';
    const out: Varbind[] = [];
    let cur = root;
    for (;;) {
      const vbs = await this.bulk(cur);
      this.varbinds += vbs.length;
      if (vbs.length === 0) return { varbinds: out, end: 'empty' };
      for (const vb of vbs) {
        if (vb.type === T.EndOfMibView) return { varbinds: out, end: 'endOfMibView' };
        if (vb.type === T.NoSuchObject) return { varbinds: out, end: 'noSuchObject' };
        if (vb.type === T.NoSuchInstance) return { varbinds: out, end: 'noSuchInstance' };
        if (!vb.oid.startsWith(prefix)) return { varbinds: out, end: 'subtree' };
        if (compareOids(vb.oid, cur) <= 0)
          throw new SnmpError('oid-not-increasing', `agent returned ${vb.oid} after ${cur} (OIDs must increase)`, vb.oid);
        out.push(vb);
        if (out.length > cap) throw new SnmpError('too-many-rows', `more than ${cap} rows under ${root}`, root);
        cur = vb.oid;
      }
    }
  }

  /** Walks several columns at once (one GETBULK stream per column, in parallel). */
  async walkColumns(roots: readonly string[]): Promise<Map<string, WalkResult>> {
    const results = await Promise.all(roots.map((r) => this.walk(r)));
    return new Map(roots.map((r, i) => [r, results[i]!]));
  }
}
