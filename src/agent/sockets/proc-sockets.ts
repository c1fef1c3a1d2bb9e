// Sockets from /proc (docs/architecture.md#agent): /proc/<pid>/net/{tcp,tcp6,udp,udp6} list the
// sockets of the netns <pid> lives in; /proc/*/fd links (`socket:[inode]`) name their processes.
// Records take Skydive's socket-info shape (Process, Pid, Name, Local/Remote Address/Port,
// Protocol, State) so scripts written against Skydive's `Sockets` metadata read them unchanged.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SocketInfo {
  Process: string;
  Name: string;
  Pid: number;
  LocalAddress: string;
  LocalPort: number;
  RemoteAddress: string;
  RemotePort: number;
  Protocol: 'TCP' | 'UDP';
  State: string;
}

export interface RawSocket {
  inode: number;
  protocol: 'TCP' | 'UDP';
  local: { address: string; port: number };
  remote: { address: string; port: number };
  state: string;
}

const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};

/** "0100007F:1F90" → 127.0.0.1:8080; IPv6 is four host-order 32-bit words. */
export function parseHexEndpoint(s: string): { address: string; port: number } | undefined {
  const [hex, p] = s.split(':');
  if (!hex || !p) return undefined;
  const port = parseInt(p, 16);
  if (!Number.isFinite(port)) return undefined;
  if (hex.length === 8) {
    const b = Buffer.from(hex, 'hex');
    return { address: `${b[3]}.${b[2]}.${b[1]}.${b[0]}`, port };
  }
  if (hex.length === 32) {
    const b = Buffer.from(hex, 'hex');
    const out = Buffer.alloc(16);
    for (let w = 0; w < 4; w++) for (let i = 0; i < 4; i++) out[w * 4 + i] = b[w * 4 + 3 - i]!;
    // IPv4-mapped (::ffff:a.b.c.d) reads as the IPv4 address it is.
    if (out.subarray(0, 10).every((x) => x === 0) && out[10] === 0xff && out[11] === 0xff)
      return { address: `${out[12]}.${out[13]}.${out[14]}.${out[15]}`, port };
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(out.readUInt16BE(i).toString(16));
    return { address: compressV6(groups), port };
  }
  return undefined;
}

