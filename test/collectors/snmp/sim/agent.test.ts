// Protocol behaviour and bad input, over UDP and directly against the engine (requests built with
// asn1-ber, responses parsed with asn1-ber, expectations taken from the walk file itself).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimAgent } from '../../../../src/collectors/snmp/sim/agent.ts';
import { loadWalkFile } from '../../../../src/collectors/snmp/sim/load.ts';
import { parseSnmprec } from '../../../../src/collectors/snmp/sim/snmprec.ts';
import { startSimulator, type RunningSimulator } from '../../../../src/collectors/snmp/sim/server.ts';
import { FIXTURE_DIR, buildRequest, exchange, parseResponse } from './helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const C = 'librenms__arista_eos';
const FILE = join(FIXTURE_DIR, `${C}.snmprec`);
const fileOids = parseSnmprec(readFileSync(FILE, 'latin1')).records.map((r) => r.oid);
const after = (oid: string, n = 1): string[] => {
  const i = fileOids.findIndex((o) => o.startsWith(oid + '.'));
  return fileOids.slice(i, i + n);
};

describe('snmp-sim protocol over UDP', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ files: [FILE] });
  });
  afterAll(async () => sim?.close());
  const ask = async (o: Parameters<typeof buildRequest>[0]) => {
    const r = await exchange(sim.port, buildRequest(o));
    return r ? { size: r.length, ...parseResponse(r) } : null;
  };

  it('wrong community: no answer, counted', async () => {
    const before = sim.stats().unknownCommunity;
    expect(await ask({ version: 1, community: 'public', pdu: 0xa0, requestId: 1, oids: ['1.3.6.1.2.1.1.5.0'] })).toBeNull();
    expect(sim.stats().unknownCommunity).toBe(before + 1);
  });

  it('GETBULK: non-repeaters then repetitions in lexicographic order, as the walk file lists them', async () => {
    const r = (await ask({
      version: 1,
      community: C,
      pdu: 0xa5,
      requestId: 42,
      f1: 1,
      f2: 3,
      oids: ['1.3.6.1.2.1.1.3', '1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.3'],
    }))!;
    expect(r.requestId).toBe(42);
    expect(r.errorStatus).toBe(0);
    const d = after('1.3.6.1.2.1.2.2.1.2', 3);
    const t = after('1.3.6.1.2.1.2.2.1.3', 3);
    expect(r.varbinds.map((v) => v.oid)).toEqual(['1.3.6.1.2.1.1.3.0', d[0], t[0], d[1], t[1], d[2], t[2]]);
  });

  it('huge max-repetitions: the reply is cut to the size cap (1472), not an error', async () => {
    const r = (await ask({ version: 1, community: C, pdu: 0xa5, requestId: 3, f1: 0, f2: 2147483647, oids: ['1.3.6.1.2.1.2.2.1.2'] }))!;
    expect(r.errorStatus).toBe(0);
    expect(r.size).toBeLessThanOrEqual(1472);
    expect(r.size).toBeGreaterThan(1200);
    expect(r.varbinds.map((v) => v.oid)).toEqual(after('1.3.6.1.2.1.2.2.1.2', r.varbinds.length));
    expect(sim.stats().truncated).toBeGreaterThan(0);
  });

  it('end of MIB: GETNEXT → endOfMibView; GETBULK stops after one all-endOfMibView repetition', async () => {
    const last = fileOids[fileOids.length - 1]!;
    const n = (await ask({ version: 1, community: C, pdu: 0xa1, requestId: 4, oids: [last] }))!;
    expect(n.varbinds).toEqual([expect.objectContaining({ oid: last, tag: 0x82 })]);
    const b = (await ask({ version: 1, community: C, pdu: 0xa5, requestId: 5, f2: 50, oids: [fileOids[fileOids.length - 2]!] }))!;
    expect(b.varbinds.map((v) => [v.oid, v.tag === 0x82])).toEqual([
      [last, false],
      [last, true],
    ]);
  });

  it('v1: noSuchName with error-index, GETBULK unanswered; SET is refused', async () => {
    const g = (await ask({ version: 0, community: C, pdu: 0xa0, requestId: 6, oids: ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.5.9'] }))!;
    expect([g.errorStatus, g.errorIndex]).toEqual([2, 2]);
    expect(g.varbinds.map((v) => [v.oid, v.tag])).toEqual([
      ['1.3.6.1.2.1.1.5.0', 0x05],
      ['1.3.6.1.2.1.1.5.9', 0x05],
    ]);
    const before = sim.stats().unsupportedPdu;
    expect(await ask({ version: 0, community: C, pdu: 0xa5, requestId: 7, f2: 5, oids: ['1.3.6.1.2.1.1'] })).toBeNull();
    expect(sim.stats().unsupportedPdu).toBe(before + 1);
    const s = (await ask({ version: 1, community: C, pdu: 0xa3, requestId: 8, oids: ['1.3.6.1.2.1.1.5.0'] }))!;
    expect([s.errorStatus, s.errorIndex]).toEqual([17, 1]);
  });

  it('GET that cannot fit: tooBig with no varbinds', async () => {
    const oids = Array.from({ length: 200 }, () => '1.3.6.1.2.1.1.1.0');
    const r = (await ask({ version: 1, community: C, pdu: 0xa0, requestId: 9, oids }))!;
    expect([r.errorStatus, r.errorIndex, r.varbinds.length]).toEqual([1, 0, 0]);
  });

  it('garbage datagrams are counted and dropped; the simulator keeps answering', async () => {
    const before = sim.stats().malformed;
    const junk = [
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from('hello'),
      Buffer.alloc(0),
      buildRequest({ version: 1, community: C, pdu: 0xa0, requestId: 1, oids: ['1.3.6.1'] }).subarray(0, 20),
    ];
    for (const j of junk) expect(await exchange(sim.port, j, 200)).toBeNull();
    expect(sim.stats().malformed).toBe(before + junk.length);
    const ok = (await ask({ version: 1, community: C, pdu: 0xa0, requestId: 10, oids: ['1.3.6.1.2.1.1.5.0'] }))!;
    expect(ok.varbinds[0]!.tag).toBe(0x04);
  });
});

describe('snmp-sim engine fuzz (never throws)', () => {
  const agent = new SimAgent([loadWalkFile(FILE)]);
  const valid = buildRequest({
    version: 1,
    community: C,
    pdu: 0xa5,
    requestId: 77,
    f1: 1,
    f2: 10,
    oids: ['1.3.6.1.2.1.1', '1.3.6.1.2.1.2.2.1.2'],
  });

  it('random datagrams', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = agent.handle(Buffer.from(bytes));
        expect(r === null || r.length > 0).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid requests: every answer is a well-formed Response within the size cap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(valid.length),
        (muts, cut) => {
          const b = Buffer.from(valid.subarray(0, Math.max(cut, valid.length - 3)));
          for (const [i, v] of muts) if (i < b.length) b[i] = v;
          const r = agent.handle(b);
          if (r) {
            const p = parseResponse(r);
            expect(p.pduTag).toBe(0xa2);
            expect(r.length).toBeLessThanOrEqual(1472);
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect(agent.stats.malformed).toBeGreaterThan(0);
  });
});
