// Kubernetes on the wall (docs/architecture.md#wall-display, #kubernetes): an expanded host shows the Kubernetes node
// running on it (joined by a `host` edge) beside its containers, and under that node its pods (the
// `node` edges), folded behind a `+N` circle like a TOR's hosts; clicking it opens them. A pod is
// drawn by its State, so a NotReady pod is red and a folded group with one is amber. The cluster's
// logical objects (namespaces, services …) are not drawn: they are there for queries.
import type { GraphModel } from './graph-model.ts';
import { assignSorted } from './layout.ts';
import type { Metadata } from './types.ts';
import type { VNode, ViewModel } from './view-model.ts';

/** What placing pods needs from the view model's rebuild. */
export interface PodPlacement {
  vm: ViewModel;
  add(v: Omit<VNode, 'state' | 'dim'>): void;
  ownLinks: [string, string][];
  byName(id: string): string;
  tor: string | undefined;
}

/** The group key of a k8s node's pods: `expandedTors` holds it once opened (the group click does that). */
export const podGroupKey = (k8sNode: string) => `pods:${k8sNode}`;

/** Pods start this far below their k8s node. */
export const POD_DY = 44;

export class K8sView {
  /** Host → its k8s nodes; k8s node → its host and its pods; pod → its k8s node. */
  readonly nodesOfHost = new Map<string, string[]>();
  readonly hostOf = new Map<string, string>();
  readonly podsOf = new Map<string, string[]>();
  readonly nodeOfPod = new Map<string, string>();

  rebuild(g: GraphModel): void {
    this.nodesOfHost.clear();
    this.hostOf.clear();
    this.podsOf.clear();
    this.nodeOfPod.clear();
    const md = (id: string): Metadata | undefined => g.nodes.get(id)?.Metadata;
    for (const e of g.edges.values()) {
      const rel = e.Metadata.RelationType;
      const c = md(e.Child);
      if (c?.Manager !== 'k8s' || !g.nodes.has(e.Parent)) continue;
      if (rel === 'host' && c.Type === 'node' && md(e.Parent)?.Type === 'host' && !this.hostOf.has(e.Child)) {
        this.hostOf.set(e.Child, e.Parent);
        (this.nodesOfHost.get(e.Parent) ?? this.nodesOfHost.set(e.Parent, []).get(e.Parent)!).push(e.Child);
      } else if (rel === 'node' && c.Type === 'pod' && md(e.Parent)?.Manager === 'k8s') {
        this.nodeOfPod.set(e.Child, e.Parent);
        (this.podsOf.get(e.Parent) ?? this.podsOf.set(e.Parent, []).get(e.Parent)!).push(e.Child);
      }
    }
  }

  /** A Kubernetes element not drawn on its own: it is never a device of the fabric. */
  static hidden(md: Metadata | undefined): boolean {
    return md?.Manager === 'k8s';
  }

  /** The pod a graph node stands for (the pod itself, or one of its containers), if any. */
  podOf(g: GraphModel, gid: string): string | undefined {
    if (this.nodeOfPod.has(gid)) return gid;
    const owner = g.owner.get(gid);
    return owner !== undefined && this.nodeOfPod.has(owner) ? owner : undefined;
  }

  /**
   * The displayed element standing for a k8s node or pod: the pod, its folded group, its k8s node,
   * else whatever shows the host (undefined for anything else, or a k8s element on no host).
   */
  displayOf(
    g: GraphModel,
    gid: string,
    shown: (id: string) => boolean,
    hostDisplay: (host: string) => string | undefined,
  ): string | undefined {
    const pod = this.podOf(g, gid);
    const k8sNode = pod !== undefined ? this.nodeOfPod.get(pod)! : this.hostOf.has(gid) ? gid : undefined;
    if (k8sNode === undefined) return undefined;
    if (pod !== undefined && shown(pod)) return pod;
    if (pod !== undefined && shown(podGroupKey(k8sNode))) return podGroupKey(k8sNode);
    if (shown(k8sNode)) return k8sNode;
    const host = this.hostOf.get(k8sNode);
    return host === undefined ? undefined : hostDisplay(host);
  }

  /** A k8s node (labelled `NAME (k8s)`, as it is named like its host)'s pods: one `+N` group under it until opened (like a TOR's hosts), then each pod. */
  placePods(k8sNode: string, x: number, y: number, p: PodPlacement): void {
    const pods = this.podsOf.get(k8sNode);
    if (!pods?.length) return;
    const key = podGroupKey(k8sNode);
    if (!p.vm.torExpanded(key)) {
      p.add({
        id: key,
        kind: 'group',
        label: `+${pods.length}`,
        x,
        y: y + POD_DY,
        gid: undefined,
        members: pods,
        tor: key,
        role: undefined,
      });
      p.ownLinks.push([k8sNode, key]);
      return;
    }
    const L = p.vm.layout;
    const slots = L.containerSlots(key);
    assignSorted(slots, pods, p.byName);
    for (const pod of pods) {
      const [px, py] = L.containerXY(x, slots.slot(pod), y + POD_DY);
      p.add({ id: pod, kind: 'container', label: p.byName(pod), x: px, y: py, gid: pod, members: undefined, tor: p.tor, role: undefined });
      p.ownLinks.push([k8sNode, pod]);
    }
  }

  /** Opens what hides a k8s node or pod (the host's group, the host, the pod group); undefined for anything else. */
  reveal(g: GraphModel, vm: ViewModel, gid: string): boolean | undefined {
    const pod = this.podOf(g, gid);
    const kn = pod !== undefined ? this.nodeOfPod.get(pod) : this.hostOf.has(gid) ? gid : undefined;
    const host = kn === undefined ? undefined : this.hostOf.get(kn);
    if (kn === undefined || host === undefined) return undefined;
    let changed = vm.reveal(host);
    if (!vm.expandedHosts.has(host)) changed = !!vm.expandedHosts.add(host);
    if (pod !== undefined && !vm.torExpanded(podGroupKey(kn))) changed = !!vm.expandedTors.add(podGroupKey(kn));
    return changed;
  }
}
