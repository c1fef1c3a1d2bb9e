// Serves recorded ovsdb-server sessions (fixtures/ovsdb/*.jsonl) on a unix socket: each request the
// client sends is answered with the reply the real server gave to the same method (its id
// rewritten), and after the monitor reply the recorded notifications follow, in order. Extra raw
// bytes can be injected to see how the client takes bad input.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JsonStream } from '../../src/ovs/json-stream.ts';

type Msg = Record<string, unknown>;
export interface Line {
  dir: 'in' | 'out';
  msg: Msg;
}

export function loadSession(name: string): Line[] {
  const text = readFileSync(resolve(import.meta.dirname, '../../fixtures/ovsdb', name), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line);
}

export interface ReplayServer {
  path: string;
  /** Sockets accepted so far. */
  sockets: Socket[];
  /** Replaces what the next connection replays. */
  setSession(lines: Line[], opts?: { after?: (string | Buffer)[] }): void;
  close(): Promise<void>;
}

export async function startReplay(lines: Line[], opts: { after?: (string | Buffer)[] } = {}): Promise<ReplayServer> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-replay-'));
  const path = join(dir, 'db.sock');
  let session = { lines, after: opts.after ?? [] };
  const sockets: Socket[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    const { lines: recorded, after } = session;
    // Replies by method, in recorded order; notifications after each monitor reply.
    const replies = new Map<string, Msg[]>();
    const notesAfter = new Map<Msg, Msg[]>();
    let lastReply: Msg | null = null;
    const pendingMethod = new Map<unknown, string>();
    for (const l of recorded) {
      if (l.dir === 'out' && typeof l.msg.method === 'string') pendingMethod.set(l.msg.id, l.msg.method);
      else if (l.dir === 'in' && typeof l.msg.method === 'string' && l.msg.method !== 'echo') {
        if (lastReply) notesAfter.get(lastReply)!.push(l.msg);
      } else if (l.dir === 'in' && 'result' in l.msg) {
        const m = pendingMethod.get(l.msg.id);
        if (!m) continue;
        if (!replies.has(m)) replies.set(m, []);
        replies.get(m)!.push(l.msg);
        lastReply = l.msg;
        notesAfter.set(l.msg, []);
      }
    }
    const framer = new JsonStream(1 << 26);
    sock.on('data', (b: Buffer) => {
      let msgs: unknown[];
      try {
        msgs = framer.push(b);
      } catch {
        sock.destroy();
        return;
      }
      for (const m of msgs as Msg[]) {
        if (typeof m.method !== 'string') continue;
        if (m.method === 'echo') {
          sock.write(JSON.stringify({ result: m.params, error: null, id: m.id }));
          continue;
        }
        const r = replies.get(m.method)?.shift();
        if (!r) {
          sock.write(JSON.stringify({ result: null, error: { error: 'unknown method' }, id: m.id }));
          continue;
        }
        sock.write(JSON.stringify({ ...r, id: m.id }));
        for (const n of notesAfter.get(r) ?? []) sock.write(JSON.stringify(n));
        if (m.method.startsWith('monitor')) for (const a of after) sock.write(a);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  return {
    path,
    sockets,
    setSession(l, o = {}) {
      session = { lines: l, after: o.after ?? [] };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
