// `npm run fuzz`: the OVSDB input path — framing, JSON-RPC dispatch, strict update/update2/update3
// decoding into the replica, and the graph build from it — on mutated recorded server messages
// (fixtures/ovsdb/) and on random bytes. A crash is any throw out of that path; a closed
// connection (typed reason) is the expected answer to bad input.
import { Duplex } from 'node:stream';
import type { FuzzResult, FuzzTarget } from './fuzz.ts';
import { parseSchema } from '../src/ovs/datum.ts';
import { buildOvsGraph, OVS_COLUMNS } from '../src/ovs/model.ts';
import { Replica } from '../src/ovs/replica.ts';
import { RpcConnection } from '../src/ovs/rpc.ts';
import { prng as rng } from '../src/util/prng.ts';
import { loadSession } from '../test/ovs/replay-server.ts';

export { rng };

type Msg = Record<string, unknown>;

/** The recorded server messages: get_schema's answer, each monitor's snapshot and its notifications. */
export function seedMessages(): { schema: unknown; snapshots: Msg[]; notes: Msg[] } {
  const snapshots: Msg[] = [];
  const notes: Msg[] = [];
  let schema: unknown;
  for (const f of ['monitor.jsonl', 'monitor_cond.jsonl', 'monitor_cond_since.jsonl']) {
    for (const l of loadSession(f)) {
      if (l.dir !== 'in') continue;
      if (typeof l.msg.method === 'string') notes.push(l.msg);
      else if (l.msg.id === 2) schema = l.msg.result;
      else if (l.msg.id === 3) snapshots.push({ ...l.msg, method: f });
    }
  }
  return { schema, snapshots, notes };
}

const SPECIAL = ['{', '}', '[', ']', '"', '\\', ',', ':', 'null', '"uuid"', '"set"', '"map"', '1e999', '-0', '"\u0000"'];

/** One mutation of a message's text: byte flips, truncation, a token spliced in, or a value swapped. */
export function mutateText(src: string, r: () => number): Buffer {
  const kind = Math.floor(r() * 4);
  if (kind === 0) {
    const b = Buffer.from(src);
    for (let i = 0, n = 1 + Math.floor(r() * 6); i < n; i++) {
      const o = Math.floor(r() * b.length);
      b[o] = b[o]! ^ (1 << Math.floor(r() * 8));
    }
    return b;
  }
  if (kind === 1) return Buffer.from(src.slice(0, Math.floor(r() * src.length)));
  const o = Math.floor(r() * src.length);
  const tok = SPECIAL[Math.floor(r() * SPECIAL.length)]!;
  if (kind === 2) return Buffer.from(src.slice(0, o) + tok + src.slice(o));
  // Replace one JSON value (a quoted string or a number) with another kind of value.
  const m = /"[^"]*"|-?\d+(\.\d+)?/g;
  const hits = [...src.matchAll(m)];
  if (!hits.length) return Buffer.from(src);
  const h = hits[Math.floor(r() * hits.length)]!;
  const repl = ['0', '"x"', 'true', '[]', '{}', '["uuid","x"]', '["set",[1]]', '["map",[[1]]]', 'null'][Math.floor(r() * 9)]!;
  return Buffer.from(src.slice(0, h.index) + repl + src.slice(h.index + h[0].length));
}

/** Feeds bytes through a fresh connection whose replica holds a recorded snapshot; throws only on a crash. */
export class OvsdbFuzzHarness {
  private readonly schema;
  constructor(private readonly seeds = seedMessages()) {
    this.schema = parseSchema(seeds.schema);
  }

  run(chunks: Buffer[], snapshot: number): 'decoded' | 'error' {
    const replica = new Replica(() => buildOvsGraph(replica.tables, 'fuzz-host', 'ovsdb.fuzz', 'fuzz'));
    replica.setSchema(this.schema, OVS_COLUMNS);
    const snap = this.seeds.snapshots[snapshot % this.seeds.snapshots.length]!;
    if (snap.method === 'monitor.jsonl') replica.applyUpdates(snap.result, true);
    else if (snap.method === 'monitor_cond.jsonl') replica.applyUpdates2(snap.result, true);
    else replica.applyUpdates2((snap.result as unknown[])[2], true);
    let closed: string | null = null;
    const sock = new Duplex({
      read() {},
      write(_c, _e, cb) {
        cb();
      },
    });
    const rpc = new RpcConnection(sock, {
      maxMessageBytes: 1 << 20,
      requestTimeoutMs: 60_000,
      onNotification: (m, p) => replica.notification(m, p),
      onClose: (reason) => {
        closed = reason;
      },
    });
    for (const c of chunks) {
      if (closed) break;
      sock.emit('data', c);
    }
    if (!closed) rpc.close('local', 'done');
    return closed && closed !== 'local' ? 'error' : 'decoded';
  }

  notes(): Msg[] {
    return this.seeds.notes;
  }
}

export const fuzz: FuzzTarget[] = [
  {
    name: 'ovsdb.jsonrpc.mutated',
    run(iterations, seed): FuzzResult {
      const h = new OvsdbFuzzHarness();
      const notes = h.notes().map((n) => JSON.stringify(n));
      const r = rng(seed);
      const res: FuzzResult = { iterations, crashes: 0, errors: 0, decoded: 0 };
      for (let i = 0; i < iterations; i++) {
        // A few real notifications in order with one of them mutated, split at a random point.
        const start = Math.floor(r() * notes.length);
        const picked = notes.slice(start, start + 1 + Math.floor(r() * 3));
        const k = Math.floor(r() * picked.length);
        const text = Buffer.concat(picked.map((n, j) => (j === k ? mutateText(n, r) : Buffer.from(n))));
        const cut = Math.floor(r() * text.length);
        try {
          if (h.run([text.subarray(0, cut), text.subarray(cut)], i) === 'error') res.errors++;
          else res.decoded++;
        } catch (e) {
          res.crashes++;
          if (res.crashes <= 3) process.stderr.write(`crash: ${(e as Error).stack}\n`);
        }
      }
      return res;
    },
  },
  {
    name: 'ovsdb.jsonrpc.random',
    run(iterations, seed): FuzzResult {
      const h = new OvsdbFuzzHarness();
      const r = rng(seed);
      const res: FuzzResult = { iterations, crashes: 0, errors: 0, decoded: 0 };
      for (let i = 0; i < iterations; i++) {
        const b = Buffer.alloc(Math.floor(r() * 200));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(r() * 256);
        if (b.length && r() < 0.5) b[0] = 0x7b;
        try {
          if (h.run([b], i) === 'error') res.errors++;
          else res.decoded++;
        } catch (e) {
          res.crashes++;
          if (res.crashes <= 3) process.stderr.write(`crash: ${(e as Error).stack}\n`);
        }
      }
      return res;
    },
  },
];
