// A real ClickHouse server for one test file: clickhouse-server started as `nobody` from a config
// file in a temp directory (HTTP on a free loopback port only, data and tmp paths inside the
// directory, the packaged users.xml), waited for on /ping, stopped by PID and removed afterwards.
// Absent binary: `clickhouseMissing` says why and the tests skip.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'].find((p) => existsSync(p));
const USERS = '/etc/clickhouse-server/users.xml';

/** Why the ClickHouse tests skip, or undefined when they run. */
export const clickhouseMissing: string | undefined = !BIN
  ? 'clickhouse-server not found (apt-get install clickhouse-server)'
  : !existsSync(USERS)
    ? `${USERS} not found (the clickhouse-server package installs it)`
    : undefined;

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

export interface ClickhouseServer {
  port: number;
  url: string;
  pid: number;
  /** Runs one statement over HTTP and returns the body (throws on an error status). */
  query(sql: string): Promise<string>;
  /** Stops the server (SIGKILL when `hard`), keeping its directory: `start()` runs it again on the same port and data. */
  halt(hard?: boolean): Promise<void>;
  start(): Promise<void>;
  /** Stops the server by PID and removes its directory. */
  stop(): Promise<void>;
}

function config(dir: string, port: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog></logger>
  <http_port>${port}</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>134217728</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startClickhouse(): Promise<ClickhouseServer> {
  if (clickhouseMissing || !BIN) throw new Error(clickhouseMissing);
  const dir = mkdtempSync(join(tmpdir(), 'canopy-ch-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const uid = process.getuid?.() === 0 ? idOf('nobody', '-u') : undefined;
  const gid = uid !== undefined ? idOf('nobody', '-g') : undefined;
  for (const d of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'config.xml'), config(dir, port));
  copyFileSync(USERS, join(dir, 'users.xml'));
  if (uid !== undefined && gid !== undefined) {
    for (const p of ['', 'data', 'tmp', 'user_files', 'format_schemas', 'config.xml', 'users.xml']) chownSync(join(dir, p), uid, gid);
  }
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const c = spawn(BIN, [`--config-file=${join(dir, 'config.xml')}`], {
      cwd: dir,
      stdio: 'ignore',
      ...(uid !== undefined && gid !== undefined ? { uid, gid } : {}),
    });
    child = c;
    exited = new Promise((r) => c.once('exit', () => r()));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (gone) break;
      try {
        const r = await fetch(`${url}/ping`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) break;
      await sleep(100);
    }
    const log = existsSync(join(dir, 'server.err.log')) ? readFileSync(join(dir, 'server.err.log'), 'utf8').slice(-2000) : '';
    await halt(true);
    throw new Error(`clickhouse-server did not answer /ping on ${url}\n${log}`);
  };
  const halt = async (hard = false) => {
    const c = child;
    child = undefined;
    if (!c?.pid || c.exitCode !== null) return;
    c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const killAt = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killAt);
  };
  try {
    await start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    url,
    get pid() {
      return child?.pid ?? 0;
    },
    async query(sql) {
      const r = await fetch(`${url}/`, { method: 'POST', body: sql });
      const body = await r.text();
      if (!r.ok) throw new Error(`clickhouse: ${body.trim()}`);
      return body;
    },
    halt,
    start,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
