// How CLI commands talk to the terminal: results on stdout until its reader goes away, errors as
// one line on stderr.

let watching = false;

/**
 * A reader that closes early (`canopy decode x.pcap | head`) is a normal end, not a crash: the
 * EPIPE that follows ends the process with status 0. Other output errors end it with status 1.
 */
export function watchOutput(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`canopy: cannot write the output: ${errorText(e)}\n`);
    process.exit(1);
  });
  // Nobody left to tell: stop quietly.
  process.stderr.on('error', () => process.exit(process.exitCode ?? 1));
}

/** Writes to stdout; false once the reader has gone (callers stop producing output). */
export function emit(text: string): boolean {
  if (process.stdout.destroyed) return false;
  process.stdout.write(text);
  // A pipe write fails synchronously: the stream is destroyed before write() returns.
  return !process.stdout.destroyed;
}

/** A usage error: one line on stderr naming the command's help, and status 2 (src/cli.ts usage()). */
export function usageError(command: string, message: string): number {
  process.stderr.write(`canopy ${command}: ${message.split('\n')[0]!.trim()} (see canopy ${command} --help)\n`);
  return 2;
}

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'name not found',
  EADDRINUSE: 'address in use',
};

/** An errno code in words ('no such file'), else the first line of the message. */
export function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && ERRNO[code]) return ERRNO[code];
  return errorText(e);
}

/** An error as one line, no stack: system errors name what they were about (path or address). */
export function errorText(e: unknown): string {
  const err = e as (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
  const words = err?.code ? ERRNO[err.code] : undefined;
  if (words && err?.path) return `${err.path}: ${words}`;
  if (words && err?.address) return `${err.address}${err.port ? `:${err.port}` : ''}: ${words}`;
  if (words) return words;
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim() || 'unknown error';
}
