// `canopy lab forward`: a TCP port on the host that reaches the collector's API inside the lab's
// management namespace (browsers and curl on the host cannot enter a namespace). A process cannot
// hold sockets in two network namespaces, but a Unix socket is a file, visible from both: a relay
// started inside the namespace listens on one in the lab's state dir and connects to the API; this
// process listens on the host port and pipes every connection to that Unix socket.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { formatListen, parseListen } from '../util/listen.ts';
import { LAB_API_LISTEN } from './collector-config.ts';
import type { LabState } from './state.ts';

// Runs inside the namespace. It exits when its stdin closes, so it never outlives the forwarder.
const RELAY = `
const net = require('node:net'), fs = require('node:fs');
const [sock, host, port] = process.argv.slice(1);
try { fs.unlinkSync(sock); } catch {}
const srv = net.createServer((a) => {
  const b = net.connect(Number(port), host);
  a.pipe(b); b.pipe(a);
  const end = () => { a.destroy(); b.destroy(); };
  a.on('error', end); b.on('error', end); a.on('close', end); b.on('close', end);
});
srv.listen(sock, () => process.stdout.write('READY\\n'));
const quit = () => { try { fs.unlinkSync(sock); } catch {} process.exit(0); };
process.stdin.on('end', quit); process.stdin.resume();
process.on('SIGTERM', quit);`;

export interface Forward {
  /** The bound host address ("127.0.0.1:8082"). */
  address: string;
  connections: number;
  close(): Promise<void>;
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', end);
    s.on('close', end);
  }
}

export async function startForward(s: LabState, listen: string, target = LAB_API_LISTEN): Promise<Forward> {
  const to = parseListen(target);
  const from = parseListen(listen, '127.0.0.1');
  const sock = join(s.stateDir, 'run', `forward-${process.pid}.sock`);
  const relay = spawn('ip', ['netns', 'exec', s.mgmtNs, process.execPath, '-e', RELAY, sock, to.host, String(to.port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  relay.stderr.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('READY')) {
        relay.stdout.off('data', onData);
        relay.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`the relay in namespace ${s.mgmtNs} exited (${code}): ${err.trim() || 'no output'}`));
    relay.stdout.on('data', onData);
    relay.once('exit', onExit);
  });
  const fwd: Forward = { address: '', connections: 0, close: async () => {} };
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    fwd.connections++;
    open.add(client);
    client.on('close', () => open.delete(client));
    pipeBoth(client, createConnection(sock));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(from.port, from.host, () => resolve());
    });
  } catch (e) {
    relay.stdin.end();
    throw e;
  }
  const a = server.address();
  fwd.address = a && typeof a === 'object' ? formatListen({ host: a.address, port: a.port }) : listen;
  fwd.close = async () => {
    // Open connections (WebSockets, keep-alive) would hold server.close() forever.
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const c of open) c.destroy();
    await closed;
    const exited = new Promise<void>((r) => (relay.exitCode !== null ? r() : relay.once('exit', () => r())));
    relay.stdin.end();
    await exited;
    rmSync(sock, { force: true });
  };
  return fwd;
}
