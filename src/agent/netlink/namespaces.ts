// Which network namespaces the agent reports (docs/architecture.md#agent): its own (the host's
// "root"), the named ones under /run/netns (`ip netns`), and those only processes hold
// (containers). Each is keyed by something stable for its lifetime: '' for the root, the
// path for a named one, `netns:[inode]` for a process-held one.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface NsRef {
  /** '' for the agent's own netns; the named path; or `netns:[inode]`. */
  key: string;
  kind: 'root' | 'named' | 'process';
  /** Named: its `ip netns` name. */
  name?: string;
  /** A path that opens it: /run/netns/NAME, /proc/PID/ns/net. */
  path: string;
  inode: number;
  /** Process-held: one process inside (the lowest PID). */
  pid?: number;
}

export interface NsListOptions {
  dir: string;
  match: RegExp | null;
  processes: boolean;
  max: number;
  /** /proc, for tests. */
  proc?: string;
}

function inodeOfLink(link: string): number | undefined {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

/** The inode of the agent's own network namespace. */
export function ownNetnsInode(proc = '/proc'): number {
  return inodeOfLink(readlinkSync(join(proc, 'self/ns/net'))) ?? statSync(join(proc, 'self/ns/net')).ino;
}

/** Named namespaces: `ip netns` bind mounts under `dir`; those unreadable or not mounted are skipped. */
function named(opts: NsListOptions, own: number): { refs: NsRef[]; ownName?: string } {
  let names: string[];
  try {
    names = readdirSync(opts.dir);
  } catch {
    return { refs: [] };
  }
  const refs: NsRef[] = [];
  let ownName: string | undefined;
  for (const name of names.sort()) {
    const path = join(opts.dir, name);
    let ino: number;
    try {
      ino = statSync(path).ino;
    } catch {
      continue;
    }
    // The agent's own netns may be a named one (an agent started with `ip netns exec`): that is its root.
    if (ino === own) {
      ownName = name;
      continue;
    }
    if (opts.match && !opts.match.test(name)) continue;
    refs.push({ key: path, kind: 'named', name, path, inode: ino });
  }
  return ownName === undefined ? { refs } : { refs, ownName };
}

/** Namespaces held only by processes (no name): one entry per inode, with its lowest PID. */
function byProcess(opts: NsListOptions, skip: Set<number>): NsRef[] {
  const proc = opts.proc ?? '/proc';
  const found = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync(proc);
  } catch {
    return [];
  }
  for (const p of pids) {
    if (!/^\d+$/.test(p)) continue;
    let ino: number | undefined;
    try {
      ino = inodeOfLink(readlinkSync(join(proc, p, 'ns/net')));
    } catch {
      continue; // exited, or a kernel thread
    }
    if (ino === undefined || skip.has(ino)) continue;
    const pid = Number(p);
    const prev = found.get(ino);
    if (prev === undefined || pid < prev) found.set(ino, pid);
  }
  return [...found].map(([inode, pid]) => ({ key: `netns:[${inode}]`, kind: 'process', path: `/proc/${pid}/ns/net`, inode, pid }));
}

export function listNamespaces(opts: NsListOptions): { root: NsRef; others: NsRef[]; rootName?: string } {
  const own = ownNetnsInode(opts.proc);
  const root: NsRef = { key: '', kind: 'root', path: '/proc/self/ns/net', inode: own };
  const n = named(opts, own);
  const others = [...n.refs];
  if (opts.processes) {
    // Every named inode, matched or not, is not a "process" namespace.
    const skip = new Set<number>([own]);
    try {
      for (const name of readdirSync(opts.dir)) skip.add(statSync(join(opts.dir, name)).ino);
    } catch {
      // no named namespaces
    }
    others.push(...byProcess(opts, skip));
  }
  const out: { root: NsRef; others: NsRef[]; rootName?: string } = { root, others: others.slice(0, opts.max) };
  if (n.ownName !== undefined) out.rootName = n.ownName;
  return out;
}

/** The argv prefix that runs `ip` in a namespace. */
export function ipIn(ns: NsRef): { cmd: string; args: string[] } {
  if (ns.kind === 'root') return { cmd: 'ip', args: [] };
  if (ns.kind === 'named') return { cmd: 'ip', args: ['-n', ns.name!] };
  return { cmd: 'nsenter', args: [`--net=${ns.path}`, 'ip'] };
}
