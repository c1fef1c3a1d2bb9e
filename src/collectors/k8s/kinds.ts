// The kinds Canopy watches (DESIGN §10; docs/architecture.md#kubernetes): where each is listed and watched, and the
// node Type it becomes (the lower-case kind, as Skydive named them).

export interface KindSpec {
  /** Node Type and relation name: the lower-case kind. */
  type: string;
  /** List/watch path across all namespaces. */
  path: string;
  namespaced: boolean;
}

function kind(type: string, group: string, plural: string, namespaced = true): KindSpec {
  const base = group === '' ? '/api/v1' : `/apis/${group}`;
  return { type, path: `${base}/${plural}`, namespaced };
}

export const KINDS: readonly KindSpec[] = [
  kind('namespace', '', 'namespaces', false),
  kind('node', '', 'nodes', false),
  kind('persistentvolume', '', 'persistentvolumes', false),
  kind('storageclass', 'storage.k8s.io/v1', 'storageclasses', false),
  kind('pod', '', 'pods'),
  kind('service', '', 'services'),
  kind('endpoints', '', 'endpoints'),
  kind('endpointslice', 'discovery.k8s.io/v1', 'endpointslices'),
  kind('ingress', 'networking.k8s.io/v1', 'ingresses'),
  kind('networkpolicy', 'networking.k8s.io/v1', 'networkpolicies'),
  kind('deployment', 'apps/v1', 'deployments'),
  kind('replicaset', 'apps/v1', 'replicasets'),
  kind('daemonset', 'apps/v1', 'daemonsets'),
  kind('statefulset', 'apps/v1', 'statefulsets'),
  kind('replicationcontroller', '', 'replicationcontrollers'),
  kind('job', 'batch/v1', 'jobs'),
  kind('cronjob', 'batch/v1', 'cronjobs'),
  kind('configmap', '', 'configmaps'),
  kind('secret', '', 'secrets'),
  kind('persistentvolumeclaim', '', 'persistentvolumeclaims'),
];

export const KIND_BY_TYPE = new Map(KINDS.map((k) => [k.type, k]));

/** Owner kinds as ownerReferences name them → node Type. */
export const TYPE_OF_KIND: Record<string, string> = Object.fromEntries(
  [
    'Namespace',
    'Node',
    'PersistentVolume',
    'StorageClass',
    'Pod',
    'Service',
    'Endpoints',
    'EndpointSlice',
    'Ingress',
    'NetworkPolicy',
    'Deployment',
    'ReplicaSet',
    'DaemonSet',
    'StatefulSet',
    'ReplicationController',
    'Job',
    'CronJob',
    'ConfigMap',
    'Secret',
    'PersistentVolumeClaim',
  ].map((k) => [k, k.toLowerCase()]),
);
