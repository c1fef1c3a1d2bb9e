// Life for the demo fabric: every tick, port counters move (utilisation), now and then a link
// goes DOWN for a while, a port shows errors, or a host joins. Writes straight into the store,
// the same way a poller would, so the UI sees ordinary change-feed events.
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { Metadata } from '../../topology/types.ts';
import type { Fabric } from './fabric.ts';

export interface Churn {
  stop(): void;
  ticks: number;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function startChurn(store: GraphStore, fab: Fabric, opts: { intervalMs?: number; seed?: number } = {}): Churn {
  const ms = opts.intervalMs ?? 1000;
  const rnd = prng(opts.seed ?? 7);
  const load = new Map<string, number>();
  const downUntil = new Map<number, number>();
  const errorsUntil = new Map<string, number>();
  const churn: Churn = { ticks: 0, stop: () => clearInterval(timer) };

  const patch = (id: string, f: (m: Metadata) => Metadata) => {
    store.write((tx) => {
      const n = tx.getNode(id);
      if (n) tx.upsertNode({ ID: id, Metadata: f(n.Metadata), Host: n.Host, Origin: n.Origin });
    });
  };
  const metric = (m: Metadata, id: string, now: number): Metadata => {
    const speed = typeof m.Speed === 'number' ? m.Speed : 10e9;
    // A random walk of utilisation per port, mostly calm with a few hot links.
    const u = Math.min(0.98, Math.max(0.01, (load.get(id) ?? rnd() * 0.4) + (rnd() - 0.5) * 0.15));
    load.set(id, u);
    const bytes = Math.round((u * speed * (ms / 1000)) / 8);
    const pkts = Math.max(1, Math.round(bytes / 900));
    const errs = (errorsUntil.get(id) ?? 0) > now ? Math.ceil(pkts * 0.01) : 0;
    return { ...m, LastUpdateMetric: { RxBytes: bytes, TxBytes: Math.round(bytes * 0.7), RxPackets: pkts, TxPackets: pkts, RxErrors: errs, TxErrors: 0, Start: now - ms, Last: now } };
  };

  const tick = () => {
    churn.ticks++;
    const now = Date.now();
    // Counters on a handful of wires each tick.
    for (let i = 0; i < Math.min(12, fab.wires.length); i++) {
      const w = fab.wires[Math.floor(rnd() * fab.wires.length)]!;
      patch(w.a, (m) => metric(m, w.a, now));
    }
    // Links come back when their outage is over …
    for (const [wi, until] of downUntil) {
      if (until > now) continue;
      downUntil.delete(wi);
      const w = fab.wires[wi]!;
      for (const id of [w.a, w.b]) patch(id, (m) => ({ ...m, State: 'UP' }));
    }
    // … and now and then one goes down (both ends, as a pulled cable does).
    if (rnd() < 0.15 && downUntil.size < 3) {
      const wi = Math.floor(rnd() * fab.wires.length);
      downUntil.set(wi, now + 8000 + rnd() * 12000);
      const w = fab.wires[wi]!;
      for (const id of [w.a, w.b]) patch(id, (m) => ({ ...m, State: 'DOWN' }));
    }
    if (rnd() < 0.1) {
      const w = fab.wires[Math.floor(rnd() * fab.wires.length)]!;
      errorsUntil.set(w.a, now + 10_000);
    }
  };
  const timer = setInterval(tick, ms);
  timer.unref?.();
  return churn;
}
