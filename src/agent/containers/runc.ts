// Containers from runc's state directories (docs/architecture.md#agent): `<root>/<id>/state.json`,
// written by runc for every container it runs (containerd, CRI-O, podman and Docker all drive runc).
// A container is running when its init PID is alive with the start time runc recorded.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerInfo } from './types.ts';

type J = Record<string, unknown>;

/** /proc/<pid>/stat field 22 (start time in clock ticks), or undefined when the PID is gone. */
function startTicks(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: count fields after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

function inodeOf(path: string): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(path));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** One state.json → ContainerInfo (undefined when it is not a runc state). */
export function fromState(o: J, id: string): ContainerInfo | undefined {
  if (typeof o.id !== 'string' || o.id !== id) return undefined;
  const pid = typeof o.init_process_pid === 'number' && o.init_process_pid > 0 ? o.init_process_pid : undefined;
  const config = (o.config ?? {}) as J;
  const labels: Record<string, string> = {};
  if (Array.isArray(config.labels))
    for (const l of config.labels)
      if (typeof l === 'string') {
        const i = l.indexOf('=');
        if (i > 0) labels[l.slice(0, i)] = l.slice(i + 1);
      }
  let running = false;
  if (pid !== undefined) {
    const t = startTicks(pid);
    running = t !== undefined && (typeof o.init_process_start !== 'number' || o.init_process_start === t);
  }
  const c: ContainerInfo = {
    id,
    name: labels['io.kubernetes.container.name'] ?? id.slice(0, 12),
    runtime: 'runc',
    status: running ? 'running' : 'stopped',
    labels,
  };
  if (pid !== undefined && running) c.pid = pid;
  const nsPaths = (o.namespace_paths ?? {}) as J;
  const netPath = typeof nsPaths.NEWNET === 'string' && nsPaths.NEWNET ? nsPaths.NEWNET : undefined;
  if (netPath) c.netnsPath = netPath;
  if (running) {
    const ino = (netPath ? inodeOf(netPath) : undefined) ?? (pid !== undefined ? inodeOf(`/proc/${pid}/ns/net`) : undefined);
    if (ino !== undefined) c.netnsInode = ino;
  }
  if (typeof o.created === 'string') {
    const t = Date.parse(o.created);
    if (Number.isFinite(t)) c.createdAt = t;
  }
  return c;
}

/** Every container under the given state roots; unreadable or malformed entries are skipped. */
export function listRunc(dirs: string[]): ContainerInfo[] {
  const out: ContainerInfo[] = [];
  for (const root of dirs) {
    let ids: string[];
    try {
      ids = readdirSync(root);
    } catch {
      continue;
    }
    for (const id of ids) {
      try {
        const c = fromState(JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as J, id);
        if (c) out.push(c);
      } catch {
        // being created or removed
      }
    }
  }
  return out;
}
