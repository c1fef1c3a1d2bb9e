// The components a collector runs by default; each is enabled by its own config section. Each spec
// says what it needs and provides; the wiring (src/component/lifecycle.ts) derives the start order.
import type { Component, ComponentContext, ComponentSpec } from './component/contract.ts';
import { give } from './component/contract.ts';
import { FLOW_PIPELINE, FLOWS_READER, GRAPH_STORE, STITCH_INPUT } from './component/provisions.ts';
import { FlowPipeline } from './collectors/flows/pipeline.ts';
import { flowsReader } from './collectors/flows/flows-reader.ts';
import { openFlowStore } from './collectors/flows/open-flow-store.ts';
import { createSflowComponent } from './collectors/sflow/component.ts';
import { createNetflowComponent } from './collectors/netflow/component.ts';
import { createMirrorComponent } from './collectors/mirror/component.ts';
import { snmpComponent } from './collectors/snmp/component.ts';
import { k8sComponent } from './collectors/k8s/component.ts';
import { k8sJoinsComponent } from './collectors/k8s/remote-joins.ts';
import { uiComponent } from './ui/component.ts';
import { ovsdbComponent } from './ovs/component.ts';
import { Stitcher } from './topology/stitch/stitcher.ts';
import { agentsComponent } from './api/ws/agents-component.ts';
import { AgentSeries } from './collectors/common/agent-series.ts';
import { flowPathComponent } from './flow-path/component.ts';
import { flowBusComponent } from './collectors/flows/bus/component.ts';
import { alertsComponent } from './alerts/component.ts';

/** One flow table, store and attribution shared by sFlow, NetFlow and IPFIX; flows for readers. */
export const flowsComponent: ComponentSpec = {
  name: 'flows',
  // Its stores (graph, flows, port series) come with the context's storage.
  provides: [FLOW_PIPELINE, FLOWS_READER],
  create(ctx) {
    const log = ctx.log.child({ component: 'flows' });
    // flows.store may put flows elsewhere than the graph (ClickHouse, docs/scale-out.md).
    const flows = openFlowStore(ctx.config, ctx.storage, ctx.registry, log);
    const p = new FlowPipeline(
      ctx.config,
      { graph: ctx.storage.graph, flows: flows.records, portSeries: ctx.storage.portSeries },
      ctx.registry,
      log,
    );
    // Agent interfaces' counters join the port series (source `agent`) beside SNMP's and sFlow's.
    const agentSeries = new AgentSeries(ctx.store, ctx.storage.portSeries);
    const component: Component = {
      name: 'flows',
      async start() {
        p.start();
        agentSeries.start();
      },
      async stop() {
        agentSeries.stop();
        p.stop();
        // The flow writer's thread is gone before the storage closes.
        await p.closed();
        flows.close();
      },
      // Exporters are listed under the listener that received them.
      status: () => ({ ...p.status([]), exporters: undefined, table: p.tableStatus() }),
    };
    return { component, provides: [give(FLOW_PIPELINE, p), give(FLOWS_READER, flowsReader(p))] };
  },
};

/** A flow listener: needs the flow pipeline, so it starts after it and stops before it. */
function flowListener(
  name: string,
  enabled: ComponentSpec['enabled'],
  create: (ctx: ComponentContext, p: FlowPipeline) => Component | undefined,
): ComponentSpec {
  return {
    name,
    enabled,
    needs: [FLOW_PIPELINE],
    create(ctx, provided) {
      const component = create(ctx, provided.get(FLOW_PIPELINE));
      if (!component) throw new Error(`${name} is enabled but built nothing`);
      return { component };
    },
  };
}

export const sflowComponent = flowListener('sflow', (c) => c.sflow.enabled, createSflowComponent);
export const netflowComponent = flowListener('netflow', (c) => c.netflow.enabled || c.ipfix.enabled, createNetflowComponent);
export const mirrorComponent = flowListener('mirror', (c) => c.mirror.interfaces.length > 0, createMirrorComponent);

/** The topology stitcher: owns every layer2 link; sources (SNMP) feed its input. */
export const stitchComponent: ComponentSpec = {
  name: 'stitch',
  needs: [GRAPH_STORE],
  provides: [STITCH_INPUT],
  create(ctx, provided) {
    const stitcher = new Stitcher(
      provided.get(GRAPH_STORE),
      ctx.storage.stitchInputs,
      { missedPollsDown: ctx.config.snmp.missedPollsDown, retentionMs: ctx.config.topology.linkRetention * 1000 },
      ctx.registry,
    );
    const component: Component = {
      name: 'stitch',
      async start() {
        stitcher.start();
      },
      async stop() {
        stitcher.stop();
      },
      status: () => ({ ...stitcher.status() }),
    };
    return { component, provides: [give(STITCH_INPUT, stitcher)] };
  },
};

export function defaultComponents(): ComponentSpec[] {
  return [
    flowsComponent,
    // Before the listeners: they stop before it, so their last flows are published.
    flowBusComponent,
    sflowComponent,
    netflowComponent,
    mirrorComponent,
    flowPathComponent,
    stitchComponent,
    snmpComponent,
    agentsComponent,
    ovsdbComponent,
    k8sComponent,
    k8sJoinsComponent,
    alertsComponent,
    uiComponent(),
  ];
}
