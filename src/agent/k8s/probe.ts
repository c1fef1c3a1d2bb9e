// The Kubernetes probe run by an agent (docs/architecture.md#agent, `agent.k8s`): the collector's own
// K8sComponent over an in-memory store, whose nodes and edges the agent publishes under its origin.
// The joins to hosts, runtime containers and interfaces are the collector's (k8s/remote-joins.ts):
// only it sees every host.
import { Registry } from 'prom-client';
import type { Logger } from '../../util/log.ts';
import { K8sComponent } from '../../collectors/k8s/component.ts';
import { k8sSection } from '../../collectors/k8s/config.ts';
import type { GraphNode } from '../../topology/types.ts';
import type { OutEdge, OutNode } from '../graph/build.ts';
import { MemoryGraphStore } from './memory-store.ts';

export interface AgentK8sConfig {
  kubeconfig: string;
  context?: string | undefined;
  cluster: string;
  batchDelay: number;
}

export class AgentK8sProbe {
  readonly store = new MemoryGraphStore();
  readonly component: K8sComponent;
  /** What the agent publishes: one object per element, replaced when it changes. */
  readonly nodes = new Map<string, OutNode>();
  readonly edges = new Map<string, OutEdge>();

  constructor(cfg: AgentK8sConfig, log: Logger, onChange: () => void) {
    const k8s = k8sSection.parse({
      enabled: true,
      clusters: [{ name: cfg.cluster, kubeconfig: cfg.kubeconfig, ...(cfg.context ? { context: cfg.context } : {}) }],
      batchDelay: cfg.batchDelay,
    });
    // Its metrics stay in the agent: the collector counts what it receives.
    this.component = new K8sComponent(k8s, this.store, new Registry(), log);
    const md = (n: GraphNode) => n.Metadata;
    this.store.subscribe((events) => {
      for (const ev of events) {
        if ('node' in ev) {
          if (ev.type === 'NodeDeleted') this.nodes.delete(ev.node.ID);
          else this.nodes.set(ev.node.ID, { ID: ev.node.ID, Metadata: md(ev.node) });
        } else if (ev.type === 'EdgeDeleted') this.edges.delete(ev.edge.ID);
        else this.edges.set(ev.edge.ID, { ID: ev.edge.ID, Parent: ev.edge.Parent, Child: ev.edge.Child, Metadata: md(ev.edge) });
      }
      onChange();
    });
  }

  start(): Promise<void> {
    return this.component.start();
  }

  stop(): Promise<void> {
    return this.component.stop();
  }

  status(): Record<string, unknown> {
    return this.component.status();
  }
}
