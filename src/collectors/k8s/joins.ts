// The joins from Kubernetes to the physical world (docs/architecture.md#kubernetes): nodes other sources write (hosts
// from SNMP/LLDP/FDB or the agent, runtime containers and interfaces from the agent), indexed by the
// keys a Kubernetes object can name them with. Kept current from the graph's change feed, so a host
// or container that appears after the pod is joined then, whichever came first.
import type { GraphReader, GraphStore } from '../../topology/store/graph-store.ts';
import type { GraphEvent, GraphNode, Metadata } from '../../topology/types.ts';
import { getPath } from '../../topology/metadata.ts';
import { bareContainerId } from './model.ts';

/** Types that carry addresses but are not an interface a pod's address lives on. */
const NOT_INTERFACES = new Set(['host', 'switch', 'exporter', 'port', 'netns', 'container']);

function addrs(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string').map((a) => a.split('/')[0]!.toLowerCase());
}

export function shortName(n: string): string {
  return n.toLowerCase().split('.')[0]!;
}

/**
 * Join keys of a node written by another source:
 * - host (Type=host): `name:<Name>`, `short:<Name up to the first dot>`, `addr:<IP>` for each of
 *   IPV4/IPV6 (prefix length dropped) and MgmtAddress;
 * - runtime container (Type=container, Manager not k8s): `cid:<container ID>` from `ContainerID`,
 *   or Skydive's `Docker.ContainerID` / `Runc.ContainerID` (scheme dropped, lower-case);
 * - interface (any other type with IPV4/IPV6): `ip:<IP>`.
 */
export function joinKeys(md: Metadata): string[] {
  if (md.Manager === 'k8s') return [];
  const type = md.Type;
  if (type === 'host') {
    const keys: string[] = [];
    if (typeof md.Name === 'string' && md.Name) keys.push(`name:${md.Name.toLowerCase()}`, `short:${shortName(md.Name)}`);
    for (const a of [...addrs(md.IPV4), ...addrs(md.IPV6), ...addrs(md.MgmtAddress)]) keys.push(`addr:${a}`);
    return keys;
  }
  if (type === 'container') {
    const ids = [md.ContainerID, getPath(md, 'Docker.ContainerID'), getPath(md, 'Runc.ContainerID')].map(bareContainerId);
    return [...new Set(ids.filter((x): x is string => !!x))].map((c) => `cid:${c}`);
  }
  if (typeof type === 'string' && !NOT_INTERFACES.has(type)) return [...addrs(md.IPV4), ...addrs(md.IPV6)].map((a) => `ip:${a}`);
  return [];
}

/**
 * Hosts a k8s node sits on: the host of its name, else of one of its addresses (InternalIP /
 * ExternalIP; on the host, or on an interface the host owns as the agent reports it), else of its
 * short name. `lookup` answers a join key (and may record it as a dependency).
 */
export function hostsOfK8sNode(
  g: GraphReader,
  lookup: (key: string) => ReadonlySet<string>,
  nodeName: string,
  addresses: readonly string[],
): ReadonlySet<string> {
  const name = nodeName.toLowerCase();
  const exact = lookup(`name:${name}`);
  const byAddr = new Set<string>();
  for (const raw of addresses) {
    const a = raw.toLowerCase();
    for (const h of lookup(`addr:${a}`)) byAddr.add(h);
    // The agent puts addresses on the host's interfaces rather than on the host: the NIC's owner.
    for (const itf of lookup(`ip:${a}`)) {
      for (const e of g.edgesOf(itf, 'in')) {
        if (e.Metadata.RelationType === 'ownership' && g.getNode(e.Parent)?.Metadata.Type === 'host') byAddr.add(e.Parent);
      }
    }
  }
  const short = shortName(name);
  const byShort = new Set([...lookup(`name:${short}`), ...lookup(`short:${short}`)]);
  return exact.size > 0 ? exact : byAddr.size > 0 ? byAddr : byShort;
}

export class JoinIndex {
  private readonly keysOf = new Map<string, string[]>();
  private readonly byKey = new Map<string, Set<string>>();
  private readonly listeners = new Set<(key: string) => void>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly store: GraphStore) {}

  start(): void {
    for (const n of this.store.allNodes()) this.set(n, false);
    this.unsubscribe = this.store.subscribe((events) => this.onEvents(events));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Called with each key whose set of nodes changed. */
  onChange(l: (key: string) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  lookup(key: string): ReadonlySet<string> {
    return this.byKey.get(key) ?? EMPTY;
  }

  private onEvents(events: readonly GraphEvent[]): void {
    for (const ev of events) {
      if (!('node' in ev)) continue;
      if (ev.node.Origin === 'k8s') continue;
      if (ev.type === 'NodeDeleted') this.drop(ev.node.ID, true);
      else this.set(ev.node, true);
    }
  }

  private set(n: GraphNode, notify: boolean): void {
    const keys = joinKeys(n.Metadata);
    const old = this.keysOf.get(n.ID) ?? [];
    if (keys.length === old.length && keys.every((k, i) => k === old[i])) return;
    this.drop(n.ID, notify);
    if (keys.length === 0) return;
    this.keysOf.set(n.ID, keys);
    for (const k of keys) {
      let s = this.byKey.get(k);
      if (!s) this.byKey.set(k, (s = new Set()));
      s.add(n.ID);
      if (notify) for (const l of this.listeners) l(k);
    }
  }

  private drop(id: string, notify: boolean): void {
    const old = this.keysOf.get(id);
    if (!old) return;
    this.keysOf.delete(id);
    for (const k of old) {
      const s = this.byKey.get(k);
      s?.delete(id);
      if (s?.size === 0) this.byKey.delete(k);
      if (notify) for (const l of this.listeners) l(k);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();
