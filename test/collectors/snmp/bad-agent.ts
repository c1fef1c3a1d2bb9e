// A tiny SNMPv2c responder (asn1-ber) that misbehaves on purpose: never answers, answers
// endOfMibView / noSuchObject at once, repeats OIDs, sends garbage, or uses wrong types.
import { createSocket, type Socket } from 'node:dgram';
import { Ber } from './sim/helpers.ts';

export type Misbehaviour = 'timeout' | 'end-of-mib' | 'no-such-object' | 'loop' | 'garbage' | 'wrong-type';

interface Vb {
  oid: string;
  /** 'int' | 'str' | 'ticks' | 'oid' | 'eom' | 'nso' */
  kind: 'int' | 'str' | 'ticks' | 'oid' | 'eom' | 'nso';
  value?: number | string;
}

const SYS = { descr: '1.3.6.1.2.1.1.1.0', objectId: '1.3.6.1.2.1.1.2.0', upTime: '1.3.6.1.2.1.1.3.0', name: '1.3.6.1.2.1.1.5.0' };
const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
const IF_TYPE = '1.3.6.1.2.1.2.2.1.3';

function parseRequest(buf: Buffer): { community: string; pdu: number; reqId: number; oids: string[] } {
  const r = new Ber.Reader(buf);
  r.readSequence();
  r.readInt();
  const community = (r.readString(0x04, true) as Buffer).toString('latin1');
  const pdu = r.peek()!;
  r.readSequence(pdu);
  const reqId = r.readInt();
  r.readInt();
  r.readInt();
  r.readSequence();
  const end = r.offset + r.length;
  const oids: string[] = [];
  while (r.offset < end) {
    r.readSequence();
    const vbEnd = r.offset + r.length;
    oids.push(r.readOID());
    r._offset = vbEnd;
  }
  return { community, pdu, reqId, oids };
}

function encode(community: string, reqId: number, vbs: Vb[]): Buffer {
  const w = new Ber.Writer();
  w.startSequence();
  w.writeInt(1);
  w.writeString(community);
  w.startSequence(0xa2);
  w.writeInt(reqId);
  w.writeInt(0);
  w.writeInt(0);
  w.startSequence();
  for (const vb of vbs) {
    w.startSequence();
    w.writeOID(vb.oid);
    if (vb.kind === 'int') w.writeInt(Number(vb.value));
    else if (vb.kind === 'ticks') w.writeInt(Number(vb.value), 0x43);
    else if (vb.kind === 'str') w.writeString(String(vb.value));
    else if (vb.kind === 'oid') w.writeOID(String(vb.value));
    else w.writeBuffer(Buffer.alloc(0), vb.kind === 'eom' ? 0x82 : 0x80);
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

function systemGet(oids: string[], name: string, wrong: boolean): Vb[] {
  return oids.map((oid) => {
    if (oid === SYS.descr) return { oid, kind: 'str', value: `bad agent (${name})` };
    if (oid === SYS.objectId) return { oid, kind: 'oid', value: '1.3.6.1.4.1.8072.3.2.10' };
    // wrong-type: sysUpTime as a string, sysName as an integer
    if (oid === SYS.upTime) return wrong ? { oid, kind: 'str', value: 'yesterday' } : { oid, kind: 'ticks', value: 1000 };
    if (oid === SYS.name) return wrong ? { oid, kind: 'int', value: 42 } : { oid, kind: 'str', value: name };
    return { oid, kind: 'nso' };
  });
}

/** The next row after `oid` in a two-row column, or null past the end. */
function nextRow(root: string, oid: string): number | null {
  if (oid === root) return 1;
  if (oid === `${root}.1`) return 2;
  return null;
}

function bulk(mode: Misbehaviour, oid: string): Vb[] {
  if (mode === 'loop' && oid.startsWith(IF_DESCR)) {
    // First answer is fine, then the same OID again: the walk must notice it is not increasing.
    return [{ oid: `${IF_DESCR}.1`, kind: 'str', value: 'eth0' }];
  }
  if (mode === 'wrong-type') {
    for (const [root, vb] of [
      [IF_DESCR, (i: number) => ({ kind: 'str', value: `eth${i}` })],
      [IF_TYPE, (_i: number) => ({ kind: 'str', value: 'ethernetCsmacd' })],
    ] as const) {
      if (!oid.startsWith(root)) continue;
      const i = nextRow(root, oid);
      if (i !== null) return [{ oid: `${root}.${i}`, ...(vb(i) as { kind: 'str'; value: string }) }];
    }
  }
  if (mode === 'no-such-object') return [{ oid, kind: 'nso' }];
  return [{ oid, kind: 'eom' }];
}

export interface BadAgent {
  port: number;
  requests: number;
  close(): Promise<void>;
}

export async function startBadAgent(mode: Misbehaviour): Promise<BadAgent> {
  const s: Socket = createSocket('udp4');
  const agent: BadAgent = { port: 0, requests: 0, close: () => new Promise((r) => s.close(() => r())) };
  s.on('message', (msg, rinfo) => {
    agent.requests++;
    if (mode === 'timeout') return;
    if (mode === 'garbage') {
      // A SEQUENCE that claims 64 bytes but carries 5, then junk.
      s.send(Buffer.from('30400201010406ffffffff', 'hex'), rinfo.port, rinfo.address);
      return;
    }
    let req;
    try {
      req = parseRequest(msg);
    } catch {
      return;
    }
    const vbs =
      req.pdu === 0xa0
        ? mode === 'no-such-object'
          ? req.oids.map((oid): Vb => ({ oid, kind: 'nso' }))
          : systemGet(req.oids, `bad-${mode}`, mode === 'wrong-type')
        : req.oids.flatMap((o) => bulk(mode, o));
    s.send(encode(req.community, req.reqId, vbs), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  agent.port = s.address().port;
  return agent;
}
