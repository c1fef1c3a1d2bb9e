// Shared test helpers: fixture paths, an independent raw SNMP walker built on asn1-ber (so byte
// comparisons do not go through our own encoder), the snmpsimd reference as a child process, and
// a typed handle on the npm net-snmp client.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);

export const FIXTURE_DIR = resolve(import.meta.dirname, '../../../../fixtures/snmp');
export const execFileP = promisify(execFile);

interface BerWriter {
  startSequence(tag?: number): void;
  endSequence(): void;
  writeInt(v: number, tag?: number): void;
  writeString(s: string, tag?: number): void;
  writeBuffer(b: Buffer, tag: number): void;
  writeOID(s: string, tag?: number): void;
  writeNull(): void;
  buffer: Buffer;
}
interface BerReader {
  offset: number;
  length: number;
  _offset: number;
  readSequence(tag?: number): number | null;
  readInt(): number;
  readString(tag?: number, retbuf?: boolean): string | Buffer;
  readOID(): string;
  peek(): number | null;
}
export const Ber = require('asn1-ber').Ber as {
  Writer: new () => BerWriter;
  Reader: new (b: Buffer) => BerReader;
};

/** A v1/v2c request built with asn1-ber: one varbind per OID, NULL values. */
export function buildRequest(o: {
  version: 0 | 1;
  community: string;
  pdu: number;
  requestId: number;
  f1?: number;
  f2?: number;
  oids: string[];
}): Buffer {
  const w = new Ber.Writer();
  w.startSequence();
  w.writeInt(o.version);
  w.writeString(o.community);
  w.startSequence(o.pdu);
  w.writeInt(o.requestId);
  w.writeInt(o.f1 ?? 0);
  w.writeInt(o.f2 ?? 0);
  w.startSequence();
  for (const oid of o.oids) {
    w.startSequence();
    w.writeOID(oid);
    w.writeNull();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

export interface ParsedVarbind {
  oid: string;
  tag: number;
  /** Whole varbind TLV as hex. */
  raw: string;
}

export interface ParsedResponse {
  version: number;
  community: string;
  pduTag: number;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: ParsedVarbind[];
}

/** Parses a v1/v2c response with asn1-ber (independent of our decoder). */
export function parseResponse(buf: Buffer): ParsedResponse {
  const r = new Ber.Reader(buf);
  r.readSequence();
  const version = r.readInt();
  const community = (r.readString(0x04, true) as Buffer).toString('latin1');
  const pduTag = r.peek()!;
  r.readSequence(pduTag);
  const requestId = r.readInt();
  const errorStatus = r.readInt();
  const errorIndex = r.readInt();
  r.readSequence();
  const end = r.offset + r.length;
  const varbinds: ParsedVarbind[] = [];
  while (r.offset < end) {
    const start = r.offset;
    r.readSequence();
    const vbEnd = r.offset + r.length;
    const oid = r.readOID();
    const tag = r.peek()!;
    varbinds.push({ oid, tag, raw: buf.subarray(start, vbEnd).toString('hex') });
    r._offset = vbEnd;
  }
  return { version, community, pduTag, requestId, errorStatus, errorIndex, varbinds };
}

/** Sends one datagram and waits for one reply (null on timeout). */
export async function exchange(port: number, msg: Buffer, timeoutMs = 2000, host = '127.0.0.1'): Promise<Buffer | null> {
  const s = createSocket('udp4');
  try {
    return await new Promise<Buffer | null>((res) => {
      const timer = setTimeout(() => res(null), timeoutMs);
      s.once('message', (m) => {
        clearTimeout(timer);
        res(m);
      });
      s.send(msg, port, host);
    });
  } finally {
    s.close();
  }
}

function inSubtree(root: string, oid: string): boolean {
  return oid.startsWith(root + '.');
}

/**
 * Walks `root` with GETNEXT or GETBULK (v2c), returning the raw varbinds inside the subtree in order.
 * Stops on leaving the subtree, an exception value or a non-increasing OID.
 */
export async function rawWalk(o: { port: number; community: string; root: string; bulk?: number }): Promise<ParsedVarbind[]> {
  const out: ParsedVarbind[] = [];
  let cur = o.root;
  let reqId = 1;
  for (;;) {
    const req = buildRequest({
      version: 1,
      community: o.community,
      pdu: o.bulk ? 0xa5 : 0xa1,
      requestId: reqId,
      f1: 0,
      f2: o.bulk ?? 0,
      oids: [cur],
    });
    let rsp: Buffer | null = null;
    for (let attempt = 0; attempt < 3 && !rsp; attempt++) rsp = await exchange(o.port, req, 3000);
    if (!rsp) throw new Error(`no answer walking ${o.root} at ${cur}`);
    const p = parseResponse(rsp);
    if (p.requestId !== reqId) throw new Error(`request-id mismatch ${p.requestId} != ${reqId}`);
    reqId++;
    if (p.errorStatus !== 0) throw new Error(`error-status ${p.errorStatus} at ${cur}`);
    if (p.varbinds.length === 0) throw new Error(`empty response at ${cur}`);
    for (const vb of p.varbinds) {
      if (!inSubtree(o.root, vb.oid) || vb.tag >= 0x80) return out;
      out.push(vb);
      cur = vb.oid;
    }
  }
}

/** Decimal dotted OID of every non-comment line of a snmprec file (first of duplicates). */
export const SUBTREES = {
  system: '1.3.6.1.2.1.1',
  ifTable: '1.3.6.1.2.1.2.2',
  ifXTable: '1.3.6.1.2.1.31.1.1',
  lldp: '1.0.8802.1.1.2',
  bridge: '1.3.6.1.2.1.17',
} as const;

export interface Snmpsimd {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * What snmpsimd may read once it has dropped to nobody: a copy of `dataDir` in a world-readable
 * temporary folder. The checkout itself may sit in a 0700 home directory that nobody cannot enter.
 */
function readableCopy(dataDir: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-snmpsim-data-'));
  cpSync(dataDir, dir, { recursive: true });
  const open = (p: string): void => {
    const isDir = statSync(p).isDirectory();
    chmodSync(p, isDir ? 0o755 : 0o644);
    if (isDir) for (const e of readdirSync(p)) open(join(p, e));
  };
  open(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Lines snmpsimd logs when it cannot serve what it was asked to: fail at once, not after the wait. */
function snmpsimdFailure(log: string, dataDir: string): string | null {
  if (log.includes(`Directory "${dataDir}" does not exist`)) return `cannot read its data directory ${dataDir}`;
  const m = /^.*(ERROR|Traceback|Permission denied).*$/m.exec(log);
  return m ? m[0] : null;
}

/**
 * Starts Debian's snmpsimd (0.4.x) on a loopback port, serving a readable copy of `dataDir`;
 * resolves once it answers. When it cannot start it rejects within seconds with its own log.
 */
export async function startSnmpsimd(
  dataDir: string,
  port: number,
  community: string,
  extra: string[] = [],
  opts: { copy?: boolean } = {},
): Promise<Snmpsimd> {
  // `copy: false` serves dataDir in place (the test of the failure path uses it).
  const data = opts.copy === false ? { dir: dataDir, remove: () => undefined } : readableCopy(dataDir);
  const cache = mkdtempSync(join(tmpdir(), 'canopy-snmpsim-cache-'));
  chmodSync(cache, 0o777);
  const args = [
    `--data-dir=${data.dir}`,
    `--cache-dir=${cache}`,
    `--agent-udpv4-endpoint=127.0.0.1:${port}`,
    '--logging-method=stderr',
    ...extra,
  ];
  if (process.getuid?.() === 0) args.push('--process-user=nobody', '--process-group=nogroup');
  const child = spawn('snmpsimd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => {
    // Keep the start of the log (the configuration and any failure) and not the per-request lines.
    if (log.length < 64 * 1024) log += d.toString();
  });
  const spawnError = new Promise<Error>((r) => child.once('error', r));
  const stop = async (): Promise<void> => {
    try {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    } finally {
      data.remove();
      rmSync(cache, { recursive: true, force: true });
    }
  };
  const fail = async (why: string): Promise<never> => {
    await stop();
    throw new Error(`snmpsimd ${why}; its log:\n${log.slice(-4000)}`);
  };
  const probe = buildRequest({ version: 1, community, pdu: 0xa1, requestId: 7, oids: ['1.3.6.1.2.1.1'] });
  // It answers within a second or two here; the wait ends at once on a logged failure.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const err = await Promise.race([spawnError, new Promise<null>((r) => setImmediate(() => r(null)))]);
    if (err) return fail(`could not be started (${err.message})`);
    if (child.exitCode !== null) return fail(`exited with code ${child.exitCode}`);
    const why = snmpsimdFailure(log, data.dir);
    if (why) return fail(why);
    if (await exchange(port, probe, 500)) return { port, child, stop };
  }
  return fail(`did not answer on 127.0.0.1:${port} within 30 s`);
}

/** The npm net-snmp client, typed for what the tests use. */
export interface NetSnmpVarbind {
  oid: string;
  type: number;
  value: unknown;
}
export interface NetSnmpSession {
  get(oids: string[], cb: (err: Error | null, vbs: NetSnmpVarbind[]) => void): void;
  subtree(oid: string, maxRepetitions: number, feed: (vbs: NetSnmpVarbind[]) => void, done: (err: Error | null) => void): void;
  close(): void;
}
export const netSnmp = require('net-snmp') as {
  Version1: number;
  Version2c: number;
  SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  createSession(target: string, community: string, opts: object): NetSnmpSession;
  createV3Session(target: string, user: object, opts: object): NetSnmpSession;
  isVarbindError(vb: NetSnmpVarbind): boolean;
};

export function subtreeP(s: NetSnmpSession, oid: string, maxRep = 20): Promise<NetSnmpVarbind[]> {
  return new Promise((res, rej) => {
    const all: NetSnmpVarbind[] = [];
    s.subtree(
      oid,
      maxRep,
      (vbs) => void all.push(...vbs),
      (err) => (err ? rej(err) : res(all)),
    );
  });
}

export function getP(s: NetSnmpSession, oids: string[]): Promise<NetSnmpVarbind[]> {
  return new Promise((res, rej) => s.get(oids, (err, vbs) => (err ? rej(err) : res(vbs))));
}

/** A free-ish UDP port for child processes: bind 0, read it, release it. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}
