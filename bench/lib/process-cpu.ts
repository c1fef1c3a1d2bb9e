// CPU time (user + system, ns) of a process and its child processes (/proc; Linux), so an ingest
// cost can be read as CPU per datagram at a fixed rate: on a shared machine wall-clock rates move
// with the load, CPU time spent per datagram much less.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_NS = 1e9 / 100; // USER_HZ is 100 on Linux

function statOf(pid: number): { ppid: number; ns: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // Fields after the name: state(0) ppid(1) … utime(11) stime(12).
    return { ppid: Number(f[1]), ns: (Number(f[11]) + Number(f[12])) * TICK_NS };
  } catch {
    return undefined;
  }
}

/** CPU ns of `pid` and every live descendant (their threads included). */
export function treeCpuNs(pid: number): number {
  const all = new Map<number, { ppid: number; ns: number }>();
  for (const e of readdirSync('/proc')) {
    const n = Number(e);
    if (!Number.isInteger(n)) continue;
    const st = statOf(n);
    if (st) all.set(n, st);
  }
  let total = 0;
  const want = new Set([pid]);
  // Parents come before children often but not always: repeat until nothing new joins.
  for (let changed = true; changed;) {
    changed = false;
    for (const [p, st] of all) {
      if (want.has(p) || !want.has(st.ppid)) continue;
      want.add(p);
      changed = true;
    }
  }
  for (const p of want) total += all.get(p)?.ns ?? 0;
  return total;
}
