// Starts a real `canopy collector` process (any bin: the checkout's, a packed install's, a unit's
// ExecStart) on loopback with its own data dir and free ports, waits for /healthz, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface RunningCollector {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** A collector config that listens on loopback only (no exporter or switch can reach it). */
export function loopbackConfig(dataDir: string, apiPort: number): string {
  return [
    `api: { listen: 127.0.0.1:${apiPort} }`,
    `storage: { dataDir: ${JSON.stringify(dataDir)} }`,
    'sflow: { listen: 127.0.0.1:0 }',
    'netflow: { listen: 127.0.0.1:0 }',
    'ipfix: { listen: 127.0.0.1:0 }',
    'snmp: { traps: { listen: 127.0.0.1:0 } }',
    '',
  ].join('\n');
}

/** Runs `command args… collector --config <generated>` and resolves once /healthz answers 200. */
export async function startCollector(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunningCollector & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-install-'));
  const port = await freePort();
  const cfg = join(dir, 'collector.yml');
  writeFileSync(cfg, loopbackConfig(join(dir, 'data'), port));
  const child = spawn(command, [...args, 'collector', '--config', cfg], {
    cwd: opts.cwd ?? dir,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
    return child.exitCode;
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return { url, child, dir, output: () => out, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`collector did not answer /healthz (exit ${child.exitCode}):\n${out.slice(-3000)}`);
}
