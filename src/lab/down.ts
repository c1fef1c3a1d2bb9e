// Tear-down: stop every tracked PID (checked against its start time), then any process still in
// one of the lab's own namespaces (daemon children), delete the namespaces, remove the state dir.
import { existsSync, rmSync } from 'node:fs';
import { pidsInNamespaces, run, stopPids } from './procs.ts';
import { readState } from './state.ts';

export interface DownResult {
  ms: number;
  stopped: number;
  namespaces: string[];
  forced: number[];
}

export async function labDown(stateDir: string, namespaces: string[] = []): Promise<DownResult> {
  const t0 = Date.now();
  const st = readState(stateDir);
  const nss = [...new Set([...(st?.namespaces ?? []), ...namespaces])].filter((ns) => existsSync(`/run/netns/${ns}`));
  const tracked = (st?.procs ?? []).map((p) => ({ pid: p.pid, start: p.start }));
  const seen = new Set(tracked.map((p) => p.pid));
  const extra = pidsInNamespaces(nss).filter((p) => !seen.has(p.pid) && p.pid !== process.pid);
  const all = [...tracked, ...extra];
  const forced = all.length ? await stopPids(all) : [];
  for (const ns of nss) await run(null, 'ip', ['netns', 'del', ns], { allowFail: true });
  const left = nss.filter((ns) => existsSync(`/run/netns/${ns}`));
  if (left.length) throw new Error(`namespaces still present after down: ${left.join(' ')}`);
  rmSync(stateDir, { recursive: true, force: true });
  return { ms: Date.now() - t0, stopped: all.length, namespaces: nss, forced };
}
