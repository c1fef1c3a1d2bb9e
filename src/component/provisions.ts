// What the collector's components provide one another and the HTTP API (docs/architecture.md,
// "Components"). A component lists these in its spec's needs/uses/provides; the wiring orders
// start and stop from them.
import type { FlowPipeline } from '../collectors/flows/pipeline.ts';
import type { FlowsReader } from '../collectors/flows/flows-reader.ts';
import type { DeviceAdmin } from '../collectors/snmp/device-admin.ts';
import type { StitchInput } from '../topology/stitch/types.ts';
import type { UiFiles } from '../ui/files.ts';
import type { AgentHub } from '../api/ws/agents.ts';
import type { CaptureAdmin, CaptureReaders } from '../ovs/captures.ts';
import type { GraphStore } from '../topology/store/graph-store.ts';
import type { FlowPaths } from '../flow-path/service.ts';
import type { AlertAdmin } from '../alerts/component.ts';
import { provision } from './contract.ts';

/** The graph store; the collector gives it (and, with the storage seam, the other stores). */
export const GRAPH_STORE = provision<GraphStore>('graph-store');

/** The flow table, store and attribution sFlow, NetFlow and IPFIX share. */
export const FLOW_PIPELINE = provision<FlowPipeline>('flow-pipeline');
/** Flows as readers see them (/api/flows, the query language's Flows()). */
export const FLOWS_READER = provision<FlowsReader>('flows-reader');
/** The stitcher's input: neighbour, MAC-table and CDP observations per switch. */
export const STITCH_INPUT = provision<StitchInput>('stitch-input');
/** The SNMP device table (/api/devices). */
export const DEVICE_ADMIN = provision<DeviceAdmin>('device-admin');
/** The wall display's static files (served at /). */
export const UI_FILES = provision<UiFiles>('ui-files');
/** Host agents connected to /ws/agent (liveness, host DOWN, the OVSDB relay). */
export const AGENT_HUB = provision<AgentHub>('agent-hub');
/** Captures (/api/capture): sFlow rows and mirrors configured through OVSDB. */
export const CAPTURE_ADMIN = provision<CaptureAdmin>('capture-admin');
/** Hosts where a port-mirror capture reader runs (a mirror capture needs one on the bridge's host). */
export const CAPTURE_READERS = provision<CaptureReaders>('capture-readers');
/** Observed flow paths and flow-vs-counter reconciliation (/api/flows/path, /api/flows/reconcile). */
export const FLOW_PATHS = provision<FlowPaths>('flow-paths');

/** Alert rules and their state (/api/alert). */
export const ALERT_ADMIN = provision<AlertAdmin>('alert-admin');