function compressV6(g: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < g.length;) {
    if (g[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < g.length && g[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

/** One /proc/net/{tcp,udp}[6] table; malformed lines are skipped. */
export function parseProcNet(text: string, protocol: 'TCP' | 'UDP'): RawSocket[] {
  const out: RawSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = parseHexEndpoint(f[1]!);
    const remote = parseHexEndpoint(f[2]!);
    const st = parseInt(f[3]!, 16);
    const inode = Number(f[9]);
    if (!local || !remote || !Number.isFinite(inode)) continue;
    // UDP has no connection states: a connected socket shows 1, an unconnected one 7.
    const state = protocol === 'UDP' ? (st === 1 ? 'ESTABLISHED' : 'UNCONN') : (TCP_STATES[st] ?? String(st));
    out.push({ inode, protocol, local, remote, state });
  }
  return out;
}

/**
 * Sockets in use per table of one netns, from /proc/<pid>/net/sockstat{,6}: per-netns counters the
 * kernel keeps, so reading them costs microseconds. `undefined` when unreadable (read the table).
 */
export function socketsInUse(sockstat: string, sockstat6: string): Record<'tcp' | 'tcp6' | 'udp' | 'udp6', number | undefined> {
  const inuse = (text: string, proto: string) => {
    const m = new RegExp(`^${proto}: inuse (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  return { tcp: inuse(sockstat, 'TCP'), udp: inuse(sockstat, 'UDP'), tcp6: inuse(sockstat6, 'TCP6'), udp6: inuse(sockstat6, 'UDP6') };
}

const readText = (path: string) => readFileSync(path, 'utf8');

/** Every socket of the netns that `pid` is in ('self' for the agent's own). */
// Synchronous on purpose: a few small /proc reads cost microseconds each, far less than a promise
// and a thread-pool round trip per file. But /proc/<pid>/net/tcp{,6} walks the kernel's one global
// TCP hash table whatever the netns (~5 ms each here, even for an empty netns): with 100 namespaces
// that was most of the idle agent's CPU (bench/agent.bench.ts). The netns's own sockstat counters
// say which tables have anything in use; empty ones are not read.
export function readNetnsSockets(pid: number | 'self', read: (path: string) => string = readText): RawSocket[] {
  const out: RawSocket[] = [];
  const readOr = (path: string) => {
    try {
      return read(path);
    } catch {
      return '';
    }
  };
  const used = socketsInUse(readOr(`/proc/${pid}/net/sockstat`), readOr(`/proc/${pid}/net/sockstat6`));
  for (const [file, proto] of [
    ['tcp', 'TCP'],
    ['tcp6', 'TCP'],
    ['udp', 'UDP'],
    ['udp6', 'UDP'],
  ] as const) {
    if (used[file] === 0) continue;
    try {
      out.push(...parseProcNet(read(`/proc/${pid}/net/${file}`), proto));
    } catch {
      // IPv6 off, or the process is gone
    }
  }
  return out;
}

export interface ProcInfo {
  pid: number;
  name: string;
  exe: string;
}

/** socket inode → the process holding it (lowest PID when shared), for the inodes asked about. */
export function socketOwners(want: Set<number>, proc = '/proc'): Map<number, ProcInfo> {
  const owners = new Map<number, ProcInfo>();
  if (want.size === 0) return owners;
  const info = new Map<number, ProcInfo>();
  let pids: string[];
  try {
    pids = readdirSync(proc);
  } catch {
    return owners;
  }
  for (const p of pids) {
    if (!/^\d+$/.test(p)) continue;
    const pid = Number(p);
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let l: string;
      try {
        l = readlinkSync(`${proc}/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!l.startsWith('socket:[')) continue;
      const inode = Number(l.slice(8, -1));
      if (!want.has(inode)) continue;
      const prev = owners.get(inode);
      if (prev && prev.pid <= pid) continue;
      let pi = info.get(pid);
      if (!pi) {
        pi = { pid, name: '', exe: '' };
        try {
          pi.name = readFileSync(`${proc}/${p}/comm`, 'utf8').trim();
        } catch {
          // exited
        }
        try {
          pi.exe = readlinkSync(`${proc}/${p}/exe`);
        } catch {
          pi.exe = pi.name;
        }
        info.set(pid, pi);
      }
      owners.set(inode, pi);
    }
  }
  return owners;
}

/**
 * Socket owners, remembered: the walk over every process's fds runs only when a socket appears
 * whose owner is not known yet (or a known owner has exited). An idle host costs no walk at all.
 */
export class SocketOwnerCache {
  private known = new Map<number, ProcInfo>();
  walks = 0;

  resolve(want: Set<number>, proc = '/proc'): Map<number, ProcInfo> {
    let complete = true;
    for (const i of want) {
      const o = this.known.get(i);
      if (!o || !existsSync(`${proc}/${o.pid}`)) {
        complete = false;
        break;
      }
    }
    if (!complete) {
      this.walks++;
      const found = socketOwners(want, proc);
      // Sockets no process holds (TIME_WAIT) stay unknown; they would trigger a walk each round.
      for (const i of want) if (!found.has(i)) found.set(i, { pid: 0, name: '', exe: '' });
      this.known = found;
    } else if (this.known.size > want.size * 2) {
      this.known = new Map([...want].map((i) => [i, this.known.get(i)!]));
    }
    return this.known;
  }
}

/** Sockets with their processes; sockets no process holds (TIME_WAIT, kernel) are left out. */
export function withOwners(raw: RawSocket[], owners: Map<number, ProcInfo>, max: number): SocketInfo[] {
  const out: SocketInfo[] = [];
  for (const s of raw) {
    const o = owners.get(s.inode);
    if (!o || o.pid === 0 || s.inode === 0) continue;
    out.push({
      Process: o.exe,
      Name: o.name,
      Pid: o.pid,
      LocalAddress: s.local.address,
      LocalPort: s.local.port,
      RemoteAddress: s.remote.address,
      RemotePort: s.remote.port,
      Protocol: s.protocol,
      State: s.state,
    });
    if (out.length >= max) break;
  }
  // Stable order: an unchanged socket set is an unchanged node.
  out.sort((a, b) => a.Pid - b.Pid || a.LocalPort - b.LocalPort || a.RemotePort - b.RemotePort || a.Protocol.localeCompare(b.Protocol));
  return out;
}
