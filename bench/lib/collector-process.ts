// The collector under test as its own process (bin/canopy.js collector) pinned to the collector
// core, with a temp data dir; and its pmacct peer (sfacctd / nfacctd) pinned the same way.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envPath } from '../../src/config/load.ts';
import { COLLECTOR_CORE, ROOT, affinity, allPinned, pinned, processTree, sleep } from './ingest-harness.ts';

/**
 * CANOPY_* variables for config keys; a key this tree's schema does not have is left out and
 * listed (the collector refuses variables that name no key), so a bench can say what it could not set.
 */
export function configEnv(keys: Record<string, string | number | boolean>): { env: Record<string, string>; absent: string[] } {
  const env: Record<string, string> = {};
  const absent: string[] = [];
  for (const [k, v] of Object.entries(keys)) {
    const name = `CANOPY_${k.replace(/\./g, '_').toUpperCase()}`;
    const path = envPath(name);
    if (path && path.join('.').toLowerCase() === k.toLowerCase()) env[name] = String(v);
    else absent.push(k);
  }
  return { env, absent };
}

export interface Collector {
  proc: ChildProcess;
  pid: number;
  base: string;
  status(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts the collector with only the listeners `env` enables; resolves once /healthz answers. */
export async function startCollector(apiPort: number, env: Record<string, string>): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-ingest-'));
  const full = {
    ...process.env,
    CANOPY_LOG_LEVEL: 'warn',
    CANOPY_API_LISTEN: `127.0.0.1:${apiPort}`,
    CANOPY_SFLOW_ENABLED: 'false',
    CANOPY_NETFLOW_ENABLED: 'false',
    CANOPY_IPFIX_ENABLED: 'false',
    CANOPY_SNMP_TRAPS_LISTEN: '127.0.0.1:0',
    CANOPY_STORAGE_DATADIR: dir,
    ...env,
  };
  const proc = pinned(COLLECTOR_CORE, process.execPath, [join(ROOT, 'bin/canopy.js'), 'collector'], {
    env: full,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${apiPort}`;
  let up = false;
  for (let i = 0; i < 150 && proc.exitCode === null; i++) {
    up = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await sleep(200);
  }
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!up) {
    await stop();
    throw new Error(`collector did not come up on ${base}`);
  }
  return {
    proc,
    pid: proc.pid!,
    base,
    status: async () => (await (await fetch(`${base}/api/status`)).json()) as Record<string, unknown>,
    stop,
  };
}

export interface Peer {
  pid: number;
  pinnedToCollectorCore: boolean;
  /** "Missing data detected (plugin_buffer_size…)" warnings so far: the core lost records to its plugin. */
  pluginMissing(): number;
  processes: ReturnType<typeof affinity>;
  stop(): Promise<void>;
}

/**
 * pmacct's sfacctd or nfacctd with a print plugin aggregating the same key as Canopy's flow table,
 * the same 32 MiB socket buffer Canopy asks for (pmacct keeps the kernel default otherwise). The
 * plugin is a forked child: the affinity check covers it.
 */
export async function startPmacct(daemon: 'sfacctd' | 'nfacctd', port: number): Promise<Peer | undefined> {
  if (spawnSync('which', [daemon]).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), `${daemon}-ingest-`));
  const conf = join(dir, `${daemon}.conf`);
  writeFileSync(
    conf,
    [
      'daemonize: false',
      `${daemon}_ip: 127.0.0.1`,
      `${daemon}_port: ${port}`,
      'plugins: print[out]',
      'aggregate[out]: peer_src_ip, in_iface, out_iface, src_host, dst_host, proto, src_port, dst_port',
      'print_output[out]: csv',
      `print_output_file[out]: ${join(dir, 'out.csv')}`,
      'print_refresh_time[out]: 10',
      'plugin_buffer_size: 102400',
      'plugin_pipe_size: 10240000',
      `${daemon}_pipe_size: 33554432`,
    ].join('\n'),
  );
  const p = pinned(COLLECTOR_CORE, daemon, ['-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let missing = 0;
  let tail = '';
  p.stderr!.on('data', (d: Buffer) => {
    const lines = (tail + String(d)).split('\n');
    tail = lines.pop() ?? '';
    for (const l of lines) if (/Missing data detected \(plugin_buffer_size/.test(l)) missing++;
  });
  await sleep(1500);
  const processes = affinity(p.pid!);
  return {
    pid: p.pid!,
    processes,
    pinnedToCollectorCore: allPinned(processes, COLLECTOR_CORE),
    pluginMissing: () => missing,
    async stop() {
      // pmacct takes seconds to honour SIGTERM (LAB.md gotcha 12); by PID, never by name.
      // The plugin children are killed too (they would otherwise linger until they notice).
      if (p.exitCode === null) {
        const tree = processTree(p.pid!);
        const exited = new Promise((r) => p.on('exit', r));
        for (const pid of tree.reverse()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
