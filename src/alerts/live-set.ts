// The elements matching a fixed predicate, kept current from the graph's change feed: what the
// default queries of `link-down` (DOWN layer2 links) and `new-device` (LLDP placeholders) select.
// On a 100k-node SQLite graph those queries read every layer2 edge or every node (1–3 s); the
// set costs one scan, at the first evaluation that needs it, then one test per change.
import type { GraphStore } from '../topology/store/graph-store.ts';
import type { GraphEdge, GraphEvent, GraphNode } from '../topology/types.ts';

export class LiveSet<T extends GraphNode | GraphEdge> {
  private items?: Map<string, T>;
  private unsubscribe?: () => void;

  constructor(
    private readonly store: GraphStore,
    private readonly kind: 'node' | 'edge',
    private readonly matches: (e: T) => boolean,
    /** The initial scan: a narrower read than every element, when an index allows. */
    private readonly scan: (store: GraphStore) => Iterable<T>,
  ) {}

  /** The matching elements now (scans once, then follows the change feed). */
  get(): T[] {
    if (!this.items) {
      const items = new Map<string, T>();
      // Subscribed before the scan: a change committed meanwhile is applied after it, never lost.
      const pending: GraphEvent[] = [];
      let scanning = true;
      this.unsubscribe = this.store.subscribe((evs) => {
        if (scanning) pending.push(...evs);
        else this.apply(evs);
      });
      for (const e of this.scan(this.store)) if (this.matches(e)) items.set(e.ID, e);
      this.items = items;
      scanning = false;
      this.apply(pending);
    }
    return [...this.items.values()];
  }

  private apply(evs: readonly GraphEvent[]): void {
    const items = this.items;
    if (!items) return;
    for (const ev of evs) {
      const el = (this.kind === 'node' ? ('node' in ev ? ev.node : undefined) : 'edge' in ev ? ev.edge : undefined) as T | undefined;
      if (!el) continue;
      if (ev.type.endsWith('Deleted') || !this.matches(el)) items.delete(el.ID);
      else items.set(el.ID, el);
    }
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.items = undefined;
  }
}
