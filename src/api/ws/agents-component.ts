// The `agents` component (docs/architecture.md#agent): builds the AgentHub the API server hands
// /ws/agent connections to, and shows connected agents under /api/status components.agents.
import type { Component, ComponentSpec } from '../../component/contract.ts';
import { give } from '../../component/contract.ts';
import { AGENT_HUB, CAPTURE_READERS, FLOW_PIPELINE, GRAPH_STORE } from '../../component/provisions.ts';
import { AgentCaptureReaders } from './agent-captures.ts';
import { AgentHub } from './agents.ts';

export const agentsComponent: ComponentSpec = {
  name: 'agents',
  needs: [GRAPH_STORE],
  // Agents' capture flows go into the flow pipeline when one runs.
  uses: [FLOW_PIPELINE],
  provides: [AGENT_HUB, CAPTURE_READERS],
  create(ctx, provided) {
    const cfg = ctx.config.agents;
    const hub = new AgentHub(
      provided.get(GRAPH_STORE),
      { downAfterMs: cfg.downAfter * 1000, pingIntervalMs: cfg.pingInterval * 1000 },
      ctx.registry,
      ctx.log.child({ component: 'agents' }),
    );
    const readers = new AgentCaptureReaders(
      hub,
      provided.get(GRAPH_STORE),
      provided.find(FLOW_PIPELINE),
      ctx.registry,
      ctx.log.child({ component: 'agent-captures' }),
    );
    for (const t of cfg.tokens)
      if (!t.host) ctx.log.warn('agents.tokens has a token bound to no host: any agent holding it may publish as any host');
    const component: Component = {
      name: 'agents',
      async start() {
        hub.start();
      },
      async stop() {
        hub.stop();
        readers.close();
      },
      status: () => ({ ...hub.status(), captures: readers.status() }),
    };
    return { component, provides: [give(AGENT_HUB, hub), give(CAPTURE_READERS, readers)] };
  },
};
