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
import { alertsSection } from '../alerts/config.ts';

export const configSchema = z
  .object({
    api: apiSection,
    storage: storageSection,
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
    alerts: alertsSection,
  })
  .strict();

export type CanopyConfig = z.infer<typeof configSchema>;
