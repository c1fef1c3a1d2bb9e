// The components a collector runs by default; each is enabled by its own config section.
import type { ComponentContext, ComponentFactory } from './collector.ts';
import { FlowPipeline } from './collectors/flows/pipeline.ts';
import { flowsOfNodes, flowsOpenApi, registerFlowRoutes } from './collectors/flows/routes.ts';
import { createSflowComponent } from './collectors/sflow/component.ts';
import { createNetflowComponent } from './collectors/netflow/component.ts';
import { uiComponent } from './ui/component.ts';
import { createSnmpComponent, type SnmpComponent } from './collectors/snmp/component.ts';
import { feedStitcher } from './collectors/snmp/stitch-feed.ts';
import { Stitcher } from './topology/stitch/stitcher.ts';

export function defaultComponents(): ComponentFactory[] {
  // One flow table, store and attribution shared by sFlow, NetFlow and IPFIX.
  let pipeline: FlowPipeline | undefined;
  const flows = (ctx: ComponentContext) => (pipeline ??= new FlowPipeline(ctx.config, ctx.storage, ctx.registry, ctx.log.child({ component: 'flows' })));
  // The stitcher reads the SNMP poller's observations; both are built once per collector.
  let snmp: SnmpComponent | undefined | null;
  const snmpOf = (ctx: ComponentContext) => (snmp === undefined ? (snmp = ctx.config.snmp.enabled ? createSnmpComponent(ctx) : null) : snmp) ?? undefined;
  return [
    (ctx) => {
      const p = flows(ctx);
      return {
        name: 'flows',
        async start() {},
        async stop() {},
        status: () => ({ ...p.status([]), exporters: undefined }),
        routes: (app) => registerFlowRoutes(app, p),
        openapi: flowsOpenApi,
        flowSource: (q) => flowsOfNodes(p, q.nodeIds, 100_000) as unknown as Record<string, unknown>[],
      };
    },
    (ctx) => createSflowComponent(ctx, flows(ctx)),
    (ctx) => createNetflowComponent(ctx, flows(ctx)),
    (ctx) => {
      const stitcher = new Stitcher(ctx.store, ctx.storage.stitchInputs, { missedPollsDown: ctx.config.snmp.missedPollsDown, retentionMs: ctx.config.topology.linkRetention * 1000 }, ctx.registry);
      let unfeed: (() => void) | undefined;
      return {
        name: 'stitch',
        // Started before the poller so no observation is missed.
        async start() {
          stitcher.start();
          const s = snmpOf(ctx);
          if (s) unfeed = feedStitcher(s.observations, stitcher);
        },
        async stop() {
          unfeed?.();
          stitcher.stop();
        },
        status: () => stitcher.status() as unknown as Record<string, unknown>,
      };
    },
    (ctx) => snmpOf(ctx),
    uiComponent(),
  ];
}
