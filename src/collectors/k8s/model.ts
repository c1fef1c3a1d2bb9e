// A Kubernetes object as a graph node (docs/architecture.md#kubernetes): Type = the lower-case kind, Manager = k8s, ID =
// the object's UID, K8s.{Cluster, Name, Namespace, Labels} plus a few kind-specific fields to query on,
// the object itself under K8s.Extra, and State for the kinds that have one (pod, pvc, pv, node).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Metadata } from '../../topology/types.ts';
import { idFor } from '../../topology/ids.ts';

export type Json = Record<string, unknown>;

export function rec(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
export function labelsOf(o: KubernetesObject): Record<string, string> {
  return o.metadata?.labels ?? {};
}

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What Canopy keeps of an object. managedFields go (bookkeeping, often as big as the object). A
 * Secret keeps its metadata and type only: never `data`/`stringData`, nor the last-applied
 * annotation, which holds the values as kubectl sent them.
 */
export function keep(type: string, o: KubernetesObject): Json {
  const md = { ...(o.metadata ?? {}) } as Json;
  delete md.managedFields;
  if (type !== 'secret') return { ...(o as Json), metadata: md };
  const ann = { ...rec(md.annotations) };
  delete ann[LAST_APPLIED];
  if (md.annotations) md.annotations = ann;
  const s = o as Json;
  const out: Json = { apiVersion: s.apiVersion, kind: s.kind, metadata: md, type: s.type };
  if (s.immutable !== undefined) out.immutable = s.immutable;
  return out;
}

/** Container ID without its runtime scheme (`containerd://abc…` → `abc…`), lower-case. */
export function bareContainerId(id: unknown): string | undefined {
  const s = str(id);
  if (!s) return undefined;
  const i = s.indexOf('://');
  return (i >= 0 ? s.slice(i + 3) : s).toLowerCase();
}

function condition(o: Json, type: string): string | undefined {
  for (const c of arr(rec(o.status).conditions)) if (rec(c).type === type) return str(rec(c).status);
  return undefined;
}

/** Pod UP: running and Ready, or finished successfully; anything else (Pending, NotReady, Failed, Unknown) DOWN. */
export function podState(o: Json): 'UP' | 'DOWN' {
  const phase = rec(o.status).phase;
  if (phase === 'Succeeded') return 'UP';
  return phase === 'Running' && condition(o, 'Ready') === 'True' ? 'UP' : 'DOWN';
}

function kindFields(type: string, o: Json): { fields: Json; state?: 'UP' | 'DOWN' } {
  const spec = rec(o.spec);
  const status = rec(o.status);
  switch (type) {
    case 'pod': {
      const ips = arr(status.podIPs)
        .map((p) => str(rec(p).ip))
        .filter((x): x is string => !!x);
      if (ips.length === 0 && str(status.podIP)) ips.push(status.podIP as string);
      return {
        fields: {
          Node: str(spec.nodeName),
          IP: ips[0],
          IPs: ips,
          Phase: str(status.phase),
          Ready: condition(o, 'Ready') === 'True',
          HostNetwork: spec.hostNetwork === true,
        },
        state: podState(o),
      };
    }
    case 'node': {
      const addrs = arr(status.addresses).map((a) => ({ Type: str(rec(a).type), Address: str(rec(a).address) }));
      return {
        fields: { Addresses: addrs, Ready: condition(o, 'Ready') === 'True' },
        state: condition(o, 'Ready') === 'True' ? 'UP' : 'DOWN',
      };
    }
    case 'persistentvolumeclaim': {
      const phase = str(status.phase);
      return {
        fields: { Phase: phase, VolumeName: str(spec.volumeName), StorageClass: str(spec.storageClassName) },
        state: phase === 'Bound' ? 'UP' : 'DOWN',
      };
    }
    case 'persistentvolume': {
      const phase = str(status.phase);
      return {
        fields: { Phase: phase, StorageClass: str(spec.storageClassName), Capacity: str(rec(spec.capacity).storage) },
        state: phase === 'Bound' || phase === 'Available' ? 'UP' : 'DOWN',
      };
    }
    case 'service':
      return { fields: { ClusterIP: str(spec.clusterIP), ServiceType: str(spec.type), Selector: spec.selector } };
    case 'deployment':
    case 'statefulset':
    case 'replicaset':
    case 'replicationcontroller':
      return { fields: { Replicas: spec.replicas, ReadyReplicas: status.readyReplicas ?? 0 } };
    case 'cronjob':
      return { fields: { Schedule: str(spec.schedule) } };
    default:
      return { fields: {} };
  }
}

export function clusterNodeId(cluster: string): string {
  return idFor('k8s', 'cluster', cluster);
}

const containerIds = new Map<string, string>();
export function containerNodeId(podUid: string, name: string): string {
  // Asked for every container at each recomputation of its pod: hash once (bounded cache).
  const key = `${podUid}/${name}`;
  let id = containerIds.get(key);
  if (id === undefined) {
    if (containerIds.size >= 200_000) containerIds.clear();
    containerIds.set(key, (id = idFor('k8s', 'container', podUid, name)));
  }
  return id;
}

function compact(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

export function objectMetadata(type: string, cluster: string, o: KubernetesObject): Metadata {
  const kept = keep(type, o);
  const { fields, state } = kindFields(type, kept);
  const md: Metadata = {
    Type: type,
    Name: o.metadata?.name ?? '',
    Manager: 'k8s',
    K8s: compact({
      Cluster: cluster,
      Kind: o.kind,
      Name: o.metadata?.name,
      Namespace: o.metadata?.namespace,
      Labels: labelsOf(o),
      ...compact(fields),
      Extra: kept,
    }),
  };
  if (state) md.State = state;
  return md;
}

export interface ContainerInfo {
  id: string;
  name: string;
  containerId: string | undefined;
  metadata: Metadata;
}

/** The containers of a pod (init containers too), with the runtime container ID once the kubelet reports it. */
export function podContainers(cluster: string, pod: KubernetesObject): ContainerInfo[] {
  const o = pod as Json;
  const spec = rec(o.spec);
  const status = rec(o.status);
  const statuses = new Map<string, Json>();
  for (const s of [...arr(status.containerStatuses), ...arr(status.initContainerStatuses)]) {
    const n = str(rec(s).name);
    if (n) statuses.set(n, rec(s));
  }
  const out: ContainerInfo[] = [];
  for (const [list, init] of [
    [arr(spec.containers), false],
    [arr(spec.initContainers), true],
  ] as const) {
    for (const c of list) {
      const name = str(rec(c).name);
      if (!name) continue;
      const st = statuses.get(name) ?? {};
      const cid = bareContainerId(st.containerID);
      const running = rec(st.state).running !== undefined;
      const uid = pod.metadata?.uid ?? '';
      out.push({
        id: containerNodeId(uid, name),
        name,
        containerId: cid,
        metadata: {
          Type: 'container',
          Name: name,
          Manager: 'k8s',
          State: running && st.ready !== false ? 'UP' : 'DOWN',
          K8s: compact({
            Cluster: cluster,
            Name: name,
            Namespace: pod.metadata?.namespace,
            Pod: pod.metadata?.name,
            Labels: labelsOf(pod),
            Image: str(rec(c).image),
            ContainerID: cid,
            Init: init || undefined,
            Ready: st.ready === true,
            RestartCount: st.restartCount,
          }),
        },
      });
    }
  }
  return out;
}
