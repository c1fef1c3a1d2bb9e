// A container as the agent reports it, whichever runtime told it (docs/architecture.md#agent).
// `ContainerID` is the full runtime ID — what Kubernetes' containerStatuses[].containerID carries
// after its `<runtime>://` prefix — so the k8s source joins its container to this node by it.
export interface ContainerInfo {
  id: string;
  name: string;
  runtime: 'docker' | 'runc';
  image?: string;
  /** running, exited, created … as the runtime says; State UP only when running. */
  status: string;
  pid?: number;
  labels: Record<string, string>;
  /** inode of its network namespace (joins it to the netns node), when running. */
  netnsInode?: number;
  /** Path of its network namespace (Docker's SandboxKey, runc's NEWNET path). */
  netnsPath?: string;
  createdAt?: number;
}
