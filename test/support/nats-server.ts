// A real nats-server with JetStream for one test file: its store in a temp directory, a free
// loopback port, run as nobody when the tests run as root (it needs no privilege), stopped by PID
// and the directory removed afterwards. Absent binary: `natsMissing` says why and the tests skip.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findBin(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

const BIN = findBin();
/** Why the NATS tests skip, or undefined when they run. */
export const natsMissing: string | undefined = BIN ? undefined : 'nats-server not found (apt-get install nats-server)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function nobody(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined; // no nobody: run as we are
  }
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

export interface NatsServer {
  port: number;
  url: string;
  pid: number;
  /** What the server printed (for failure messages). */
  output(): string;
  /** Stops the server (by PID), keeping its store. */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same store. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startNats(): Promise<NatsServer> {
  if (!BIN) throw new Error(natsMissing);
  const dir = mkdtempSync(join(tmpdir(), 'canopy-nats-'));
  const user = nobody();
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const port = await freePort();
  const conf = join(dir, 'nats.conf');
  // Small JetStream limits: the suite shares one disk and memory with other work.
  writeFileSync(
    conf,
    [
      'listen: 127.0.0.1:' + port,
      'jetstream {',
      `  store_dir: ${JSON.stringify(join(dir, 'js'))}`,
      '  max_memory_store: 64MB',
      '  max_file_store: 1GB',
      '}',
      '',
    ].join('\n'),
  );
  // Written by root under CI's umask 077: the server, run as nobody, must still read it.
  if (user) chownSync(conf, user.uid, user.gid);
  let out = '';
  let child: ChildProcess;
  const launch = async () => {
    out = '';
    child = spawn(BIN, ['-c', conf], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (/Server is ready/.test(out) && (await accepts(port))) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(child.pid, 'SIGTERM');
      const t = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  const stop = async () => {
    await halt();
    rmSync(dir, { recursive: true, force: true });
  };
  if (!(await launch())) {
    await stop();
    throw new Error(`nats-server did not start:\n${out.slice(-2000)}`);
  }
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    output: () => out,
    async pause() {
      await halt();
    },
    async resume() {
      if (!(await launch())) throw new Error(`nats-server did not start again:\n${out.slice(-2000)}`);
    },
    stop,
  };
}
