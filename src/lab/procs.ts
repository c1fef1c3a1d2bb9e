// Running commands inside namespaces, and starting / stopping lab daemons strictly by PID.
// A PID is only ever signalled after checking it is still the process we started (same start time
// in /proc/PID/stat) or that it lives in one of the lab's own namespaces — PIDs get reused.
import { execFile, spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export class LabStepError extends Error {
  constructor(
    readonly ns: string | null,
    readonly command: string,
    readonly detail: string,
  ) {
    super(`${ns ? `in namespace ${ns}: ` : ''}\`${command}\` failed: ${detail}`);
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function cmdline(cmd: string, args: string[]): string {
  return [cmd, ...args].map(quote).join(' ');
}

/** Runs CMD (inside NS when given) and resolves with its output; rejects with a LabStepError naming ns + command. */
export function run(
  ns: string | null,
  cmd: string,
  args: string[],
  opts: { allowFail?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  const [file, argv] = ns ? ['ip', ['netns', 'exec', ns, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    execFile(
      file,
      argv,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (err && !opts.allowFail) {
          const why = (stderr.trim() || err.message).split('\n').slice(-3).join(' | ');
          reject(new LabStepError(ns, cmdline(cmd, args), `exit ${code}: ${why}`));
          return;
        }
        resolve({ stdout, stderr, code });
      },
    );
  });
}

/** Field 22 of /proc/PID/stat (start time in clock ticks) and the state letter; null when gone. */
export function procStat(pid: number): { start: string; state: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', start: rest[19] ?? '' };
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  const st = procStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

export interface TrackedProc {
  name: string;
  ns: string;
  pid: number;
  start: string;
  cmd: string;
  log: string;
}

/**
 * Starts a long-running daemon (in the foreground mode of the daemon) inside NS, detached from
 * our process group so it outlives the CLI, output appended to LOG. `ip netns exec` execs the
 * command in place, so the PID we get is the daemon's own.
 */
export function startDaemon(name: string, ns: string, cmd: string, args: string[], log: string, env?: NodeJS.ProcessEnv): TrackedProc {
  const fd = openSync(log, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    if (child.pid === undefined) throw new LabStepError(ns, cmdline(cmd, args), 'spawn failed');
    child.on('error', () => {}); // reported through the readiness checks and the log
    child.unref();
    const st = procStat(child.pid);
    return { name, ns, pid: child.pid, start: st?.start ?? '', cmd: cmdline(cmd, args), log };
  } finally {
    closeSync(fd);
  }
}

/** Is PID still the process described by `p` (not a recycled PID)? */
export function stillOurs(p: { pid: number; start: string }): boolean {
  const st = procStat(p.pid);
  // Without a recorded start time we cannot tell a recycled PID apart: never signal it.
  return st !== null && p.start !== '' && st.start === p.start && st.state !== 'Z';
}

export function netnsInode(ns: string): number | null {
  try {
    return statSync(`/run/netns/${ns}`).ino;
  } catch {
    return null;
  }
}

/** The network-namespace inode of PID, or null. */
export function pidNetns(pid: number): number | null {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** PIDs whose network namespace is one of ours (catches daemon children such as lldpd's privsep process). */
export function pidsInNamespaces(nsNames: string[]): { pid: number; start: string }[] {
  const inodes = new Set(nsNames.map(netnsInode).filter((x): x is number => x !== null));
  if (inodes.size === 0) return [];
  const out: { pid: number; start: string }[] = [];
  const entries = readdirSync('/proc');
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    const ino = pidNetns(pid);
    if (ino !== null && inodes.has(ino)) out.push({ pid, start: procStat(pid)?.start ?? '' });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM each PID, wait up to graceMs for them to exit, then SIGKILL what is left. Each PID is
 * re-checked (start time) before every signal. Zombies count as gone: they hold no sockets.
 */
export async function stopPids(procs: { pid: number; start: string; fast?: boolean }[], graceMs = 3000): Promise<number[]> {
  const sig = (p: { pid: number; start: string }, s: NodeJS.Signals) => {
    if (!stillOurs(p)) return;
    try {
      process.kill(p.pid, s);
    } catch {
      /* already gone */
    }
  };
  for (const p of procs) sig(p, p.fast ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && procs.some(stillOurs)) await sleep(50);
  const left = procs.filter(stillOurs);
  for (const p of left) sig(p, 'SIGKILL');
  const killDeadline = Date.now() + 3000;
  while (Date.now() < killDeadline && procs.some(stillOurs)) await sleep(50);
  return left.map((p) => p.pid);
}
