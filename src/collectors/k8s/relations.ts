// The edges one Kubernetes object determines (docs/architecture.md#kubernetes). Each relation is computed from one side
// only — the side whose own fields name the other — so a change of that object alone recomputes
// it; every lookup of another object is recorded as a dependency, so the object is recomputed when
// what it names appears or goes. Relation types are named after the parent's kind.
import type { KubernetesObject } from '@kubernetes/client-node';
import { TYPE_OF_KIND } from './kinds.ts';
import { arr, labelsOf, rec, str, type Json } from './model.ts';

export interface Rel {
  parent: string;
  child: string;
  rel: string;
}

export interface Lookup {
  /** UID of the object of this type and name (namespace '' for cluster-scoped ones). */
  byName(type: string, ns: string, name: string): string | undefined;
  /** Type of the object with this UID. */
  typeOf(uid: string): string | undefined;
  /** Pods of a namespace (the selector-holding kinds depend on all of them). */
  podsIn(ns: string): Iterable<KubernetesObject>;
  clusterId: string;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** Label selector (matchLabels and matchExpressions); an empty selector matches everything. */
export function selects(sel: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(v!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(v!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const CLUSTER_OWNED = new Set(['namespace', 'node', 'persistentvolume', 'storageclass']);

/** ConfigMaps, Secrets and PVCs a pod refers to, by volumes, projected volumes, env and envFrom. */
function podRefs(spec: Json): { configmap: Set<string>; secret: Set<string>; persistentvolumeclaim: Set<string> } {
  const out = { configmap: new Set<string>(), secret: new Set<string>(), persistentvolumeclaim: new Set<string>() };
  const add = (set: Set<string>, n: unknown) => {
    const s = str(n);
    if (s) set.add(s);
  };
  for (const v of arr(spec.volumes)) {
    const vol = rec(v);
    add(out.configmap, rec(vol.configMap).name);
    add(out.secret, rec(vol.secret).secretName);
    add(out.persistentvolumeclaim, rec(vol.persistentVolumeClaim).claimName);
    for (const s of arr(rec(vol.projected).sources)) {
      add(out.configmap, rec(rec(s).configMap).name);
      add(out.secret, rec(rec(s).secret).name);
    }
  }
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    for (const e of arr(rec(c).env)) {
      const from = rec(rec(e).valueFrom);
      add(out.configmap, rec(from.configMapKeyRef).name);
      add(out.secret, rec(from.secretKeyRef).name);
    }
    for (const e of arr(rec(c).envFrom)) {
      add(out.configmap, rec(rec(e).configMapRef).name);
      add(out.secret, rec(rec(e).secretRef).name);
    }
  }
  return out;
}

function ingressServices(spec: Json): Set<string> {
  const out = new Set<string>();
  const add = (b: unknown) => {
    const n = str(rec(rec(b).service).name);
    if (n) out.add(n);
  };
  add(spec.defaultBackend);
  for (const r of arr(spec.rules)) for (const p of arr(rec(rec(r).http).paths)) add(rec(p).backend);
  return out;
}

export function relationsOf(type: string, o: KubernetesObject, look: Lookup): Rel[] {
  const uid = o.metadata?.uid ?? '';
  const ns = o.metadata?.namespace ?? '';
  const name = o.metadata?.name ?? '';
  const j = o as Json;
  const spec = rec(j.spec);
  const out: Rel[] = [];
  const to = (parent: string | undefined, child: string | undefined, rel: string) => {
    if (parent && child && parent !== child) out.push({ parent, child, rel });
  };
  // Containment: the cluster owns cluster-scoped objects, a namespace its objects.
  if (CLUSTER_OWNED.has(type)) to(look.clusterId, uid, 'ownership');
  else if (ns) to(look.byName('namespace', '', ns), uid, 'ownership');
  // Controllers: deployment → replicaset, replicaset/daemonset/statefulset/job → pod, cronjob → job …
  for (const ref of o.metadata?.ownerReferences ?? []) {
    const t = look.typeOf(ref.uid);
    // Only kinds Canopy watches; the relation is named after the owner's kind.
    if (t && t === TYPE_OF_KIND[ref.kind]) to(ref.uid, uid, t);
  }
  switch (type) {
    case 'pod': {
      const node = str(spec.nodeName);
      if (node) to(look.byName('node', '', node), uid, 'node');
      const refs = podRefs(spec);
      for (const [t, names] of Object.entries(refs)) for (const n of names) to(uid, look.byName(t, ns, n), 'pod');
      break;
    }
    case 'service': {
      const sel = spec.selector as Record<string, string> | undefined;
      if (sel && Object.keys(sel).length > 0) {
        for (const p of look.podsIn(ns)) if (selects({ matchLabels: sel }, labelsOf(p))) to(uid, p.metadata?.uid, 'service');
      }
      break;
    }
    case 'networkpolicy': {
      const sel = rec(spec.podSelector) as Selector;
      for (const p of look.podsIn(ns)) if (selects(sel, labelsOf(p))) to(uid, p.metadata?.uid, 'networkpolicy');
      break;
    }
    case 'endpoints':
      to(look.byName('service', ns, name), uid, 'service');
      break;
    case 'endpointslice': {
      const svc = labelsOf(o)['kubernetes.io/service-name'];
      if (svc) to(look.byName('service', ns, svc), uid, 'service');
      break;
    }
    case 'ingress':
      for (const s of ingressServices(spec)) to(uid, look.byName('service', ns, s), 'ingress');
      break;
    case 'persistentvolumeclaim': {
      const pv = str(spec.volumeName);
      if (pv) to(uid, look.byName('persistentvolume', '', pv), 'persistentvolumeclaim');
      const sc = str(spec.storageClassName);
      if (sc) to(look.byName('storageclass', '', sc), uid, 'storageclass');
      break;
    }
    case 'persistentvolume': {
      const sc = str(spec.storageClassName);
      if (sc) to(look.byName('storageclass', '', sc), uid, 'storageclass');
      break;
    }
  }
  return out;
}
