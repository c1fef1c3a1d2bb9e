// Change timeline figures on the seeded synthetic fabric (100k nodes / 200k edges, SQLite file):
// an hour after the build, 2,000 ports flip state, 200 fabric links go and 50 switches reboot;
// then the changes between two instants around them — the diff (G.At(t1) vs G.At(t2)) and the
// timeline — goal ≤ 200 ms (issue 29).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench, Emit } from './run.ts';
import { openGraphStore } from '../src/topology/store/sqlite-store.ts';
import { generateFabric, DEFAULT_FABRIC } from '../src/topology/synthetic.ts';
import { changesBetween } from '../src/topology/query/changes.ts';
import { topologyDiff } from '../src/topology/query/topology-diff.ts';

const HOUR = 3_600_000;

function median(fn: () => unknown, runs: number): { ms: number; p95: number } {
  for (let i = 0; i < 2; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  out.sort((a, b) => a - b);
  return { ms: out[Math.floor(out.length / 2)]!, p95: out[Math.min(out.length - 1, Math.floor(out.length * 0.95))]! };
}

async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-changes-bench-'));
  const start = Date.now() - 3 * HOUR;
  let clock = start;
  const store = openGraphStore({ path: join(dir, 'graph.db'), now: () => clock });
  try {
    const fab = generateFabric(store, { ...DEFAULT_FABRIC, seed: 42 });
    const ports = store.findNodes('Type', 'port').slice(0, 2000);
    const links = store.findEdges('RelationType', 'layer2').slice(0, 200);
    const switches = store.findNodes('Type', 'switch').slice(0, 50);
    const t1 = start + HOUR;
    // Changes spread over ten minutes, one batch a second, as pollers would write them.
    const work = [
      ...ports.map(
        (p) => () =>
          store.write((tx) => tx.upsertNode({ ID: p.ID, Metadata: { State: p.Metadata.State === 'UP' ? 'DOWN' : 'UP' } }, { merge: true })),
      ),
      ...links.map((e) => () => store.write((tx) => tx.deleteEdge(e.ID, clock))),
      ...switches.map(
        (s, i) => () => store.write((tx) => tx.upsertNode({ ID: s.ID, Metadata: { BootTime: clock - 1000 * (i + 1) } }, { merge: true })),
      ),
    ];
    work.forEach((w, i) => {
      clock = t1 + 60_000 + Math.floor((i * 600_000) / work.length);
      w();
    });
    clock = start + 2 * HOUR;
    const t2 = t1 + 15 * 60_000;
    const diff = topologyDiff(store, t1, t2);
    const timeline = changesBetween(store, { from: t1, to: t2 });
    const d = median(() => topologyDiff(store, t1, t2), 20);
    emit({
      bench: 'changes.diff',
      value: Math.round(d.ms * 10) / 10,
      unit: 'ms',
      p95: Math.round(d.p95 * 10) / 10,
      goal: 200,
      nodes: fab.nodes,
      edges: fab.edges,
      changedNodes: diff.Nodes.Changed.length,
      removedEdges: diff.Edges.Removed.length,
    });
    const c = median(() => changesBetween(store, { from: t1, to: t2 }), 20);
    emit({
      bench: 'changes.timeline',
      value: Math.round(c.ms * 10) / 10,
      unit: 'ms',
      p95: Math.round(c.p95 * 10) / 10,
      goal: 200,
      changes: timeline.length,
    });
    // A quiet window (nothing changed): the cost of asking at all on this graph.
    const q = median(() => topologyDiff(store, t2 + 1, clock), 20);
    emit({ bench: 'changes.diff_quiet', value: Math.round(q.ms * 100) / 100, unit: 'ms', nodes: fab.nodes });
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'changes', run }];
