// What the commands that ask a running collector over HTTP share (flow-matrix, changes,
// verify-cabling): the --collector and credential flags, the auth headers, and one way of saying
// that the collector is unreachable or refused, so every command words and numbers it the same.
import { reason } from './output.ts';

/** parseFlags options for --collector URL and --username/--user PW | --token T. */
export const COLLECTOR_FLAGS = {
  collector: { type: 'string' },
  username: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  token: { type: 'string' },
} as const;

export interface CollectorFlags {
  collector?: string | undefined;
  username?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

export interface CollectorTarget {
  base: string;
  headers: Record<string, string>;
}

/** Where to ask and with which credentials, or the usage error to print. */
export function collectorTarget(f: CollectorFlags): CollectorTarget | { error: string } {
  const user = f.username ?? f.user;
  if (f.token && user) return { error: 'give --token or --username/--password, not both' };
  const headers: Record<string, string> = { 'X-Requested-With': 'XMLHttpRequest' };
  if (f.token) headers.Authorization = `Bearer ${f.token}`;
  else if (user) headers.Authorization = `Basic ${Buffer.from(`${user}:${f.password ?? ''}`).toString('base64')}`;
  return { base: (f.collector ?? 'http://127.0.0.1:8082').replace(/\/+$/, ''), headers };
}

export type CollectorAnswer =
  { ok: true; body: string } | { ok: false; status: number; problem: { detail?: string; parameter?: string } } | { ok: false; status: 0 };

/**
 * One request; a failure is already printed as `canopy CMD: …` on stderr (status 0: unreachable).
 * The caller turns the status into its exit status.
 */
export async function askCollector(
  command: string,
  target: CollectorTarget,
  path: string,
  init: RequestInit = {},
): Promise<CollectorAnswer> {
  let res: Response;
  try {
    res = await fetch(`${target.base}${path}`, { ...init, headers: { ...target.headers, ...(init.headers as Record<string, string>) } });
  } catch (e) {
    process.stderr.write(
      `canopy ${command}: cannot reach a collector at ${target.base}: ${reason((e as { cause?: unknown }).cause ?? e)}\n`,
    );
    return { ok: false, status: 0 };
  }
  const body = await res.text();
  if (res.ok) return { ok: true, body };
  let problem: { detail?: string; parameter?: string } = {};
  try {
    problem = JSON.parse(body) as typeof problem;
  } catch {
    // not problem+json: the body is printed as is
  }
  process.stderr.write(`canopy ${command}: ${res.status}: ${problem.detail ?? body}\n`);
  return { ok: false, status: res.status, problem };
}
