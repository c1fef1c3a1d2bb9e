// A real PostgreSQL server for one test file: initdb in a temp directory, started with pg_ctl as an
// unprivileged user (postgres, else nobody, when the tests run as root) on a free loopback port with
// its unix socket in the same directory, stopped by PID and removed afterwards. Absent binaries:
// `postgresMissing` says why and the tests skip.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

const BIN = findBin();
/** Why the PostgreSQL tests skip, or undefined when they run. */
export const postgresMissing: string | undefined = BIN
  ? undefined
  : 'postgresql server binaries not found under /usr/lib/postgresql (apt-get install postgresql)';

function runAs(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      return { uid: idOf(name, '-u'), gid: idOf(name, '-g'), name };
    } catch {
      // next candidate
    }
  }
  throw new Error('running as root and neither postgres nor nobody exists to run the server as');
}
const idOf = (name: string, flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());

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

export interface PostgresServer {
  port: number;
  /** A connection URL for one database (user canopy, trust auth on loopback). */
  url(db: string): string;
  /** CREATE DATABASE, synchronously (the conformance factory is synchronous). */
  createDatabase(db: string): string;
  dropDatabase(db: string): void;
  /** Runs SQL in a database and returns psql's unaligned output. */
  psql(db: string, sql: string): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** fsync and synchronous commit on (for measurements); off by default to spare the shared disk. */
  durable?: boolean;
}

export async function startPostgres(opts: StartOptions = {}): Promise<PostgresServer> {
  if (!BIN) throw new Error(postgresMissing);
  const dir = mkdtempSync(join(tmpdir(), 'canopy-pg-'));
  const data = join(dir, 'data');
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const asUser = (cmd: string, args: string[]) =>
    user
      ? execFileSync('runuser', ['-u', user.name, '--', cmd, ...args], { cwd: dir, stdio: 'pipe' })
      : execFileSync(cmd, args, { cwd: dir, stdio: 'pipe' });
  const port = await freePort();
  let pid: number | undefined;
  try {
    asUser(join(BIN, 'initdb'), ['-D', data, '-U', 'canopy', '-A', 'trust', '--locale=C', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    const durable = opts.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
    const o = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=200${durable}`;
    asUser(join(BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', o, '-w', '-t', '60', 'start']);
    pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch (e) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`postgres did not start: ${(e as Error).message}\n${log}`, { cause: e });
  }
  const psql = (db: string, sql: string) =>
    execFileSync(join(BIN, 'psql'), ['-h', dir, '-p', String(port), '-U', 'canopy', '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  return {
    port,
    url: (db) => `postgres://canopy@127.0.0.1:${port}/${db}`,
    createDatabase(db) {
      psql('postgres', `CREATE DATABASE "${db}"`);
      return `postgres://canopy@127.0.0.1:${port}/${db}`;
    },
    dropDatabase(db) {
      psql('postgres', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    },
    psql,
    async stop() {
      if (pid) {
        // Fast shutdown by PID, then wait for the postmaster to be gone before removing its files.
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // already gone
        }
        const deadline = Date.now() + 30_000;
        for (;;) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          if (Date.now() > deadline) {
            process.kill(pid, 'SIGKILL');
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
