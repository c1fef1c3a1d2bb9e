// The `alerts` component (docs/alerts.md): the engine, fed by the graph, the port series, and who
// was heard from (the flow pipeline's exporters, the SNMP poller's devices) when those run.
import type { Component, ComponentSpec } from '../component/contract.ts';
import { give } from '../component/contract.ts';
import { ALERT_ADMIN, DEVICE_ADMIN, FLOW_PIPELINE, GRAPH_STORE } from '../component/provisions.ts';
import type { FlowPipeline } from '../collectors/flows/pipeline.ts';
import type { DeviceAdmin } from '../collectors/snmp/device-admin.ts';
import { AlertEngine } from './engine.ts';
import type { Heard } from './conditions.ts';

/** What POST/GET/DELETE /api/alert reach. */
export type AlertAdmin = Pick<AlertEngine, 'create' | 'delete' | 'get' | 'list'>;

const FLOW_PROTOCOLS = ['sflow', 'netflow', 'ipfix'];

/** Exporters the flow pipeline heard, and SNMP devices with their last successful poll. */
export function heardFrom(flows: FlowPipeline | undefined, devices: DeviceAdmin | undefined, since: number): () => Heard[] {
  return () => {
    const out: Heard[] = [];
    const exporters = (flows?.status(FLOW_PROTOCOLS).exporters ?? []) as {
      protocol: string;
      address: string;
      firstSeen: number;
      lastSeen: number;
    }[];
    for (const e of exporters)
      out.push({
        key: `exporter:${e.protocol}:${e.address}`,
        kind: 'exporter',
        name: `${e.address} (${e.protocol})`,
        lastSeen: e.lastSeen,
        since: e.firstSeen,
      });
    for (const t of devices?.targets() ?? []) {
      const st = devices?.status(t.id) as { lastSuccess?: number; switchId?: string; sysName?: string | null } | undefined;
      out.push({
        key: `snmp:${t.id}`,
        kind: 'snmp',
        name: st?.sysName ? `${st.sysName} (${t.key})` : t.key,
        lastSeen: st?.lastSuccess,
        since,
        ...(st?.switchId ? { nodeId: st.switchId } : {}),
      });
    }
    return out;
  };
}

export const alertsComponent: ComponentSpec = {
  name: 'alerts',
  enabled: (c) => c.alerts.enabled,
  needs: [GRAPH_STORE],
  // Started after them, so silence is measured from when they could first be heard.
  uses: [FLOW_PIPELINE, DEVICE_ADMIN],
  provides: [ALERT_ADMIN],
  create(ctx, provided) {
    const engine = new AlertEngine({
      config: ctx.config.alerts,
      store: provided.get(GRAPH_STORE),
      rules: ctx.storage.alertRules,
      registry: ctx.registry,
      log: ctx.log.child({ component: 'alerts' }),
      series: ctx.storage.portSeries,
      rawSeriesMs: ctx.config.storage.metricsWindow * 1000,
      limits: { maxResults: ctx.config.api.queryMaxResults, timeoutMs: ctx.config.api.queryTimeoutMs },
      heard: heardFrom(provided.find(FLOW_PIPELINE), provided.find(DEVICE_ADMIN), Date.now()),
    });
    const component: Component = {
      name: 'alerts',
      async start() {
        engine.start();
      },
      async stop() {
        await engine.stop();
      },
      status: () => engine.status(),
    };
    const admin: AlertAdmin = engine;
    return { component, provides: [give(ALERT_ADMIN, admin)] };
  },
};
