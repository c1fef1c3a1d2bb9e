// `npm run fuzz`: the OVSDB input path — framing, JSON-RPC dispatch, strict update/update2/update3
// decoding into the replica, and the graph build from it — on mutated recorded server messages
// (fixtures/ovsdb/) and on random bytes. A crash is any throw out of that path; a closed
// connection (typed reason) is the expected answer to bad input.
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { inputRng, sampleArb, type FuzzTarget, type Outcome } from './lib/fuzz-core.ts';
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

/** An input: [u8 snapshot][u32 split point][stream bytes] (the stream reaches the connection in two chunks). */
export function packStream(snapshot: number, cut: number, text: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = snapshot & 0xff;
  head.writeUInt32BE(Math.min(cut, text.length) >>> 0, 1);
  return Buffer.concat([head, text]);
}

function execStream(h: OvsdbFuzzHarness, input: Buffer): Outcome {
  if (input.length < 5) return 'error';
  const text = input.subarray(5);
  const cut = Math.min(input.readUInt32BE(1), text.length);
  return h.run([text.subarray(0, cut), text.subarray(cut)], input[0]!) === 'error' ? 'error' : 'ok';
}

const UUIDS = ['1e5b7a5c-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000000'];
const TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface', 'Mirror', 'sFlow', 'NetFlow', 'Controller', 'Nope'];
const COLUMNS = [
  'name',
  'ports',
  'interfaces',
  'type',
  'ofport',
  'mac_in_use',
  'external_ids',
  'other_config',
  'statistics',
  'bridges',
  'mirrors',
  'sflow',
  'link_state',
  'admin_state',
  '_uuid',
  'tag',
  'trunks',
];
/** OVSDB datum shapes: atoms, ["uuid",…], ["set",[…]], ["map",[[k,v]…]], and JSON of any other shape. */
const atom = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.double(), fc.constant(null));
const datum: fc.Arbitrary<unknown> = fc.oneof(
  atom,
  fc.tuple(fc.constant('uuid'), fc.oneof(fc.constantFrom(...UUIDS), fc.string({ maxLength: 40 }))),
  fc.tuple(fc.constant('named-uuid'), fc.string({ maxLength: 8 })),
  fc.tuple(fc.constant('set'), fc.array(fc.oneof(atom, fc.tuple(fc.constant('uuid'), fc.constantFrom(...UUIDS))), { maxLength: 5 })),
  fc.tuple(fc.constant('map'), fc.array(fc.tuple(atom, atom), { maxLength: 5 })),
  fc.jsonValue({ maxDepth: 3 }),
);
const row = fc.dictionary(fc.constantFrom(...COLUMNS), datum, { maxKeys: 6 });
const rowUpdate2 = fc.oneof(
  fc.record({ initial: row }),
  fc.record({ insert: row }),
  fc.record({ modify: row }),
  fc.record({ delete: fc.constant(null) }),
  fc.dictionary(fc.constantFrom('initial', 'insert', 'modify', 'delete', 'old', 'new'), fc.oneof(row, fc.jsonValue({ maxDepth: 2 })), {
    maxKeys: 3,
  }),
);
const tableUpdates = (r: fc.Arbitrary<unknown>) =>
  fc.dictionary(
    fc.constantFrom(...TABLES),
    fc.dictionary(fc.oneof(fc.constantFrom(...UUIDS), fc.string({ maxLength: 36 })), r, { maxKeys: 3 }),
    { maxKeys: 3 },
  );
const notification = fc.oneof(
  tableUpdates(rowUpdate2).map((u) => ({ id: null, method: 'update2', params: ['canopy', u] })),
  tableUpdates(fc.record({ old: fc.option(row), new: fc.option(row) })).map((u) => ({ id: null, method: 'update', params: ['canopy', u] })),
  fc
    .tuple(fc.oneof(fc.constantFrom(...UUIDS), fc.string({ maxLength: 8 })), tableUpdates(rowUpdate2))
    .map(([t, u]) => ({ id: null, method: 'update3', params: ['canopy', t, u] })),
  fc.record({
    id: fc.jsonValue({ maxDepth: 1 }),
    method: fc.constantFrom('echo', 'update2', 'locked', 'stolen', 'x'),
    params: fc.jsonValue({ maxDepth: 3 }),
  }),
  fc.record({ id: fc.jsonValue({ maxDepth: 1 }), result: fc.jsonValue({ maxDepth: 3 }), error: fc.jsonValue({ maxDepth: 1 }) }),
);

export const fuzz: FuzzTarget[] = [
  {
    name: 'ovsdb.jsonrpc.mutated',
    weight: 250,
    quick: 600,
    about:
      'runs of 1–3 recorded OVSDB notifications (monitor, monitor_cond, monitor_cond_since) with one mutated as text, split at a random point, into a connection whose replica holds a recorded snapshot',
    open() {
      const h = new OvsdbFuzzHarness();
      const notes = h.notes().map((n) => JSON.stringify(n));
      return {
        input(seed, i) {
          const r = inputRng(seed, i);
          const start = Math.floor(r() * notes.length);
          const picked = notes.slice(start, start + 1 + Math.floor(r() * 3));
          const k = Math.floor(r() * picked.length);
          const text = Buffer.concat(picked.map((n, j) => (j === k ? mutateText(n, r) : Buffer.from(n))));
          return packStream(i, Math.floor(r() * text.length), text);
        },
        exec: (input) => execStream(h, input),
      };
    },
  },
  {
    name: 'ovsdb.jsonrpc.random',
    weight: 100,
    quick: 300,
    about: 'random bytes (half starting with "{") as the server stream',
    open() {
      const h = new OvsdbFuzzHarness();
      return {
        input(seed, i) {
          const r = inputRng(seed, i);
          const b = Buffer.alloc(Math.floor(r() * 200));
          for (let j = 0; j < b.length; j++) b[j] = Math.floor(r() * 256);
          if (b.length && r() < 0.5) b[0] = 0x7b;
          return packStream(i, b.length, b);
        },
        exec: (input) => execStream(h, input),
      };
    },
  },
  {
    name: 'ovsdb.update.structured',
    weight: 120,
    quick: 400,
    about:
      'fast-check update/update2/update3 notifications over the real table and column names with datums of every OVSDB shape (and wrong ones), and replies to no request',
    open() {
      const h = new OvsdbFuzzHarness();
      return {
        input(seed, i) {
          const text = Buffer.from(JSON.stringify(sampleArb(notification, seed, i)));
          return packStream(i, text.length, text);
        },
        exec: (input) => execStream(h, input),
      };
    },
  },
];
