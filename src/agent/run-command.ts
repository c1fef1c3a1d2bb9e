// A short-lived helper command (ip, lldpcli): its stdout, or an error naming the command, its exit
// code and the start of its stderr. Killed after `timeoutMs` so a stuck tool never stalls a read.
import { spawn } from 'node:child_process';

export interface RunOptions {
  timeoutMs: number;
  /** Written to its stdin (then closed); stdin is closed at once without it. */
  input?: string;
  /** A non-zero exit that still printed something counts as success (`ip -batch` reports per line). */
  acceptOutputOnError?: boolean;
  /** How much of stderr goes into the error. */
  stderrChars?: number;
}

export function runCommand(cmd: string, args: string[], o: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => c.kill('SIGKILL'), o.timeoutMs);
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 || (o.acceptOutputOnError && out)) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim().slice(0, o.stderrChars ?? 300)}`));
    });
    c.stdin.on('error', () => {});
    c.stdin.end(o.input ?? '');
  });
}
