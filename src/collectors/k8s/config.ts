// The `k8s` config section (docs/architecture.md#kubernetes). Today's `enabled` + `kubeconfig` keep meaning
// "one cluster from this kubeconfig"; `clusters` lists several; `inCluster` adds the cluster the
// collector runs in, through its pod's service account.
import { z } from 'zod';
import { durationSeconds, section } from '../../config/common.ts';

export const clusterSchema = z
  .object({
    name: z.string().min(1).describe("Cluster name: the `cluster` node's Name and `K8s.Cluster` on every object from it."),
    kubeconfig: z.string().optional().describe('Kubeconfig file (default: `k8s.kubeconfig`, else $KUBECONFIG, else ~/.kube/config).'),
    context: z.string().optional().describe('Context in that kubeconfig (default: its current-context).'),
  })
  .strict();

export type ClusterConfig = z.infer<typeof clusterSchema>;

export const k8sSection = section({
  enabled: z.boolean().default(false).describe('Watch Kubernetes clusters (the clusters below, or the one `kubeconfig` names).'),
  kubeconfig: z
    .string()
    .optional()
    .describe('Kubeconfig file; with no `clusters` and no `inCluster`, its current context is watched as the cluster `default`.'),
  clusters: z.array(clusterSchema).default([]).describe('Clusters to watch, each from a kubeconfig file and context.'),
  inCluster: z
    .boolean()
    .default(false)
    .describe('Also watch the cluster Canopy runs in as a pod (service-account token and CA; KUBERNETES_SERVICE_HOST/PORT).'),
  inClusterName: z.string().default('in-cluster').describe('Name of the in-cluster cluster.'),
  backoffMin: durationSeconds.default(1).describe('First retry delay after an API error (doubles per failure).'),
  backoffMax: durationSeconds.default(60).describe('Longest retry delay after repeated API errors.'),
  batchDelay: durationSeconds
    .default(0.05)
    .describe('How long watch events are gathered before they are written to the graph (in batches of at most 2,500 objects).'),
}).describe(
  "Kubernetes source: list+watch of each cluster's objects (pods, nodes, services, volumes …), joined to hosts, containers and interfaces.",
);

export type K8sConfig = z.infer<typeof k8sSection>;

/** The clusters a config watches, old single-kubeconfig form included. */
export function clustersOf(cfg: K8sConfig): (ClusterConfig & { inCluster?: boolean })[] {
  const out: (ClusterConfig & { inCluster?: boolean })[] = cfg.clusters.map((c) => ({ ...c, kubeconfig: c.kubeconfig ?? cfg.kubeconfig }));
  if (cfg.inCluster) out.push({ name: cfg.inClusterName, inCluster: true });
  if (out.length === 0) out.push({ name: 'default', kubeconfig: cfg.kubeconfig });
  return out;
}
