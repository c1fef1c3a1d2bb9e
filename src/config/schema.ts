// The whole config file: one strict section per component; the top-level names are fixed (docs/architecture.md#configuration-and-metrics).
import { z } from 'zod';
import { agentsSection, apiSection, authSection } from '../api/config.ts';
import { storageSection, topologySection } from '../topology/config.ts';
import { sflowSection } from '../collectors/sflow/config.ts';
import { ipfixSection, netflowSection } from '../collectors/netflow/config.ts';
import { snmpSection } from '../collectors/snmp/config.ts';
import { ovsdbSection } from '../ovs/config.ts';
import { k8sSection } from '../collectors/k8s/config.ts';
import { agentSection } from '../agent/config.ts';
import { mirrorSection } from '../collectors/mirror/config.ts';
import { reconcileSection } from '../flow-path/config.ts';
import { flowsSection } from '../collectors/flows/flows-config.ts';
import { alertsSection } from '../alerts/config.ts';

export const configSchema = z
  .object({
    api: apiSection,
    storage: storageSection,
    flows: flowsSection,
    sflow: sflowSection,
    netflow: netflowSection,
    ipfix: ipfixSection,
    mirror: mirrorSection,
    snmp: snmpSection,
    ovsdb: ovsdbSection,
    k8s: k8sSection,
    auth: authSection,
    topology: topologySection,
    agents: agentsSection,
    agent: agentSection,
    reconcile: reconcileSection,
    alerts: alertsSection,
  })
  .strict()
  .superRefine((c, ctx) => {
    // The flow store's connection is checked here: it depends on two sections.
    const store = c.flows.store ?? c.storage.backend;
    if (store === 'clickhouse' && !c.flows.clickhouse.url)
      ctx.addIssue({ code: 'custom', path: ['flows', 'clickhouse', 'url'], message: 'required when flows.store is clickhouse' });
    if (store === 'postgres' && c.storage.backend !== 'postgres' && !c.storage.postgres.url)
      ctx.addIssue({ code: 'custom', path: ['storage', 'postgres', 'url'], message: 'required when flows.store is postgres' });
  });

export type CanopyConfig = z.infer<typeof configSchema>;
