// What an expanded host shows below it (docs/architecture.md#agent): its containers (also those in its
// namespaces) and its Kubernetes node with the pods folded under it on the containers' tier; its
// interfaces and namespaces on a tier below. They are shown, not wired: the host still stands for
// its interfaces in the links.
import { LAYOUT, assignSorted, type TierLayout } from './layout.ts';
import type { K8sView, PodPlacement } from './k8s-view.ts';

const NOT_IFACE = new Set(['container', 'pod', 'netns', 'host', 'switch']);

export interface HostDetailInput extends Omit<PodPlacement, 'tor'> {
  /** Expanded hosts shown, with their TOR and x. */
  hosts: { host: string; tor: string | undefined; x: number }[];
  layout: TierLayout;
  k8s: K8sView;
  children(id: string): Iterable<string>;
  /** The container a node belongs to (itself for a container node). */
  containerOf(id: string): string | undefined;
  type(id: string): unknown;
  name(id: string): string;
  /** The containers' tier. */
  y: number;
}

/** Places the detail; returns the y of the interfaces/namespaces tier. */
export function placeHostDetails(p: HostDetailInput): number {
  const base = { members: undefined, tor: undefined, role: undefined };
  const L = p.layout;
  const details: { host: string; tor: string | undefined; x: number; kids: string[] }[] = [];
  let containerRows = 0;
  for (const { host, tor, x } of p.hosts) {
    const direct = [...p.children(host)];
    const namespaces = direct.filter((c) => p.type(c) === 'netns');
    const owner = new Map<string, string>();
    for (const c of direct) if (p.containerOf(c) === c) owner.set(c, host);
    for (const n of namespaces) for (const c of p.children(n)) if (p.containerOf(c) === c) owner.set(c, n);
    for (const k of p.k8s.nodesOfHost.get(host) ?? []) owner.set(k, host);
    const kids = [...owner.keys()];
    const slots = L.containerSlots(tor ?? `loose:${host}`);
    assignSorted(slots, kids, p.byName);
    for (const c of kids) {
      const slot = slots.slot(c);
      const [cx, cy] = L.containerXY(x, slot, p.y);
      containerRows = Math.max(containerRows, Math.floor(slot / LAYOUT.CONTAINER_COLS) + 1);
      const [kind, label] = p.k8s.hostOf.has(c) ? (['host', `${p.name(c)} (k8s)`] as const) : (['container', p.name(c)] as const);
      p.add({ ...base, id: c, kind, label, x: cx, y: cy, gid: c, tor });
      p.ownLinks.push([owner.get(c)!, c]);
      p.k8s.placePods(c, cx, cy, { vm: p.vm, add: p.add, ownLinks: p.ownLinks, byName: p.byName, tor });
    }
    const rest = direct.filter((c) => p.type(c) === 'netns' || !NOT_IFACE.has(String(p.type(c))));
    if (rest.length) details.push({ host, tor, x, kids: rest });
  }
  const dY = containerRows ? p.y + containerRows * LAYOUT.CONTAINER_DY + LAYOUT.CONTAINER_GAP / 2 : p.y;
  for (const { host, tor, x, kids } of details) {
    const slots = L.containerSlots(`detail:${tor ?? `loose:${host}`}`);
    assignSorted(slots, kids, (k) => `${p.type(k) === 'netns' ? '~' : ''}${p.name(k)}`);
    for (const c of kids) {
      const [cx, cy] = L.containerXY(x, slots.slot(c), dY);
      p.add({ ...base, id: c, kind: p.type(c) === 'netns' ? 'netns' : 'iface', label: p.name(c), x: cx, y: cy, gid: c, tor });
      p.ownLinks.push([host, c]);
    }
  }
  return dY;
}
